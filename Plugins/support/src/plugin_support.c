/*
 * plugin_support.c — the helpers of tessera_plugin_support.h. Every function here is declared
 * hidden in the header, so the plugin libraries that link this file export only
 * tsr_plugin_entry.
 */
#include "tessera_plugin_support.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Errors                                                                                     */
/* ------------------------------------------------------------------------------------------ */

tsr_status *tsp_fail_va(const tsr_host_api *api, tsr_status_code code, const char *plugin_name, const char *format,
                        va_list args)
{
    char small[512];
    size_t prefix = strlen(plugin_name) + 2; /* "<plugin_name>: " */
    int body = -1;
    if (prefix < sizeof small) {
        snprintf(small, sizeof small, "%s: ", plugin_name);
        va_list copy;
        va_copy(copy, args);
        body = vsnprintf(small + prefix, sizeof small - prefix, format, copy);
        va_end(copy);
        if (body < 0) {
            snprintf(small, sizeof small, "%s: (the error message could not be formatted)", plugin_name);
            return api->status_create(code, small);
        }
        if (prefix + (size_t)body < sizeof small) return api->status_create(code, small);
    } else {
        snprintf(small, sizeof small, "%s", plugin_name); /* no room left in `small`: format on the heap */
        va_list copy;
        va_copy(copy, args);
        body = vsnprintf(NULL, 0, format, copy);
        va_end(copy);
        if (body < 0) return api->status_create(code, "(the error message could not be formatted)");
    }
    size_t needed = prefix + (size_t)body;
    char *large = malloc(needed + 1);
    if (large == NULL) return api->status_create(code, small); /* truncated, still useful */
    memcpy(large, plugin_name, prefix - 2);
    memcpy(large + prefix - 2, ": ", 2);
    vsnprintf(large + prefix, (size_t)body + 1, format, args);
    tsr_status *status = api->status_create(code, large);
    free(large);
    return status;
}

tsr_status *tsp_fail(const tsr_host_api *api, tsr_status_code code, const char *plugin_name, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    tsr_status *status = tsp_fail_va(api, code, plugin_name, format, args);
    va_end(args);
    return status;
}

tsr_status *tsp_wrap_host_error(const tsr_host_api *api, tsr_status *status, const char *plugin_name, const char *doing,
                                const char *name)
{
    tsr_status *wrapped = tsp_fail(api, api->status_code(status), plugin_name, "%s '%s' failed: %s", doing, name,
                                   api->status_message(status));
    api->status_release(status);
    return wrapped;
}

/* ------------------------------------------------------------------------------------------ */
/* create() and the lifecycle                                                                 */
/* ------------------------------------------------------------------------------------------ */

int tsp_create_begin(const tsr_host_api *api, void **instance, const char *plugin_name, size_t api_size_needed,
                     tsr_status **status)
{
    *status = NULL;
    if (api == NULL) {
        if (instance != NULL) *instance = NULL;
        return 0;
    }
    if (api->struct_size < api_size_needed) {
        *status = tsp_fail(api, TSR_ERR_FAILED_PRECONDITION, plugin_name,
                           "the host API table is too small for ABI 1.0; upgrade the host");
        return 0;
    }
    if (instance == NULL) {
        *status = tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, plugin_name, "create() was given a NULL instance pointer");
        return 0;
    }
    *instance = NULL;
    return 1;
}

tsr_status *tsp_activate_nothing(void *instance)
{
    (void)instance;
    return NULL;
}

void tsp_deactivate_nothing(void *instance)
{
    (void)instance;
}

void tsp_destroy_free(void *instance)
{
    free(instance);
}

/* ------------------------------------------------------------------------------------------ */
/* Settings                                                                                   */
/* ------------------------------------------------------------------------------------------ */

const char *tsp_kind_description(tsr_setting_kind kind)
{
    switch (kind) {
    case TSR_SETTING_STRING: return "a string";
    case TSR_SETTING_INT: return "an integer";
    case TSR_SETTING_FLOAT: return "a number";
    case TSR_SETTING_BOOL: return "a boolean";
    case TSR_SETTING_ARRAY: return "an array";
    case TSR_SETTING_TABLE: return "a table";
    case TSR_SETTING_ABSENT: return "absent";
    default: return "of an unknown kind";
    }
}

/** "unknown setting 'key'; accepted settings: a, b, c" */
static tsr_status *unknown_setting(const tsr_host_api *api, const char *plugin_name, const char *key,
                                   const tsp_setting_spec *specs, size_t count)
{
    tsp_text accepted = {0};
    for (size_t s = 0; s < count; s++) {
        if (s > 0) tsp_text_puts(&accepted, ", ");
        tsp_text_puts(&accepted, specs[s].key);
    }
    tsr_status *status;
    if (accepted.out_of_memory) {
        status = tsp_fail(api, TSR_ERR_INVALID_SETTING, plugin_name, "unknown setting '%s'", key);
    } else {
        status = tsp_fail(api, TSR_ERR_INVALID_SETTING, plugin_name, "unknown setting '%s'; accepted settings: %s", key,
                          accepted.data ? accepted.data : "");
    }
    free(accepted.data);
    return status;
}

tsr_status *tsp_check_settings(const tsr_host_api *api, tsr_host *host, const char *plugin_name,
                               const tsp_setting_spec *specs, size_t count)
{
    size_t setting_count = api->setting_count(host);
    for (size_t index = 0; index < setting_count; index++) {
        const char *key = api->setting_key(host, index);
        if (key == NULL) continue;
        const tsp_setting_spec *spec = NULL;
        for (size_t s = 0; s < count; s++) {
            if (strcmp(specs[s].key, key) == 0) spec = &specs[s];
        }
        if (spec == NULL) return unknown_setting(api, plugin_name, key, specs, count);
        tsr_setting_kind kind = api->setting_kind(host, key);
        int ok = kind == spec->kind || (spec->kind == TSR_SETTING_FLOAT && kind == TSR_SETTING_INT);
        if (!ok) {
            return tsp_fail(api, TSR_ERR_INVALID_SETTING, plugin_name, "setting '%s' must be %s (e.g. %s), but it is %s", key,
                            tsp_kind_description(spec->kind), spec->example, tsp_kind_description(kind));
        }
    }
    return NULL;
}

tsr_status *tsp_check_no_settings(const tsr_host_api *api, tsr_host *host, const char *plugin_name, const char *hint)
{
    size_t count = api->setting_count(host);
    for (size_t index = 0; index < count; index++) {
        const char *key = api->setting_key(host, index);
        if (key == NULL) continue;
        return tsp_fail(api, TSR_ERR_INVALID_SETTING, plugin_name,
                        "unknown setting '%s'; this plugin accepts no settings (%s)", key, hint);
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Strings, numbers and a growable text buffer                                                */
/* ------------------------------------------------------------------------------------------ */

char *tsp_strdup(const char *s)
{
    if (s == NULL) s = "";
    size_t size = strlen(s) + 1;
    char *copy = malloc(size);
    if (copy != NULL) memcpy(copy, s, size);
    return copy;
}

void tsp_format_shortest(char *out, size_t size, double value)
{
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(out, size, "%.*g", precision, value);
        if (strtod(out, NULL) == value) break;
    }
    for (char *c = out; *c; c++) {
        if (*c == ',') *c = '.'; /* a host that set a locale with a decimal comma */
    }
}

/** Makes room for `extra` more bytes and the terminator; 0 (and out_of_memory) when it cannot. */
static int text_reserve(tsp_text *t, size_t extra)
{
    if (t->out_of_memory) return 0;
    if (t->capacity - t->length > extra) return 1;
    size_t capacity = t->capacity ? t->capacity : 1024;
    while (capacity - t->length <= extra) {
        if (capacity > SIZE_MAX / 2) { t->out_of_memory = 1; return 0; }
        capacity *= 2;
    }
    char *grown = realloc(t->data, capacity);
    if (grown == NULL) { t->out_of_memory = 1; return 0; }
    t->data = grown;
    t->capacity = capacity;
    return 1;
}

void tsp_text_append(tsp_text *t, const char *bytes, size_t count)
{
    if (!text_reserve(t, count)) return;
    if (count > 0) memcpy(t->data + t->length, bytes, count);
    t->length += count;
    t->data[t->length] = '\0';
}

void tsp_text_puts(tsp_text *t, const char *s)
{
    tsp_text_append(t, s, strlen(s));
}

void tsp_text_putc(tsp_text *t, char c)
{
    tsp_text_append(t, &c, 1);
}

void tsp_text_u64(tsp_text *t, uint64_t value)
{
    char number[24];
    snprintf(number, sizeof number, "%" PRIu64, value);
    tsp_text_puts(t, number);
}

void tsp_format_shape(char *buffer, size_t size, const int64_t *shape, uint32_t ndim)
{
    size_t at = 0;
    at += (size_t)snprintf(buffer, size, "[");
    for (uint32_t d = 0; d < ndim && at < size; d++) {
        at += (size_t)snprintf(buffer + at, size - at, d ? ", %" PRId64 : "%" PRId64, shape[d]);
    }
    if (at < size) snprintf(buffer + at, size - at, "]");
}

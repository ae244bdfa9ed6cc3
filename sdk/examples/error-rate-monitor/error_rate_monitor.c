/*
 * error-rate-monitor — an example Tessera monitor plugin, "error-rate".
 *
 * observe() counts requests and errors (HTTP status >= 500, or an error_reason) per
 * (model, version) in a small table. evaluate() adds up the rows the question covers (one
 * version, all versions of a model, or everything) and answers:
 *   INCONCLUSIVE  fewer than min_requests requests
 *   FAILING       error rate above max_error_rate
 *   OK            otherwise
 * with gauges "error_rate" and "requests". reset() starts a new window.
 *
 * Settings: max_error_rate (float in [0, 1], default 0.05), min_requests (int >= 0, default 20).
 *
 * Written against the public headers only. Build:
 *     cc -std=c11 -Wall -Wextra -pedantic -Werror -O2 -shared -fPIC -fvisibility=hidden \
 *        -I ../../include error_rate_monitor.c -o liberror-rate-monitor.so
 */
#define _POSIX_C_SOURCE 200809L

/* Who the plugin says it is. Tessera bundles this file unchanged as its `error-rate` monitor
 * (Plugins/error-rate), defining these first; a copy of the example keeps these defaults. */
#ifndef ERROR_RATE_ID
#define ERROR_RATE_ID "org.example.error-rate-monitor"
#endif
#ifndef ERROR_RATE_NAME
#define ERROR_RATE_NAME "error-rate-monitor"
#endif
#ifndef ERROR_RATE_VENDOR
#define ERROR_RATE_VENDOR "Example Org"
#endif

#include <tessera/tessera.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** One row of the table: what was seen for one model version. */
typedef struct counts {
    char *model;
    char *version;
    uint64_t requests;
    uint64_t errors;
} counts;

enum { GAUGE_ERROR_RATE, GAUGE_REQUESTS, GAUGE_COUNT };

typedef struct error_rate {
    const tsr_host_api *api;
    tsr_host *host;
    double max_error_rate;
    int64_t min_requests;

    counts *rows;
    size_t row_count;
    size_t row_capacity;

    /* What the last evaluate() pointed the host at; valid until the next call. */
    char reason[512];
    tsr_gauge gauges[GAUGE_COUNT];
} error_rate;

static tsr_status *fail(const tsr_host_api *api, tsr_status_code code, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static tsr_status *fail(const tsr_host_api *api, tsr_status_code code, const char *format, ...)
{
    char message[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    return api->status_create(code, message);
}

/* ------------------------------------------------------------------------------------------ */
/* The table                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static void clear_rows(error_rate *self)
{
    for (size_t i = 0; i < self->row_count; i++) {
        free(self->rows[i].model);
        free(self->rows[i].version);
    }
    free(self->rows);
    self->rows = NULL;
    self->row_count = 0;
    self->row_capacity = 0;
}

static char *copy_string(const char *text)
{
    size_t length = strlen(text) + 1;
    char *copy = malloc(length);
    if (copy != NULL) memcpy(copy, text, length);
    return copy;
}

/** The row for (model, version), added when new; NULL when out of memory. */
static counts *row_for(error_rate *self, const char *model, const char *version)
{
    for (size_t i = 0; i < self->row_count; i++) {
        if (strcmp(self->rows[i].model, model) == 0 && strcmp(self->rows[i].version, version) == 0) {
            return &self->rows[i];
        }
    }
    if (self->row_count == self->row_capacity) {
        size_t capacity = self->row_capacity ? self->row_capacity * 2 : 8;
        counts *grown = realloc(self->rows, capacity * sizeof *grown);
        if (grown == NULL) return NULL;
        self->rows = grown;
        self->row_capacity = capacity;
    }
    counts row = {copy_string(model), copy_string(version), 0, 0};
    if (row.model == NULL || row.version == NULL) {
        free(row.model);
        free(row.version);
        return NULL;
    }
    self->rows[self->row_count] = row;
    return &self->rows[self->row_count++];
}

/* ------------------------------------------------------------------------------------------ */
/* observe, evaluate, reset                                                                   */
/* ------------------------------------------------------------------------------------------ */

static tsr_status *error_rate_observe(void *instance, const tsr_request_record *records, size_t count)
{
    error_rate *self = instance;
    if (count > 0 && records == NULL) {
        return self->api->status_create(TSR_ERR_INVALID_ARGUMENT, "observe() was given NULL records");
    }
    for (size_t i = 0; i < count; i++) {
        const tsr_request_record *record = &records[i];
        if (!TSR_HAS_FIELD(record, tsr_request_record, error_reason)) {
            return fail(self->api, TSR_ERR_INVALID_ARGUMENT,
                        "request record %zu has struct_size %" PRIu32 ", too small for ABI 1.0 (%zu)", i,
                        record->struct_size, sizeof(tsr_request_record));
        }
        counts *row = row_for(self, record->model ? record->model : "", record->version ? record->version : "");
        if (row == NULL) {
            return self->api->status_create(TSR_ERR_OUT_OF_MEMORY, "out of memory recording a model version");
        }
        row->requests++;
        if (record->http_status >= 500 || record->error_reason != NULL) row->errors++;
    }
    return NULL;
}

/** Describes what an evaluate() question covers, for the reason line. */
static void describe_scope(const char *model, const char *version, char *out, size_t capacity)
{
    if (model == NULL) {
        snprintf(out, capacity, "all models");
    } else if (version == NULL) {
        snprintf(out, capacity, "all versions of model '%s'", model);
    } else {
        snprintf(out, capacity, "model '%s' version %s", model, version);
    }
}

static tsr_status *error_rate_evaluate(void *instance, const char *model, const char *version,
                                       tsr_monitor_verdict *out)
{
    error_rate *self = instance;
    if (out == NULL) return self->api->status_create(TSR_ERR_INVALID_ARGUMENT, "evaluate() was given a NULL verdict");

    uint64_t requests = 0, errors = 0;
    for (size_t i = 0; i < self->row_count; i++) {
        const counts *row = &self->rows[i];
        if (model != NULL && strcmp(row->model, model) != 0) continue;
        if (model != NULL && version != NULL && strcmp(row->version, version) != 0) continue;
        requests += row->requests;
        errors += row->errors;
    }
    double rate = requests ? (double)errors / (double)requests : 0.0;

    char scope[256];
    describe_scope(model, version, scope, sizeof scope);
    tsr_verdict_state state;
    if (requests == 0 || requests < (uint64_t)self->min_requests) {
        state = TSR_VERDICT_INCONCLUSIVE;
        snprintf(self->reason, sizeof self->reason,
                 "%" PRIu64 " requests seen for %s; min_requests is %" PRId64 ", so there is not enough traffic to judge",
                 requests, scope, self->min_requests);
    } else if (rate > self->max_error_rate) {
        state = TSR_VERDICT_FAILING;
        snprintf(self->reason, sizeof self->reason,
                 "error rate %.2f%% (%" PRIu64 " of %" PRIu64 " requests) for %s is above max_error_rate %.2f%%",
                 rate * 100, errors, requests, scope, self->max_error_rate * 100);
    } else {
        state = TSR_VERDICT_OK;
        snprintf(self->reason, sizeof self->reason,
                 "error rate %.2f%% (%" PRIu64 " of %" PRIu64 " requests) for %s is within max_error_rate %.2f%%",
                 rate * 100, errors, requests, scope, self->max_error_rate * 100);
    }
    self->gauges[GAUGE_ERROR_RATE].value = rate;
    self->gauges[GAUGE_REQUESTS].value = (double)requests;

    /* The host sized *out; write only the members it has room for. */
    if (TSR_HAS_FIELD(out, tsr_monitor_verdict, state)) out->state = state;
    if (TSR_HAS_FIELD(out, tsr_monitor_verdict, reason)) out->reason = self->reason;
    if (TSR_HAS_FIELD(out, tsr_monitor_verdict, gauges) && TSR_HAS_FIELD(out, tsr_monitor_verdict, gauge_count)) {
        out->gauges = self->gauges;
        out->gauge_count = GAUGE_COUNT;
    }
    return NULL;
}

static void error_rate_reset(void *instance)
{
    clear_rows(instance);
}

/* ------------------------------------------------------------------------------------------ */
/* Settings                                                                                   */
/* ------------------------------------------------------------------------------------------ */

static tsr_status *read_settings(const tsr_host_api *api, tsr_host *host, double *max_error_rate,
                                 int64_t *min_requests)
{
    size_t count = api->setting_count(host);
    for (size_t i = 0; i < count; i++) {
        const char *key = api->setting_key(host, i);
        if (key != NULL && strcmp(key, "max_error_rate") != 0 && strcmp(key, "min_requests") != 0) {
            return fail(api, TSR_ERR_INVALID_SETTING,
                        "unknown setting '%s'; error-rate accepts max_error_rate and min_requests", key);
        }
    }

    *max_error_rate = 0.05;
    if (api->setting_kind(host, "max_error_rate") != TSR_SETTING_ABSENT) {
        if (!api->setting_float(host, "max_error_rate", max_error_rate)) {
            return api->status_create(TSR_ERR_INVALID_SETTING,
                                      "setting 'max_error_rate' must be a number between 0 and 1, e.g. "
                                      "max_error_rate = 0.05 for 5%");
        }
        if (!(*max_error_rate >= 0.0 && *max_error_rate <= 1.0)) { /* also rejects NaN */
            return fail(api, TSR_ERR_INVALID_SETTING,
                        "setting 'max_error_rate' must be between 0 and 1 (a fraction: 0.05 means 5%%), but it is %g",
                        *max_error_rate);
        }
    }

    *min_requests = 20;
    if (api->setting_kind(host, "min_requests") != TSR_SETTING_ABSENT) {
        if (!api->setting_int(host, "min_requests", min_requests)) {
            return api->status_create(TSR_ERR_INVALID_SETTING,
                                      "setting 'min_requests' must be a whole number, e.g. min_requests = 20");
        }
        if (*min_requests < 0) {
            return fail(api, TSR_ERR_INVALID_SETTING, "setting 'min_requests' must be 0 or more, but it is %" PRId64,
                        *min_requests);
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Descriptor and lifecycle                                                                   */
/* ------------------------------------------------------------------------------------------ */

static const tsr_monitor_vtable k_monitor = {
    .struct_size = sizeof(tsr_monitor_vtable),
    .monitor_name = "error-rate",
    .observe = error_rate_observe,
    .evaluate = error_rate_evaluate,
    .reset = error_rate_reset,
};

static tsr_status *error_rate_create(const tsr_host_api *api, tsr_host *host, void **instance)
{
    if (instance == NULL) return api->status_create(TSR_ERR_INVALID_ARGUMENT, "create() was given a NULL instance pointer");
    *instance = NULL;
    if (!TSR_HAS_FIELD(api, tsr_host_api, setting_bool)) {
        return api->status_create(TSR_ERR_FAILED_PRECONDITION, "the host API table is smaller than ABI 1.0's");
    }
    double max_error_rate;
    int64_t min_requests;
    tsr_status *status = read_settings(api, host, &max_error_rate, &min_requests);
    if (status != NULL) return status;

    error_rate *self = calloc(1, sizeof *self);
    if (self == NULL) return api->status_create(TSR_ERR_OUT_OF_MEMORY, "out of memory creating the instance");
    self->api = api;
    self->host = host;
    self->max_error_rate = max_error_rate;
    self->min_requests = min_requests;
    for (int i = 0; i < GAUGE_COUNT; i++) self->gauges[i].struct_size = sizeof(tsr_gauge);
    self->gauges[GAUGE_ERROR_RATE].name = "error_rate";
    self->gauges[GAUGE_ERROR_RATE].help = "Fraction of requests that failed (HTTP 5xx or an error reason).";
    self->gauges[GAUGE_REQUESTS].name = "requests";
    self->gauges[GAUGE_REQUESTS].help = "Requests observed since the last reset.";
    *instance = self;

    char line[160];
    snprintf(line, sizeof line, "error-rate ready: max_error_rate=%g, min_requests=%" PRId64, max_error_rate,
             min_requests);
    api->log(host, TSR_LOG_INFO, line);
    return NULL;
}

static const void *error_rate_get_capability(void *instance, const char *capability_id)
{
    (void)instance;
    if (capability_id != NULL && strcmp(capability_id, TSR_CAP_MONITOR) == 0) return &k_monitor;
    return NULL;
}

static tsr_status *error_rate_activate(void *instance)
{
    (void)instance;
    return NULL;
}

static void error_rate_deactivate(void *instance)
{
    (void)instance;
}

static void error_rate_destroy(void *instance)
{
    error_rate *self = instance;
    if (self == NULL) return;
    clear_rows(self);
    free(self);
}

static const char *const k_capabilities[] = {TSR_CAP_MONITOR, NULL};

static const tsr_plugin_descriptor k_descriptor = {
    .struct_size = sizeof(tsr_plugin_descriptor),
    .abi_major = TSR_ABI_MAJOR,
    .abi_minor = TSR_ABI_MINOR,
    .min_abi_minor = 0,
    .fingerprint = TSR_ABI_FINGERPRINT_INIT,
    .id = ERROR_RATE_ID,
    .name = ERROR_RATE_NAME,
    .version = "1.0.0",
    .vendor = ERROR_RATE_VENDOR,
    .description = "Fails a model version whose share of failed requests exceeds max_error_rate.",
    .capabilities = k_capabilities,
    .create = error_rate_create,
    .get_capability = error_rate_get_capability,
    .activate = error_rate_activate,
    .deactivate = error_rate_deactivate,
    .destroy = error_rate_destroy,
};

TSR_EXPORT const tsr_plugin_descriptor *tsr_plugin_entry(void)
{
    return &k_descriptor;
}

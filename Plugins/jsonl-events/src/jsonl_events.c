/*
 * jsonl-events — a Tessera exporter plugin that appends events (and optionally metric
 * snapshots) to a file as JSON Lines: one JSON object per line, each line written with a
 * single write(2) on a descriptor opened with O_APPEND, so several processes can append to
 * the same file without interleaving lines.
 *
 * Everything here except tsr_plugin_entry is static, and the shared helpers (tsp_*, from
 * Plugins/support) are hidden: the library exports one symbol.
 */
#define _POSIX_C_SOURCE 200809L

#include <tessera/tessera.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tessera_jsonl_events.h"
#include "tessera_plugin_support.h"

#define PLUGIN_NAME "jsonl-events"

/** Deepest nesting accepted in an event's attributes_json. */
#define MAX_JSON_DEPTH 64

/* ------------------------------------------------------------------------------------------ */
/* Settings                                                                                   */
/* ------------------------------------------------------------------------------------------ */

static const tsp_setting_spec k_settings[] = {
    {"path", TSR_SETTING_STRING, "path = \"/var/log/tessera/events.jsonl\""},
    {"include_metrics", TSR_SETTING_BOOL, "include_metrics = true"},
    {"fsync", TSR_SETTING_BOOL, "fsync = true"},
};
#define SETTING_COUNT (sizeof k_settings / sizeof k_settings[0])

/* ------------------------------------------------------------------------------------------ */
/* JSON writers (onto a tsp_text)                                                             */
/* ------------------------------------------------------------------------------------------ */

/** Length of the valid UTF-8 sequence at s (1..4), or 0 when the bytes there are not valid UTF-8. */
static size_t utf8_sequence_length(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80 ? 4 : 0;
    }
    return 0;
}

/**
 * Writes `s` as a JSON string: quotes and backslashes escaped, control characters as \u00XX,
 * and bytes that are not valid UTF-8 replaced by U+FFFD so every line stays valid JSON.
 * A NULL `s` is written as null.
 */
static void text_json_string(tsp_text *t, const char *s)
{
    if (s == NULL) { tsp_text_puts(t, "null"); return; }
    tsp_text_putc(t, '"');
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        const unsigned char *run = p;
        while (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') p++;
        tsp_text_append(t, (const char *)run, (size_t)(p - run));
        if (*p == '\0') break;
        if (*p == '"' || *p == '\\') {
            char escaped[2] = {'\\', (char)*p};
            tsp_text_append(t, escaped, 2);
            p++;
        } else if (*p < 0x20) {
            char escaped[8];
            snprintf(escaped, sizeof escaped, "\\u%04x", (unsigned)*p);
            tsp_text_append(t, escaped, 6);
            p++;
        } else {
            size_t length = utf8_sequence_length(p);
            if (length == 0) {
                tsp_text_puts(t, "\\ufffd");
                p++;
            } else {
                tsp_text_append(t, (const char *)p, length);
                p += length;
            }
        }
    }
    tsp_text_putc(t, '"');
}

/**
 * Formats a finite double so that it reads back as the same value: integers (below 1e17)
 * without exponent or fraction, others with the fewest significant digits that round-trip.
 */
static void format_number(char *out, size_t size, double value)
{
    if (value == 0) {
        snprintf(out, size, "0");
    } else if (value == floor(value) && fabs(value) < 1e17) {
        snprintf(out, size, "%.0f", value);
    } else {
        tsp_format_shortest(out, size, value);
    }
}

/** Writes a number; JSON has no infinities or NaN, so those become null. */
static void text_json_number(tsp_text *t, double value)
{
    if (!isfinite(value)) { tsp_text_puts(t, "null"); return; }
    char number[40];
    format_number(number, sizeof number, value);
    tsp_text_puts(t, number);
}

static void text_i64(tsp_text *t, int64_t value)
{
    char number[24];
    snprintf(number, sizeof number, "%" PRId64, value);
    tsp_text_puts(t, number);
}

/** Writes "ts":"<RFC 3339 UTC with nanoseconds>","unix_ns":<n> */
static void text_timestamp_fields(tsp_text *t, int64_t unix_ns)
{
    int64_t seconds = unix_ns / 1000000000;
    int64_t nanos = unix_ns % 1000000000;
    if (nanos < 0) {
        nanos += 1000000000;
        seconds -= 1;
    }
    time_t when = (time_t)seconds;
    struct tm utc;
    char stamp[64];
    if (gmtime_r(&when, &utc) != NULL) {
        snprintf(stamp, sizeof stamp, "\"%04d-%02d-%02dT%02d:%02d:%02d.%09dZ\"", utc.tm_year + 1900, utc.tm_mon + 1,
                 utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, (int)nanos);
    } else {
        snprintf(stamp, sizeof stamp, "null");
    }
    tsp_text_puts(t, "\"ts\":");
    tsp_text_puts(t, stamp);
    tsp_text_puts(t, ",\"unix_ns\":");
    text_i64(t, unix_ns);
}

/* ------------------------------------------------------------------------------------------ */
/* JSON validation of attributes_json                                                         */
/* ------------------------------------------------------------------------------------------ */

static const char *json_skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/** Validates one JSON string starting at the opening quote; returns the byte after it or NULL. */
static const char *json_check_string(const char *p)
{
    p++;
    for (;;) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') return p + 1;
        if (c < 0x20) return NULL; /* control character or end of text */
        if (c == '\\') {
            p++;
            if (*p == 'u') {
                if (!is_hex(p[1]) || !is_hex(p[2]) || !is_hex(p[3]) || !is_hex(p[4])) return NULL;
                p += 5;
            } else if (*p && strchr("\"\\/bfnrt", *p)) {
                p++;
            } else {
                return NULL;
            }
        } else if (c < 0x80) {
            p++;
        } else {
            size_t length = utf8_sequence_length((const unsigned char *)p);
            if (length == 0) return NULL;
            p += length;
        }
    }
}

static const char *json_check_number(const char *p)
{
    if (*p == '-') p++;
    if (*p == '0') p++;
    else if (*p >= '1' && *p <= '9') while (*p >= '0' && *p <= '9') p++;
    else return NULL;
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9')) return NULL;
        while (*p >= '0' && *p <= '9') p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!(*p >= '0' && *p <= '9')) return NULL;
        while (*p >= '0' && *p <= '9') p++;
    }
    return p;
}

/** Validates one JSON value at p (after whitespace); returns the byte after it or NULL. */
static const char *json_check_value(const char *p, int depth)
{
    if (depth > MAX_JSON_DEPTH) return NULL;
    p = json_skip_space(p);
    switch (*p) {
    case '"': return json_check_string(p);
    case '{':
        p = json_skip_space(p + 1);
        if (*p == '}') return p + 1;
        for (;;) {
            if (*p != '"' || (p = json_check_string(p)) == NULL) return NULL;
            p = json_skip_space(p);
            if (*p != ':') return NULL;
            if ((p = json_check_value(p + 1, depth + 1)) == NULL) return NULL;
            p = json_skip_space(p);
            if (*p == '}') return p + 1;
            if (*p != ',') return NULL;
            p = json_skip_space(p + 1);
        }
    case '[':
        p = json_skip_space(p + 1);
        if (*p == ']') return p + 1;
        for (;;) {
            if ((p = json_check_value(p, depth + 1)) == NULL) return NULL;
            p = json_skip_space(p);
            if (*p == ']') return p + 1;
            if (*p != ',') return NULL;
            p++;
        }
    case 't': return strncmp(p, "true", 4) == 0 ? p + 4 : NULL;
    case 'f': return strncmp(p, "false", 5) == 0 ? p + 5 : NULL;
    case 'n': return strncmp(p, "null", 4) == 0 ? p + 4 : NULL;
    default: return json_check_number(p);
    }
}

/** True when `json` is exactly one JSON value, surrounded by optional whitespace. */
static int json_is_valid(const char *json)
{
    const char *end = json_check_value(json, 0);
    return end != NULL && *json_skip_space(end) == '\0';
}

/* ------------------------------------------------------------------------------------------ */
/* State                                                                                      */
/* ------------------------------------------------------------------------------------------ */

typedef struct jsonl_events {
    const tsr_host_api *api;
    tsr_host *host;
    char *path;
    int include_metrics;
    int sync;
    int fd; /**< -1 unless active */
} jsonl_events;

/** Writes the whole line; one write(2) unless the kernel takes less (then the rest follows). */
static tsr_status *write_line(jsonl_events *self, const tsp_text *line, const char *what)
{
    if (line->out_of_memory) {
        return tsp_fail(self->api, TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME, "out of memory formatting %s", what);
    }
    const char *at = line->data;
    size_t left = line->length;
    while (left > 0) {
        ssize_t written = write(self->fd, at, left);
        if (written < 0) {
            if (errno == EINTR) continue;
            return tsp_fail(self->api, TSR_ERR_IO, PLUGIN_NAME, "writing %s to '%s' failed: %s; check free space and permissions",
                            what, self->path, strerror(errno));
        }
        at += written;
        left -= (size_t)written;
    }
    return NULL;
}

static tsr_status *require_active(jsonl_events *self, const char *function)
{
    if (self->fd >= 0) return NULL;
    return tsp_fail(self->api, TSR_ERR_FAILED_PRECONDITION, PLUGIN_NAME,
                    "%s() was called while the exporter is not active; the host must call activate() first",
                    function);
}

/* ------------------------------------------------------------------------------------------ */
/* Lifecycle                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static tsr_status *events_create(const tsr_host_api *api, tsr_host *host, void **instance)
{
    tsr_status *status;
    if (!tsp_create_begin(api, instance, PLUGIN_NAME, TSP_SIZE_THROUGH(tsr_host_api, setting_bool), &status)) return status;
    if ((status = tsp_check_settings(api, host, PLUGIN_NAME, k_settings, SETTING_COUNT)) != NULL) return status;

    const char *path = api->setting_string(host, "path");
    if (path == NULL || path[0] == '\0') {
        return api->status_create(TSR_ERR_INVALID_SETTING,
                                  PLUGIN_NAME ": setting 'path' is required: the file to append events to "
                                  "(e.g. path = \"/var/log/tessera/events.jsonl\")");
    }
    int include_metrics = 0, sync = 0;
    api->setting_bool(host, "include_metrics", &include_metrics);
    api->setting_bool(host, "fsync", &sync);

    jsonl_events *self = calloc(1, sizeof *self);
    char *path_copy = tsp_strdup(path);
    if (self == NULL || path_copy == NULL) {
        free(self);
        free(path_copy);
        return api->status_create(TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME ": out of memory creating the instance");
    }
    self->api = api;
    self->host = host;
    self->path = path_copy;
    self->include_metrics = include_metrics;
    self->sync = sync;
    self->fd = -1;
    *instance = self;
    return NULL;
}

static tsr_status *events_activate(void *instance)
{
    jsonl_events *self = instance;
    if (self->fd >= 0) return NULL;
    int fd;
    do {
        fd = open(self->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        return tsp_fail(self->api, TSR_ERR_IO, PLUGIN_NAME,
                        "cannot open '%s' for appending: %s; check that its directory exists and is writable, "
                        "or change the 'path' setting",
                        self->path, strerror(errno));
    }
    self->fd = fd;
    return NULL;
}

static void events_deactivate(void *instance)
{
    jsonl_events *self = instance;
    if (self->fd < 0) return;
    if (self->sync && fsync(self->fd) != 0) {
        char message[600];
        snprintf(message, sizeof message, PLUGIN_NAME ": fsync of '%s' failed: %s", self->path, strerror(errno));
        self->api->log(self->host, TSR_LOG_ERROR, message);
    }
    if (close(self->fd) != 0) {
        char message[600];
        snprintf(message, sizeof message, PLUGIN_NAME ": closing '%s' failed: %s", self->path, strerror(errno));
        self->api->log(self->host, TSR_LOG_ERROR, message);
    }
    self->fd = -1;
}

static void events_destroy(void *instance)
{
    jsonl_events *self = instance;
    if (self == NULL) return;
    events_deactivate(self);
    free(self->path);
    free(self);
}

/* ------------------------------------------------------------------------------------------ */
/* Exporter                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/** Writes the event's attributes: verbatim when valid JSON (line breaks become spaces). */
static void append_attributes(jsonl_events *self, tsp_text *line, const char *attributes)
{
    if (attributes == NULL || *json_skip_space(attributes) == '\0') return;
    if (json_is_valid(attributes)) {
        tsp_text_puts(line, ",\"attributes\":");
        size_t start = line->length;
        tsp_text_puts(line, json_skip_space(attributes));
        if (line->out_of_memory) return;
        /* Raw CR/LF/TAB can only be whitespace in valid JSON; keep the object on one line. */
        size_t end = line->length;
        while (end > start && (line->data[end - 1] == ' ' || line->data[end - 1] == '\n' ||
                               line->data[end - 1] == '\r' || line->data[end - 1] == '\t')) {
            end--;
        }
        line->length = end;
        line->data[end] = '\0';
        for (size_t i = start; i < end; i++) {
            if (line->data[i] == '\n' || line->data[i] == '\r') line->data[i] = ' ';
        }
    } else {
        self->api->log(self->host, TSR_LOG_WARNING,
                       PLUGIN_NAME ": an event's attributes_json is not valid JSON; it is written as the string "
                       "\"attributes_invalid\" instead");
        tsp_text_puts(line, ",\"attributes_invalid\":");
        text_json_string(line, attributes);
    }
}

static tsr_status *events_on_event(void *instance, const tsr_event *event)
{
    jsonl_events *self = instance;
    tsr_status *status = require_active(self, "on_event");
    if (status != NULL) return status;
    if (event == NULL || event->struct_size < sizeof(tsr_event)) {
        return tsp_fail(self->api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME,
                        "on_event() needs an event with struct_size >= %zu (ABI 1.0), got %s", sizeof(tsr_event),
                        event == NULL ? "NULL" : "a smaller one");
    }
    if (event->type == NULL || event->message == NULL) {
        return tsp_fail(self->api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME, "an event needs a type and a message, but %s is NULL",
                        event->type == NULL ? "type" : "message");
    }
    tsp_text line = {0};
    tsp_text_putc(&line, '{');
    text_timestamp_fields(&line, event->unix_ns);
    tsp_text_puts(&line, ",\"type\":");
    text_json_string(&line, event->type);
    tsp_text_puts(&line, ",\"model\":");
    text_json_string(&line, event->model);
    tsp_text_puts(&line, ",\"version\":");
    text_json_string(&line, event->version);
    tsp_text_puts(&line, ",\"message\":");
    text_json_string(&line, event->message);
    append_attributes(self, &line, event->attributes_json);
    tsp_text_puts(&line, "}\n");
    status = write_line(self, &line, "an event");
    free(line.data);
    return status;
}

static const char *metric_kind_name(tsr_metric_kind kind)
{
    switch (kind) {
    case TSR_METRIC_COUNTER: return "counter";
    case TSR_METRIC_GAUGE: return "gauge";
    case TSR_METRIC_HISTOGRAM: return "histogram";
    default: return NULL;
    }
}

/** Appends one metric as a JSON object, or reports what is wrong with it. */
static tsr_status *append_metric(jsonl_events *self, tsp_text *line, const tsr_metric *metric, size_t index)
{
    const char *kind = metric_kind_name(metric->kind);
    if (metric->name == NULL || kind == NULL) {
        return tsp_fail(self->api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME, "metric %zu of the snapshot has %s", index,
                        metric->name == NULL ? "a NULL name" : "an unknown kind");
    }
    if (metric->label_count > 0 && (metric->label_names == NULL || metric->label_values == NULL)) {
        return tsp_fail(self->api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME, "metric '%s' has %zu labels but NULL label arrays",
                        metric->name, metric->label_count);
    }
    tsp_text_puts(line, "{\"name\":");
    text_json_string(line, metric->name);
    tsp_text_puts(line, ",\"kind\":\"");
    tsp_text_puts(line, kind);
    tsp_text_puts(line, "\",\"labels\":{");
    for (size_t l = 0; l < metric->label_count; l++) {
        if (l > 0) tsp_text_putc(line, ',');
        text_json_string(line, metric->label_names[l] ? metric->label_names[l] : "");
        tsp_text_putc(line, ':');
        text_json_string(line, metric->label_values[l] ? metric->label_values[l] : "");
    }
    tsp_text_putc(line, '}');
    if (metric->kind == TSR_METRIC_HISTOGRAM) {
        if (metric->bucket_count > 0 && (metric->bucket_bounds == NULL || metric->bucket_counts == NULL)) {
            return tsp_fail(self->api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME,
                            "histogram '%s' has %zu buckets but NULL bucket arrays", metric->name,
                            metric->bucket_count);
        }
        tsp_text_puts(line, ",\"count\":");
        tsp_text_u64(line, metric->count);
        tsp_text_puts(line, ",\"sum\":");
        text_json_number(line, metric->sum);
        tsp_text_puts(line, ",\"buckets\":[");
        for (size_t b = 0; b < metric->bucket_count; b++) {
            if (b > 0) tsp_text_putc(line, ',');
            tsp_text_putc(line, '[');
            text_json_number(line, metric->bucket_bounds[b]);
            tsp_text_putc(line, ',');
            tsp_text_u64(line, metric->bucket_counts[b]);
            tsp_text_putc(line, ']');
        }
        tsp_text_putc(line, ']');
    } else {
        tsp_text_puts(line, ",\"value\":");
        text_json_number(line, metric->value);
    }
    tsp_text_putc(line, '}');
    return NULL;
}

static tsr_status *events_on_metrics(void *instance, const tsr_metric_snapshot *snapshot)
{
    jsonl_events *self = instance;
    if (!self->include_metrics) return NULL;
    tsr_status *status = require_active(self, "on_metrics");
    if (status != NULL) return status;
    if (snapshot == NULL || !TSR_HAS_FIELD(snapshot, tsr_metric_snapshot, metric_count)) {
        return tsp_fail(self->api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME,
                        "on_metrics() needs a snapshot with struct_size >= %zu (ABI 1.0)",
                        sizeof(tsr_metric_snapshot));
    }
    size_t count = snapshot->metric_count;
    size_t stride = count > 0 && snapshot->metrics != NULL ? snapshot->metrics[0].struct_size : sizeof(tsr_metric);
    if (count > 0 && (snapshot->metrics == NULL || stride < sizeof(tsr_metric))) {
        return tsp_fail(self->api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME,
                        "the snapshot's %zu metrics are %s; each must have struct_size >= %zu (ABI 1.0)", count,
                        snapshot->metrics == NULL ? "a NULL array" : "too small", sizeof(tsr_metric));
    }
    tsp_text line = {0};
    tsp_text_putc(&line, '{');
    text_timestamp_fields(&line, snapshot->taken_unix_ns);
    tsp_text_puts(&line, ",\"type\":\"metrics\",\"metrics\":[");
    const unsigned char *base = (const unsigned char *)snapshot->metrics;
    for (size_t i = 0; i < count && status == NULL; i++) {
        if (i > 0) tsp_text_putc(&line, ',');
        status = append_metric(self, &line, (const tsr_metric *)(const void *)(base + i * stride), i);
    }
    tsp_text_puts(&line, "]}\n");
    if (status == NULL) status = write_line(self, &line, "a metrics snapshot");
    free(line.data);
    return status;
}

static tsr_status *events_flush(void *instance)
{
    jsonl_events *self = instance;
    if (self->fd < 0 || !self->sync) return NULL; /* nothing is buffered in the plugin */
    if (fsync(self->fd) != 0) {
        return tsp_fail(self->api, TSR_ERR_IO, PLUGIN_NAME, "fsync of '%s' failed: %s", self->path, strerror(errno));
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Descriptor                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static const tsr_exporter_vtable k_exporter = {
    .struct_size = (uint32_t)sizeof(tsr_exporter_vtable),
    .exporter_name = TESSERA_JSONL_EVENTS_EXPORTER_NAME,
    .on_metrics = events_on_metrics,
    .render = NULL, /* push only: nothing to pull */
    .on_event = events_on_event,
    .flush = events_flush,
};

static const void *events_get_capability(void *instance, const char *capability_id)
{
    (void)instance;
    if (capability_id != NULL && strcmp(capability_id, TSR_CAP_EXPORTER) == 0) return &k_exporter;
    return NULL;
}

static const char *const k_capabilities[] = {TSR_CAP_EXPORTER, NULL};

static const tsr_plugin_descriptor k_descriptor = {
    .struct_size = (uint32_t)sizeof(tsr_plugin_descriptor),
    .abi_major = TSR_ABI_MAJOR,
    .abi_minor = TSR_ABI_MINOR,
    .min_abi_minor = 0,
    .fingerprint = TSR_ABI_FINGERPRINT_INIT,
    .id = TESSERA_JSONL_EVENTS_ID,
    .name = PLUGIN_NAME,
    .version = "0.1.0",
    .vendor = "Tessera",
    .description = "Appends events (and optionally metric snapshots) to a file as JSON Lines.",
    .capabilities = k_capabilities,
    .create = events_create,
    .get_capability = events_get_capability,
    .activate = events_activate,
    .deactivate = events_deactivate,
    .destroy = events_destroy,
};

TSR_EXPORT const tsr_plugin_descriptor *tsr_plugin_entry(void)
{
    return &k_descriptor;
}

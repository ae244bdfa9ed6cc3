/*
 * csv-exporter — an example Tessera exporter plugin, "csv-metrics".
 *
 * Appends every metric snapshot and every event to a CSV file, one line per series or event:
 *     <unix_ns>,<name>,<labels as k=v;k=v>,<value>          counters and gauges
 *     <unix_ns>,<name>_count,<labels>,<count>               histograms (two lines)
 *     <unix_ns>,<name>_sum,<labels>,<sum>
 *     <unix_ns>,event,<type>,<model>,<version>,"<message>"  events
 * Fields containing a comma, a double quote or a line break are quoted as RFC 4180 says
 * (the message always is). The file is opened in append mode by activate() and closed by
 * deactivate(); every call ends with fflush so a crash of anything else loses nothing.
 *
 * Setting: path (string, required) — the CSV file to append to.
 *
 * Written against the public headers only. Build:
 *     cc -std=c11 -Wall -Wextra -pedantic -Werror -O2 -shared -fPIC -fvisibility=hidden \
 *        -I ../../include csv_exporter.c -o libcsv-exporter.so
 */
#define _POSIX_C_SOURCE 200809L

#include <tessera/tessera.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct csv_exporter {
    const tsr_host_api *api;
    tsr_host *host;
    char *path;  /**< our own copy of the `path` setting */
    FILE *file;  /**< open between activate() and deactivate() */
} csv_exporter;

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
/* CSV writing                                                                                */
/* ------------------------------------------------------------------------------------------ */

static int needs_quotes(const char *text)
{
    return text != NULL && strpbrk(text, ",\"\r\n") != NULL;
}

/** Writes `text`, doubling quotes when inside a quoted field. NULL writes nothing. */
static void put_text(FILE *file, const char *text, int quoted)
{
    if (text == NULL) return;
    for (const char *at = text; *at; at++) {
        if (quoted && *at == '"') fputc('"', file);
        fputc(*at, file);
    }
}

/** Writes one field, quoted when `force` or when its content needs it. */
static void put_field(FILE *file, const char *text, int force)
{
    int quoted = force || needs_quotes(text);
    if (quoted) fputc('"', file);
    put_text(file, text, quoted);
    if (quoted) fputc('"', file);
}

/** Writes a number in the shortest form that reads back exactly; NaN and infinities by name. */
static void put_number(FILE *file, double value)
{
    if (isnan(value)) {
        fputs("NaN", file);
        return;
    }
    if (isinf(value)) {
        fputs(value > 0 ? "+Inf" : "-Inf", file);
        return;
    }
    char text[40];
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(text, sizeof text, "%.*g", precision, value);
        if (strtod(text, NULL) == value) break;
    }
    fputs(text, file);
}

/** Writes the labels of `metric` as one field: k=v;k=v. */
static void put_labels(FILE *file, const tsr_metric *metric)
{
    int quoted = 0;
    for (size_t i = 0; i < metric->label_count; i++) {
        if (needs_quotes(metric->label_names[i]) || needs_quotes(metric->label_values[i])) quoted = 1;
    }
    if (quoted) fputc('"', file);
    for (size_t i = 0; i < metric->label_count; i++) {
        if (i > 0) fputc(';', file);
        put_text(file, metric->label_names[i], quoted);
        fputc('=', file);
        put_text(file, metric->label_values[i], quoted);
    }
    if (quoted) fputc('"', file);
}

/** Writes `<unix_ns>,<name><suffix>,<labels>,` — the start of a metric line. */
static void put_series_start(FILE *file, int64_t unix_ns, const tsr_metric *metric, const char *suffix)
{
    fprintf(file, "%" PRId64 ",", unix_ns);
    int quoted = needs_quotes(metric->name);
    if (quoted) fputc('"', file);
    put_text(file, metric->name, quoted);
    fputs(suffix, file);
    if (quoted) fputc('"', file);
    fputc(',', file);
    put_labels(file, metric);
    fputc(',', file);
}

/** Checks the stream after a batch of writes and flushes it. */
static tsr_status *finish_writes(csv_exporter *self)
{
    errno = 0;
    if (ferror(self->file) || fflush(self->file) != 0) {
        int error = errno;
        clearerr(self->file);
        return fail(self->api, TSR_ERR_IO, "cannot write to '%s': %s", self->path,
                    error ? strerror(error) : "write error");
    }
    return NULL;
}

static tsr_status *require_open(csv_exporter *self, const char *function)
{
    if (self->file != NULL) return NULL;
    return fail(self->api, TSR_ERR_FAILED_PRECONDITION, "%s() called while '%s' is not open (before activate or after "
                "deactivate)", function, self->path);
}

/* ------------------------------------------------------------------------------------------ */
/* The exporter vtable                                                                        */
/* ------------------------------------------------------------------------------------------ */

static tsr_status *csv_on_metrics(void *instance, const tsr_metric_snapshot *snapshot)
{
    csv_exporter *self = instance;
    tsr_status *status = require_open(self, "on_metrics");
    if (status != NULL) return status;
    if (snapshot == NULL || !TSR_HAS_FIELD(snapshot, tsr_metric_snapshot, metric_count) ||
        (snapshot->metric_count > 0 && snapshot->metrics == NULL)) {
        return self->api->status_create(TSR_ERR_INVALID_ARGUMENT, "on_metrics() was given a NULL or truncated snapshot");
    }
    /* Check every series before writing any, so a bad snapshot leaves no partial lines. */
    for (size_t i = 0; i < snapshot->metric_count; i++) {
        const tsr_metric *metric = &snapshot->metrics[i];
        int bad = !TSR_HAS_FIELD(metric, tsr_metric, count) || metric->name == NULL ||
                  (metric->label_count > 0 && (metric->label_names == NULL || metric->label_values == NULL));
        for (size_t l = 0; !bad && l < metric->label_count; l++) {
            bad = metric->label_names[l] == NULL || metric->label_values[l] == NULL;
        }
        if (bad) {
            return fail(self->api, TSR_ERR_INVALID_ARGUMENT,
                        "metric %zu of the snapshot is malformed (a NULL name or label, or struct_size %" PRIu32
                        " too small); nothing was written",
                        i, metric->struct_size);
        }
    }
    for (size_t i = 0; i < snapshot->metric_count; i++) {
        const tsr_metric *metric = &snapshot->metrics[i];
        switch (metric->kind) {
        case TSR_METRIC_COUNTER:
        case TSR_METRIC_GAUGE:
            put_series_start(self->file, snapshot->taken_unix_ns, metric, "");
            put_number(self->file, metric->value);
            fputc('\n', self->file);
            break;
        case TSR_METRIC_HISTOGRAM:
            put_series_start(self->file, snapshot->taken_unix_ns, metric, "_count");
            fprintf(self->file, "%" PRIu64 "\n", metric->count);
            put_series_start(self->file, snapshot->taken_unix_ns, metric, "_sum");
            put_number(self->file, metric->sum);
            fputc('\n', self->file);
            break;
        default:
            break; /* a kind added after ABI 1.0: skip it rather than fail the whole snapshot */
        }
    }
    return finish_writes(self);
}

static tsr_status *csv_on_event(void *instance, const tsr_event *event)
{
    csv_exporter *self = instance;
    tsr_status *status = require_open(self, "on_event");
    if (status != NULL) return status;
    if (event == NULL || !TSR_HAS_FIELD(event, tsr_event, message) || event->type == NULL || event->message == NULL) {
        return self->api->status_create(TSR_ERR_INVALID_ARGUMENT,
                                        "on_event() was given a NULL event, or one without type or message");
    }
    fprintf(self->file, "%" PRId64 ",event,", event->unix_ns);
    put_field(self->file, event->type, 0);
    fputc(',', self->file);
    put_field(self->file, event->model, 0);
    fputc(',', self->file);
    put_field(self->file, event->version, 0);
    fputc(',', self->file);
    put_field(self->file, event->message, 1);
    fputc('\n', self->file);
    return finish_writes(self);
}

static tsr_status *csv_render(void *instance, const char *format, const char **text, size_t *length)
{
    csv_exporter *self = instance;
    if (text != NULL) *text = NULL;
    if (length != NULL) *length = 0;
    return fail(self->api, TSR_ERR_UNSUPPORTED,
                "csv-metrics cannot render '%s': it only appends to '%s'; use an exporter that renders, such as "
                "prometheus",
                format ? format : "(null)", self->path);
}

static tsr_status *csv_flush(void *instance)
{
    csv_exporter *self = instance;
    if (self->file == NULL) return NULL; /* nothing buffered */
    return finish_writes(self);
}

static const tsr_exporter_vtable k_exporter = {
    .struct_size = sizeof(tsr_exporter_vtable),
    .exporter_name = "csv-metrics",
    .on_metrics = csv_on_metrics,
    .render = csv_render,
    .on_event = csv_on_event,
    .flush = csv_flush,
};

/* ------------------------------------------------------------------------------------------ */
/* Descriptor and lifecycle                                                                   */
/* ------------------------------------------------------------------------------------------ */

static tsr_status *csv_create(const tsr_host_api *api, tsr_host *host, void **instance)
{
    if (instance == NULL) return api->status_create(TSR_ERR_INVALID_ARGUMENT, "create() was given a NULL instance pointer");
    *instance = NULL;
    if (!TSR_HAS_FIELD(api, tsr_host_api, setting_bool)) {
        return api->status_create(TSR_ERR_FAILED_PRECONDITION, "the host API table is smaller than ABI 1.0's");
    }
    size_t count = api->setting_count(host);
    for (size_t i = 0; i < count; i++) {
        const char *key = api->setting_key(host, i);
        if (key != NULL && strcmp(key, "path") != 0) {
            return fail(api, TSR_ERR_INVALID_SETTING, "unknown setting '%s'; csv-metrics accepts only 'path'", key);
        }
    }
    tsr_setting_kind kind = api->setting_kind(host, "path");
    if (kind == TSR_SETTING_ABSENT) {
        return api->status_create(TSR_ERR_INVALID_SETTING, "setting 'path' is required: the CSV file to append to");
    }
    const char *path = api->setting_string(host, "path");
    if (kind != TSR_SETTING_STRING || path == NULL || path[0] == '\0') {
        return api->status_create(TSR_ERR_INVALID_SETTING,
                                  "setting 'path' must be a non-empty string naming the CSV file to append to, e.g. "
                                  "path = \"/var/log/tessera/metrics.csv\"");
    }

    csv_exporter *self = calloc(1, sizeof *self);
    char *copy = malloc(strlen(path) + 1);
    if (self == NULL || copy == NULL) {
        free(self);
        free(copy);
        return api->status_create(TSR_ERR_OUT_OF_MEMORY, "out of memory creating the instance");
    }
    strcpy(copy, path);
    self->api = api;
    self->host = host;
    self->path = copy;
    *instance = self;

    char line[512];
    snprintf(line, sizeof line, "csv-metrics will append metrics and events to %s", copy);
    api->log(host, TSR_LOG_INFO, line);
    return NULL;
}

static const void *csv_get_capability(void *instance, const char *capability_id)
{
    (void)instance;
    if (capability_id != NULL && strcmp(capability_id, TSR_CAP_EXPORTER) == 0) return &k_exporter;
    return NULL;
}

static tsr_status *csv_activate(void *instance)
{
    csv_exporter *self = instance;
    if (self->file != NULL) return NULL;
    self->file = fopen(self->path, "a");
    if (self->file == NULL) {
        return fail(self->api, TSR_ERR_IO,
                    "cannot open '%s' for appending: %s; create its directory or fix its permissions, or point "
                    "'path' elsewhere",
                    self->path, strerror(errno));
    }
    return NULL;
}

static void close_file(csv_exporter *self)
{
    if (self->file == NULL) return;
    if (fclose(self->file) != 0) {
        char line[512];
        snprintf(line, sizeof line, "closing %s failed: %s; its last lines may be lost", self->path, strerror(errno));
        self->api->log(self->host, TSR_LOG_WARNING, line);
    }
    self->file = NULL;
}

static void csv_deactivate(void *instance)
{
    close_file(instance);
}

static void csv_destroy(void *instance)
{
    csv_exporter *self = instance;
    if (self == NULL) return;
    close_file(self); /* in case deactivate was not called (activate failed) */
    free(self->path);
    free(self);
}

static const char *const k_capabilities[] = {TSR_CAP_EXPORTER, NULL};

static const tsr_plugin_descriptor k_descriptor = {
    .struct_size = sizeof(tsr_plugin_descriptor),
    .abi_major = TSR_ABI_MAJOR,
    .abi_minor = TSR_ABI_MINOR,
    .min_abi_minor = 0,
    .fingerprint = TSR_ABI_FINGERPRINT_INIT,
    .id = "org.example.csv-exporter",
    .name = "csv-exporter",
    .version = "1.0.0",
    .vendor = "Example Org",
    .description = "Appends metric snapshots and events to a CSV file.",
    .capabilities = k_capabilities,
    .create = csv_create,
    .get_capability = csv_get_capability,
    .activate = csv_activate,
    .deactivate = csv_deactivate,
    .destroy = csv_destroy,
};

TSR_EXPORT const tsr_plugin_descriptor *tsr_plugin_entry(void)
{
    return &k_descriptor;
}

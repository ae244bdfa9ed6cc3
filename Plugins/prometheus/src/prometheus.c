/*
 * prometheus — a Tessera exporter plugin that renders the latest metric snapshot in the
 * Prometheus text exposition format 0.0.4 (for GET /metrics).
 *
 * on_metrics() keeps a deep copy of the snapshot (the host's is borrowed for the call only);
 * render() groups series into families by name and writes one # HELP and # TYPE per family.
 *
 * Everything here except tsr_plugin_entry is static, and the shared helpers (tsp_*, from
 * Plugins/support) are hidden: the library exports one symbol.
 */
#define _POSIX_C_SOURCE 200809L

#include <tessera/tessera.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera_prometheus.h"
#include "tessera_plugin_support.h"

#define PLUGIN_NAME "prometheus"
#define SUPPORTED_FORMATS "prometheus-text, text/plain"

/* ------------------------------------------------------------------------------------------ */
/* Settings                                                                                   */
/* ------------------------------------------------------------------------------------------ */

static const tsp_setting_spec k_settings[] = {
    {"namespace", TSR_SETTING_STRING, "namespace = \"tessera\""},
};
#define SETTING_COUNT (sizeof k_settings / sizeof k_settings[0])

/* ------------------------------------------------------------------------------------------ */
/* Names                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static int is_name_start(char c, int colon_allowed)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_allowed && c == ':');
}

static int is_name_char(char c, int colon_allowed)
{
    return is_name_start(c, colon_allowed) || (c >= '0' && c <= '9');
}

/** True when `name` matches [a-zA-Z_:][a-zA-Z0-9_:]* (metric names) or, without colons, label names. */
static int is_valid_name(const char *name, int colon_allowed)
{
    if (!is_name_start(name[0], colon_allowed)) return 0;
    for (const char *c = name + 1; *c; c++) {
        if (!is_name_char(*c, colon_allowed)) return 0;
    }
    return 1;
}

/**
 * A copy of `name` made valid for the exposition format: characters that are not allowed
 * become '_', and a leading digit gets a '_' in front. `prefix` (may be NULL) is prepended
 * unless `name` already starts with it. NULL when out of memory.
 */
static char *exposition_name(const char *prefix, const char *name, int colon_allowed)
{
    size_t prefix_length = prefix ? strlen(prefix) : 0;
    if (prefix_length > 0 && strncmp(name, prefix, prefix_length) == 0) prefix_length = 0;
    size_t name_length = strlen(name);
    int lead = prefix_length == 0 && !is_name_start(name[0], colon_allowed);
    char *result = malloc(prefix_length + (size_t)lead + name_length + 1);
    if (result == NULL) return NULL;
    char *out = result;
    if (prefix_length > 0) {
        memcpy(out, prefix, prefix_length);
        out += prefix_length;
    }
    if (lead) *out++ = '_';
    for (size_t i = 0; i < name_length; i++) *out++ = is_name_char(name[i], colon_allowed) ? name[i] : '_';
    *out = '\0';
    return result;
}

/* ------------------------------------------------------------------------------------------ */
/* The kept snapshot                                                                          */
/* ------------------------------------------------------------------------------------------ */

/** A series, owning every string and array. */
typedef struct series_copy {
    tsr_metric_kind kind;
    char *name;           /**< exposition name: sanitized, namespace applied */
    char *help;           /**< may be NULL */
    char **label_names;   /**< sanitized */
    char **label_values;
    size_t label_count;
    double value;
    double *bucket_bounds;
    uint64_t *bucket_counts;
    size_t bucket_count;
    double sum;
    uint64_t count;
} series_copy;

typedef struct snapshot_copy {
    series_copy *series;
    size_t count;
} snapshot_copy;

typedef struct prometheus {
    const tsr_host_api *api;
    tsr_host *host;
    char *prefix;            /**< "<namespace>_", or NULL */
    snapshot_copy snapshot;  /**< empty until the first on_metrics() */
    tsp_text rendered;       /**< the last render()'s text */
    int warned_conflict;     /**< logged once that series of one name had different kinds */
} prometheus;

static void free_series(series_copy *s)
{
    free(s->name);
    free(s->help);
    for (size_t l = 0; l < s->label_count; l++) {
        if (s->label_names) free(s->label_names[l]);
        if (s->label_values) free(s->label_values[l]);
    }
    free(s->label_names);
    free(s->label_values);
    free(s->bucket_bounds);
    free(s->bucket_counts);
}

static void free_snapshot(snapshot_copy *snapshot)
{
    for (size_t i = 0; i < snapshot->count; i++) free_series(&snapshot->series[i]);
    free(snapshot->series);
    snapshot->series = NULL;
    snapshot->count = 0;
}

/** Deep-copies one series; returns 0 when out of memory (what was copied is freed by the caller). */
static int copy_series(series_copy *to, const tsr_metric *from, const char *prefix)
{
    to->kind = from->kind;
    to->value = from->value;
    to->sum = from->sum;
    to->count = from->count;
    to->name = exposition_name(prefix, from->name, 1);
    if (to->name == NULL) return 0;
    if (from->help != NULL && (to->help = tsp_strdup(from->help)) == NULL) return 0;
    if (from->label_count > 0) {
        to->label_names = calloc(from->label_count, sizeof *to->label_names);
        to->label_values = calloc(from->label_count, sizeof *to->label_values);
        if (to->label_names == NULL || to->label_values == NULL) return 0;
        to->label_count = from->label_count;
        for (size_t l = 0; l < from->label_count; l++) {
            to->label_names[l] = exposition_name(NULL, from->label_names[l] ? from->label_names[l] : "", 0);
            to->label_values[l] = tsp_strdup(from->label_values[l]);
            if (to->label_names[l] == NULL || to->label_values[l] == NULL) return 0;
        }
    }
    if (from->kind == TSR_METRIC_HISTOGRAM && from->bucket_count > 0) {
        to->bucket_bounds = malloc(from->bucket_count * sizeof *to->bucket_bounds);
        to->bucket_counts = malloc(from->bucket_count * sizeof *to->bucket_counts);
        if (to->bucket_bounds == NULL || to->bucket_counts == NULL) return 0;
        memcpy(to->bucket_bounds, from->bucket_bounds, from->bucket_count * sizeof *to->bucket_bounds);
        memcpy(to->bucket_counts, from->bucket_counts, from->bucket_count * sizeof *to->bucket_counts);
        to->bucket_count = from->bucket_count;
    }
    return 1;
}

/** Reports what is structurally wrong with a host-provided series, or NULL. */
static tsr_status *check_metric(const tsr_host_api *api, const tsr_metric *metric, size_t index)
{
    if (metric->name == NULL || metric->name[0] == '\0') {
        return tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME, "metric %zu of the snapshot has no name", index);
    }
    if (metric->kind != TSR_METRIC_COUNTER && metric->kind != TSR_METRIC_GAUGE && metric->kind != TSR_METRIC_HISTOGRAM) {
        return tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME,
                        "metric '%s' has unknown kind %d (expected TSR_METRIC_COUNTER, _GAUGE or _HISTOGRAM)",
                        metric->name, (int)metric->kind);
    }
    if (metric->label_count > 0 && (metric->label_names == NULL || metric->label_values == NULL)) {
        return tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME, "metric '%s' has %zu labels but NULL label arrays",
                        metric->name, metric->label_count);
    }
    if (metric->kind == TSR_METRIC_HISTOGRAM && metric->bucket_count > 0 &&
        (metric->bucket_bounds == NULL || metric->bucket_counts == NULL)) {
        return tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME, "histogram '%s' has %zu buckets but NULL bucket arrays",
                        metric->name, metric->bucket_count);
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Text                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/** Escapes backslash and newline (HELP text), and also the double quote (label values). */
static void text_escaped(tsp_text *t, const char *s, int escape_quote)
{
    for (const char *run = s;; s++) {
        char c = *s;
        if (c == '\0' || c == '\\' || c == '\n' || (escape_quote && c == '"')) {
            tsp_text_append(t, run, (size_t)(s - run));
            if (c == '\0') return;
            tsp_text_puts(t, c == '\\' ? "\\\\" : c == '\n' ? "\\n" : "\\\"");
            run = s + 1;
        }
    }
}

/**
 * Formats a number as Prometheus reads it back exactly: +Inf, -Inf and NaN spelled out,
 * integral values (below 1e21) without exponent or fraction, others with the fewest
 * significant digits (15 to 17) that round-trip.
 */
static void format_number(char *out, size_t size, double value)
{
    if (isnan(value)) {
        snprintf(out, size, "NaN");
    } else if (isinf(value)) {
        snprintf(out, size, value > 0 ? "+Inf" : "-Inf");
    } else if (value == 0) {
        snprintf(out, size, "0");
    } else if (value == floor(value) && fabs(value) < 1e21) {
        snprintf(out, size, "%.0f", value);
    } else {
        tsp_format_shortest(out, size, value);
    }
}

static void text_number(tsp_text *t, double value)
{
    char number[48];
    format_number(number, sizeof number, value);
    tsp_text_puts(t, number);
}

/**
 * Writes "{a="x",b="y"}" (nothing when there are no labels). `le` (may be NULL) is added last;
 * a series label that repeats an earlier one, or is called "le" on a histogram, is dropped.
 */
static void text_labels(tsp_text *t, const series_copy *s, const char *le)
{
    int any = 0;
    for (size_t l = 0; l < s->label_count; l++) {
        const char *name = s->label_names[l];
        if (le != NULL && strcmp(name, "le") == 0) continue;
        int repeated = 0;
        for (size_t e = 0; e < l && !repeated; e++) repeated = strcmp(s->label_names[e], name) == 0;
        if (repeated) continue;
        tsp_text_putc(t, any ? ',' : '{');
        any = 1;
        tsp_text_puts(t, name);
        tsp_text_puts(t, "=\"");
        text_escaped(t, s->label_values[l], 1);
        tsp_text_putc(t, '"');
    }
    if (le != NULL) {
        tsp_text_putc(t, any ? ',' : '{');
        any = 1;
        tsp_text_puts(t, "le=\"");
        tsp_text_puts(t, le);
        tsp_text_putc(t, '"');
    }
    if (any) tsp_text_putc(t, '}');
}

static void render_sample(tsp_text *t, const char *name, const char *suffix, const series_copy *s, const char *le)
{
    tsp_text_puts(t, name);
    tsp_text_puts(t, suffix);
    text_labels(t, s, le);
    tsp_text_putc(t, ' ');
}

static void render_series(tsp_text *t, const series_copy *s)
{
    if (s->kind != TSR_METRIC_HISTOGRAM) {
        render_sample(t, s->name, "", s, NULL);
        text_number(t, s->value);
        tsp_text_putc(t, '\n');
        return;
    }
    char le[48];
    for (size_t b = 0; b < s->bucket_count; b++) {
        double bound = s->bucket_bounds[b];
        if (isnan(bound) || (isinf(bound) && bound > 0)) continue; /* +Inf is written below, from count */
        format_number(le, sizeof le, bound);
        render_sample(t, s->name, "_bucket", s, le);
        tsp_text_u64(t, s->bucket_counts[b]);
        tsp_text_putc(t, '\n');
    }
    render_sample(t, s->name, "_bucket", s, "+Inf");
    tsp_text_u64(t, s->count);
    tsp_text_putc(t, '\n');
    render_sample(t, s->name, "_sum", s, NULL);
    text_number(t, s->sum);
    tsp_text_putc(t, '\n');
    render_sample(t, s->name, "_count", s, NULL);
    tsp_text_u64(t, s->count);
    tsp_text_putc(t, '\n');
}

/** A series' place: sorted by name, then by position in the snapshot. */
typedef struct order_entry {
    const char *name;
    size_t index;
} order_entry;

static int compare_order(const void *a, const void *b)
{
    const order_entry *x = a, *y = b;
    int names = strcmp(x->name, y->name);
    if (names != 0) return names;
    return (x->index > y->index) - (x->index < y->index);
}

/** A family: a run [start, end) of the sorted order, all of one name. */
typedef struct family {
    size_t start;
    size_t end;
    size_t first_index; /**< where the family first appears in the snapshot */
} family;

static int compare_family(const void *a, const void *b)
{
    const family *x = a, *y = b;
    return (x->first_index > y->first_index) - (x->first_index < y->first_index);
}

static const char *type_name(tsr_metric_kind kind)
{
    return kind == TSR_METRIC_COUNTER ? "counter" : kind == TSR_METRIC_GAUGE ? "gauge" : "histogram";
}

/** Renders the kept snapshot into self->rendered; families appear in first-seen order. */
static int render_text(prometheus *self)
{
    const snapshot_copy *snapshot = &self->snapshot;
    tsp_text *t = &self->rendered;
    tsp_text_append(t, "", 0); /* an empty snapshot still yields "" rather than NULL */
    if (snapshot->count == 0) return !t->out_of_memory;

    order_entry *order = malloc(snapshot->count * sizeof *order);
    family *families = malloc(snapshot->count * sizeof *families);
    if (order == NULL || families == NULL) {
        free(order);
        free(families);
        return 0;
    }
    for (size_t i = 0; i < snapshot->count; i++) {
        order[i].name = snapshot->series[i].name;
        order[i].index = i;
    }
    qsort(order, snapshot->count, sizeof *order, compare_order);
    size_t family_count = 0;
    for (size_t i = 0; i < snapshot->count;) {
        size_t end = i + 1;
        while (end < snapshot->count && strcmp(order[end].name, order[i].name) == 0) end++;
        families[family_count].start = i;
        families[family_count].end = end;
        families[family_count].first_index = order[i].index;
        family_count++;
        i = end;
    }
    qsort(families, family_count, sizeof *families, compare_family);

    int conflict = 0;
    for (size_t f = 0; f < family_count; f++) {
        const series_copy *first = &snapshot->series[families[f].first_index];
        tsp_text_puts(t, "# HELP ");
        tsp_text_puts(t, first->name);
        if (first->help != NULL && first->help[0] != '\0') {
            tsp_text_putc(t, ' ');
            text_escaped(t, first->help, 0);
        }
        tsp_text_puts(t, "\n# TYPE ");
        tsp_text_puts(t, first->name);
        tsp_text_putc(t, ' ');
        tsp_text_puts(t, type_name(first->kind));
        tsp_text_putc(t, '\n');
        for (size_t i = families[f].start; i < families[f].end; i++) {
            const series_copy *s = &snapshot->series[order[i].index];
            if (s->kind != first->kind) {
                conflict = 1; /* one family has one type; Prometheus would reject the scrape */
                continue;
            }
            render_series(t, s);
        }
    }
    free(order);
    free(families);
    if (conflict && !self->warned_conflict) {
        self->warned_conflict = 1;
        self->api->log(self->host, TSR_LOG_WARNING,
                       PLUGIN_NAME ": series sharing a metric name have different kinds; only those of the first kind "
                       "seen are exported");
    }
    return !t->out_of_memory;
}

/* ------------------------------------------------------------------------------------------ */
/* Lifecycle                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static tsr_status *prometheus_create(const tsr_host_api *api, tsr_host *host, void **instance)
{
    tsr_status *status;
    if (!tsp_create_begin(api, instance, PLUGIN_NAME, TSP_SIZE_THROUGH(tsr_host_api, setting_bool), &status)) return status;
    if ((status = tsp_check_settings(api, host, PLUGIN_NAME, k_settings, SETTING_COUNT)) != NULL) return status;

    const char *namespace_setting = api->setting_string(host, "namespace");
    char *prefix = NULL;
    if (namespace_setting != NULL && namespace_setting[0] != '\0') {
        if (!is_valid_name(namespace_setting, 1)) {
            return tsp_fail(api, TSR_ERR_INVALID_SETTING, PLUGIN_NAME,
                            "setting 'namespace' must be a valid metric name prefix matching "
                            "[a-zA-Z_:][a-zA-Z0-9_:]* (e.g. namespace = \"tessera\"), but it is '%s'",
                            namespace_setting);
        }
        size_t length = strlen(namespace_setting);
        int underscore = namespace_setting[length - 1] == '_';
        prefix = malloc(length + 2);
        if (prefix == NULL) return api->status_create(TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME ": out of memory creating the instance");
        memcpy(prefix, namespace_setting, length);
        if (!underscore) prefix[length++] = '_';
        prefix[length] = '\0';
    }

    prometheus *self = calloc(1, sizeof *self);
    if (self == NULL) {
        free(prefix);
        return api->status_create(TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME ": out of memory creating the instance");
    }
    self->api = api;
    self->host = host;
    self->prefix = prefix;
    *instance = self;
    return NULL;
}

static void prometheus_destroy(void *instance)
{
    prometheus *self = instance;
    if (self == NULL) return;
    free_snapshot(&self->snapshot);
    free(self->rendered.data);
    free(self->prefix);
    free(self);
}

/* ------------------------------------------------------------------------------------------ */
/* Exporter                                                                                   */
/* ------------------------------------------------------------------------------------------ */

static tsr_status *prometheus_on_metrics(void *instance, const tsr_metric_snapshot *snapshot)
{
    prometheus *self = instance;
    const tsr_host_api *api = self->api;
    if (snapshot == NULL || !TSR_HAS_FIELD(snapshot, tsr_metric_snapshot, metric_count)) {
        return tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME, "on_metrics() needs a snapshot with struct_size >= %zu (ABI 1.0)",
                        sizeof(tsr_metric_snapshot));
    }
    size_t count = snapshot->metric_count;
    if (count > 0 && snapshot->metrics == NULL) {
        return tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME, "the snapshot has %zu metrics but a NULL array", count);
    }
    /* The array's stride is the host's struct_size, so a newer host's longer entries still work. */
    size_t stride = count > 0 ? snapshot->metrics[0].struct_size : sizeof(tsr_metric);
    if (stride < sizeof(tsr_metric)) {
        return tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME,
                        "the snapshot's metrics have struct_size %zu, smaller than ABI 1.0's %zu; set it to "
                        "sizeof(tsr_metric)",
                        stride, sizeof(tsr_metric));
    }
    const unsigned char *base = (const unsigned char *)snapshot->metrics;
    for (size_t i = 0; i < count; i++) {
        tsr_status *status = check_metric(api, (const tsr_metric *)(const void *)(base + i * stride), i);
        if (status != NULL) return status;
    }

    snapshot_copy copy = {NULL, 0};
    if (count > 0) {
        copy.series = calloc(count, sizeof *copy.series);
        if (copy.series == NULL) {
            return tsp_fail(api, TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME, "out of memory copying a snapshot of %zu series", count);
        }
    }
    for (size_t i = 0; i < count; i++) {
        copy.count = i + 1; /* so a partial copy is freed entirely */
        if (!copy_series(&copy.series[i], (const tsr_metric *)(const void *)(base + i * stride), self->prefix)) {
            free_snapshot(&copy);
            return tsp_fail(api, TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME, "out of memory copying a snapshot of %zu series", count);
        }
    }
    free_snapshot(&self->snapshot);
    self->snapshot = copy;
    return NULL;
}

/** True for "text/plain" alone or with parameters ("text/plain; version=0.0.4"). */
static int is_text_plain(const char *format)
{
    size_t length = strlen("text/plain");
    return strncmp(format, "text/plain", length) == 0 &&
           (format[length] == '\0' || format[length] == ';' || format[length] == ' ');
}

static tsr_status *prometheus_render(void *instance, const char *format, const char **text_out, size_t *length)
{
    prometheus *self = instance;
    const tsr_host_api *api = self->api;
    if (text_out == NULL || length == NULL) {
        return api->status_create(TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME ": render() needs non-NULL text and length pointers");
    }
    *text_out = NULL;
    *length = 0;
    if (format == NULL || (strcmp(format, TESSERA_PROMETHEUS_FORMAT_TEXT) != 0 && !is_text_plain(format))) {
        return tsp_fail(api, TSR_ERR_UNSUPPORTED, PLUGIN_NAME, "unsupported render format '%s'; supported formats: " SUPPORTED_FORMATS,
                        format ? format : "(null)");
    }
    self->rendered.length = 0;
    self->rendered.out_of_memory = 0;
    if (!render_text(self)) {
        return tsp_fail(api, TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME, "out of memory rendering %zu series", self->snapshot.count);
    }
    *text_out = self->rendered.data;
    *length = self->rendered.length;
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Descriptor                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static const tsr_exporter_vtable k_exporter = {
    .struct_size = (uint32_t)sizeof(tsr_exporter_vtable),
    .exporter_name = TESSERA_PROMETHEUS_EXPORTER_NAME,
    .on_metrics = prometheus_on_metrics,
    .render = prometheus_render,
    .on_event = NULL, /* events are not metrics */
    .flush = NULL,    /* nothing is buffered: scrapes pull */
};

static const void *prometheus_get_capability(void *instance, const char *capability_id)
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
    .id = TESSERA_PROMETHEUS_ID,
    .name = PLUGIN_NAME,
    .version = "0.1.0",
    .vendor = "Tessera",
    .description = "Renders the latest metric snapshot in the Prometheus text exposition format 0.0.4.",
    .capabilities = k_capabilities,
    .create = prometheus_create,
    .get_capability = prometheus_get_capability,
    .activate = tsp_activate_nothing,
    .deactivate = tsp_deactivate_nothing,
    .destroy = prometheus_destroy,
};

TSR_EXPORT const tsr_plugin_descriptor *tsr_plugin_entry(void)
{
    return &k_descriptor;
}

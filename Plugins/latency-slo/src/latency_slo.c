/*
 * latency-slo — a Tessera monitor plugin that judges request latency against objectives.
 *
 * observe() keeps, per (model, version), the latencies of the `window` most recent requests in
 * a ring buffer. evaluate() merges the windows that match the question (one version, all
 * versions of a model, or everything), computes exact nearest-rank percentiles on a sorted
 * copy and compares p99 (and p50 when configured) with the objectives.
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

#include "tessera_latency_slo.h"
#include "tessera_plugin_support.h"

#define PLUGIN_NAME "latency-slo"

/** Largest accepted `window`: 10 million samples (80 MB) per model version is plenty. */
#define MAX_WINDOW 10000000

/* ------------------------------------------------------------------------------------------ */
/* Settings                                                                                   */
/* ------------------------------------------------------------------------------------------ */

static const tsp_setting_spec k_settings[] = {
    {"p99_ms", TSR_SETTING_FLOAT, "p99_ms = 50"},
    {"p50_ms", TSR_SETTING_FLOAT, "p50_ms = 20"},
    {"min_requests", TSR_SETTING_INT, "min_requests = 20"},
    {"window", TSR_SETTING_INT, "window = 1000"},
};
#define SETTING_COUNT (sizeof k_settings / sizeof k_settings[0])

/* ------------------------------------------------------------------------------------------ */
/* State                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/** The recent latencies of one model version. */
typedef struct series {
    char *model;
    char *version;
    double *samples;  /**< ring buffer; grows up to the window, then wraps */
    size_t capacity;  /**< allocated entries */
    size_t count;     /**< stored entries, <= window */
    size_t head;      /**< once full: the oldest entry, overwritten next */
} series;

enum { GAUGE_P50, GAUGE_P90, GAUGE_P99, GAUGE_REQUESTS, GAUGE_COUNT };

typedef struct latency_slo {
    const tsr_host_api *api;
    tsr_host *host;

    double p99_ms;
    double p50_ms;
    int has_p50;
    size_t min_requests;
    size_t window;

    series *series;
    size_t series_count;
    size_t series_capacity;
    size_t last_hit;          /**< index of the series the last record went to */
    int warned_bad_latency;   /**< logged once that records with bad latencies are ignored */

    char reason[1024];        /**< the last verdict's reason */
    tsr_gauge gauges[GAUGE_COUNT];
} latency_slo;

static void free_series(latency_slo *self)
{
    for (size_t i = 0; i < self->series_count; i++) {
        free(self->series[i].model);
        free(self->series[i].version);
        free(self->series[i].samples);
    }
    free(self->series);
    self->series = NULL;
    self->series_count = 0;
    self->series_capacity = 0;
    self->last_hit = 0;
}

/** The series for (model, version), created when new; NULL when out of memory. */
static series *find_series(latency_slo *self, const char *model, const char *version)
{
    if (self->last_hit < self->series_count) {
        series *hit = &self->series[self->last_hit];
        if (strcmp(hit->model, model) == 0 && strcmp(hit->version, version) == 0) return hit;
    }
    for (size_t i = 0; i < self->series_count; i++) {
        series *candidate = &self->series[i];
        if (strcmp(candidate->model, model) == 0 && strcmp(candidate->version, version) == 0) {
            self->last_hit = i;
            return candidate;
        }
    }
    if (self->series_count == self->series_capacity) {
        size_t capacity = self->series_capacity ? self->series_capacity * 2 : 8;
        series *grown = realloc(self->series, capacity * sizeof *grown);
        if (grown == NULL) return NULL;
        self->series = grown;
        self->series_capacity = capacity;
    }
    char *model_copy = tsp_strdup(model);
    char *version_copy = tsp_strdup(version);
    if (model_copy == NULL || version_copy == NULL) {
        free(model_copy);
        free(version_copy);
        return NULL;
    }
    series *created = &self->series[self->series_count];
    memset(created, 0, sizeof *created);
    created->model = model_copy;
    created->version = version_copy;
    self->last_hit = self->series_count++;
    return created;
}

/** Appends one latency; returns 0 when out of memory. */
static int push_sample(series *target, size_t window, double latency)
{
    if (target->count < window) {
        if (target->count == target->capacity) {
            size_t capacity = target->capacity ? target->capacity * 2 : 64;
            if (capacity > window) capacity = window;
            double *grown = realloc(target->samples, capacity * sizeof *grown);
            if (grown == NULL) return 0;
            target->samples = grown;
            target->capacity = capacity;
        }
        target->samples[target->count++] = latency;
    } else {
        target->samples[target->head] = latency;
        target->head = (target->head + 1) % window;
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Lifecycle                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static tsr_status *read_positive_ms(const tsr_host_api *api, tsr_host *host, const char *key, double *out, int *present)
{
    double value = 0;
    *present = api->setting_float(host, key, &value);
    if (!*present) return NULL;
    if (!isfinite(value) || value <= 0) {
        return tsp_fail(api, TSR_ERR_INVALID_SETTING, PLUGIN_NAME,
                        "setting '%s' must be a positive number of milliseconds (e.g. %s = 50), but it is %g",
                        key, key, value);
    }
    *out = value;
    return NULL;
}

static tsr_status *latency_create(const tsr_host_api *api, tsr_host *host, void **instance)
{
    tsr_status *status;
    if (!tsp_create_begin(api, instance, PLUGIN_NAME, TSP_SIZE_THROUGH(tsr_host_api, setting_bool), &status)) return status;
    if ((status = tsp_check_settings(api, host, PLUGIN_NAME, k_settings, SETTING_COUNT)) != NULL) return status;

    double p99_ms = 50.0, p50_ms = 0.0;
    int has_p99 = 0, has_p50 = 0;
    if ((status = read_positive_ms(api, host, "p99_ms", &p99_ms, &has_p99)) != NULL) return status;
    if ((status = read_positive_ms(api, host, "p50_ms", &p50_ms, &has_p50)) != NULL) return status;

    int64_t window = 1000, min_requests = 20;
    api->setting_int(host, "window", &window);
    api->setting_int(host, "min_requests", &min_requests);
    if (window < 1 || window > MAX_WINDOW) {
        return tsp_fail(api, TSR_ERR_INVALID_SETTING, PLUGIN_NAME,
                        "setting 'window' must be between 1 and %d requests (e.g. window = 1000), but it is %" PRId64,
                        MAX_WINDOW, window);
    }
    if (min_requests < 1 || min_requests > window) {
        return tsp_fail(api, TSR_ERR_INVALID_SETTING, PLUGIN_NAME,
                        "setting 'min_requests' must be between 1 and window (%" PRId64 "), but it is %" PRId64
                        "; a larger value could never be reached",
                        window, min_requests);
    }

    latency_slo *self = calloc(1, sizeof *self);
    if (self == NULL) return api->status_create(TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME ": out of memory creating the instance");
    self->api = api;
    self->host = host;
    self->p99_ms = p99_ms;
    self->p50_ms = p50_ms;
    self->has_p50 = has_p50;
    self->window = (size_t)window;
    self->min_requests = (size_t)min_requests;
    *instance = self;
    return NULL;
}

static void latency_destroy(void *instance)
{
    latency_slo *self = instance;
    if (self == NULL) return;
    free_series(self);
    free(self);
}

/* ------------------------------------------------------------------------------------------ */
/* Monitor                                                                                    */
/* ------------------------------------------------------------------------------------------ */

static tsr_status *latency_observe(void *instance, const tsr_request_record *records, size_t count)
{
    latency_slo *self = instance;
    const tsr_host_api *api = self->api;
    if (count == 0) return NULL;
    if (records == NULL) {
        return tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME, "observe() got %zu records but a NULL array", count);
    }
    /* The array's stride is the host's struct_size, so a newer host's longer records still work. */
    size_t stride = records[0].struct_size;
    if (stride < sizeof(tsr_request_record)) {
        return tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME,
                        "observe() got records with struct_size %zu, smaller than ABI 1.0's %zu; "
                        "set struct_size to sizeof(tsr_request_record)",
                        stride, sizeof(tsr_request_record));
    }
    const unsigned char *base = (const unsigned char *)records;
    for (size_t i = 0; i < count; i++) {
        const tsr_request_record *record = (const tsr_request_record *)(const void *)(base + i * stride);
        if (record->model == NULL) continue; /* cannot be attributed to a model */
        double latency = record->latency_seconds;
        if (!isfinite(latency) || latency < 0) {
            if (!self->warned_bad_latency) {
                self->warned_bad_latency = 1;
                api->log(self->host, TSR_LOG_WARNING,
                         PLUGIN_NAME ": ignoring requests whose latency_seconds is negative, infinite or NaN");
            }
            continue;
        }
        series *target = find_series(self, record->model, record->version ? record->version : "");
        if (target == NULL || !push_sample(target, self->window, latency)) {
            return tsp_fail(api, TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME, "out of memory storing latencies of model '%s'",
                            record->model);
        }
    }
    return NULL;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/** Nearest-rank percentile `p` (1..100) of `n` sorted values: the ceil(p*n/100)-th smallest. */
static double nearest_rank(const double *sorted, size_t n, unsigned p)
{
    size_t rank = (p * n + 99) / 100;
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return sorted[rank - 1];
}

/** Writes milliseconds readably: one decimal from 1 ms up, three significant digits below. */
static void format_ms(char *buffer, size_t size, double ms)
{
    if (ms >= 1.0) snprintf(buffer, size, "%.1f", ms);
    else snprintf(buffer, size, "%.3g", ms);
}

static void set_gauge(tsr_gauge *gauge, const char *name, const char *help, double value)
{
    memset(gauge, 0, sizeof *gauge);
    gauge->struct_size = (uint32_t)sizeof *gauge;
    gauge->name = name;
    gauge->help = help;
    gauge->value = value;
}

static tsr_status *latency_evaluate(void *instance, const char *model, const char *version, tsr_monitor_verdict *out)
{
    latency_slo *self = instance;
    const tsr_host_api *api = self->api;
    if (out == NULL) return api->status_create(TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME ": evaluate() was given a NULL verdict");
    if (!TSR_HAS_FIELD(out, tsr_monitor_verdict, state)) {
        return tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME,
                        "evaluate() got a verdict with struct_size %u; set it to sizeof(tsr_monitor_verdict)",
                        (unsigned)out->struct_size);
    }

    /* Which series the question covers. A NULL model means everything, whatever `version` says. */
    size_t total = 0;
    for (size_t i = 0; i < self->series_count; i++) {
        const series *s = &self->series[i];
        if (model != NULL && (strcmp(s->model, model) != 0 || (version != NULL && strcmp(s->version, version) != 0))) continue;
        total += s->count;
    }
    double *sorted = NULL;
    if (total > 0) {
        sorted = malloc(total * sizeof *sorted);
        if (sorted == NULL) return tsp_fail(api, TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME, "out of memory sorting %zu latencies", total);
        size_t at = 0;
        for (size_t i = 0; i < self->series_count; i++) {
            const series *s = &self->series[i];
            if (model != NULL && (strcmp(s->model, model) != 0 || (version != NULL && strcmp(s->version, version) != 0))) continue;
            memcpy(sorted + at, s->samples, s->count * sizeof *sorted);
            at += s->count;
        }
        qsort(sorted, total, sizeof *sorted, compare_doubles);
    }

    char scope[512];
    if (model == NULL) snprintf(scope, sizeof scope, "all models");
    else if (version == NULL) snprintf(scope, sizeof scope, "all versions of model '%s'", model);
    else snprintf(scope, sizeof scope, "model '%s' version '%s'", model, version);

    size_t gauge_count = 0;
    double p50 = 0, p90 = 0, p99 = 0;
    if (total > 0) {
        p50 = nearest_rank(sorted, total, 50);
        p90 = nearest_rank(sorted, total, 90);
        p99 = nearest_rank(sorted, total, 99);
        set_gauge(&self->gauges[gauge_count++], "p50_seconds", "Median request latency over the window, in seconds", p50);
        set_gauge(&self->gauges[gauge_count++], "p90_seconds", "90th percentile request latency over the window, in seconds", p90);
        set_gauge(&self->gauges[gauge_count++], "p99_seconds", "99th percentile request latency over the window, in seconds", p99);
    }
    set_gauge(&self->gauges[gauge_count++], "requests", "Requests in the evaluation window", (double)total);
    free(sorted);

    tsr_verdict_state state;
    char measured[64], objective[64];
    if (total == 0) {
        state = TSR_VERDICT_INCONCLUSIVE;
        snprintf(self->reason, sizeof self->reason, "no requests observed for %s yet; at least %zu (min_requests) are needed to judge latency",
                 scope, self->min_requests);
    } else if (total < self->min_requests) {
        state = TSR_VERDICT_INCONCLUSIVE;
        snprintf(self->reason, sizeof self->reason,
                 "only %zu requests observed for %s; at least %zu (min_requests) are needed to judge latency",
                 total, scope, self->min_requests);
    } else if (p99 * 1000.0 > self->p99_ms) {
        state = TSR_VERDICT_FAILING;
        format_ms(measured, sizeof measured, p99 * 1000.0);
        snprintf(objective, sizeof objective, "%g", self->p99_ms);
        int used = snprintf(self->reason, sizeof self->reason, "p99 latency %s ms exceeds the %s ms objective over %zu requests",
                            measured, objective, total);
        if (self->has_p50 && p50 * 1000.0 > self->p50_ms && used > 0 && (size_t)used < sizeof self->reason) {
            format_ms(measured, sizeof measured, p50 * 1000.0);
            snprintf(objective, sizeof objective, "%g", self->p50_ms);
            snprintf(self->reason + used, sizeof self->reason - (size_t)used, "; p50 latency %s ms exceeds the %s ms objective",
                     measured, objective);
        }
    } else if (self->has_p50 && p50 * 1000.0 > self->p50_ms) {
        state = TSR_VERDICT_FAILING;
        format_ms(measured, sizeof measured, p50 * 1000.0);
        snprintf(objective, sizeof objective, "%g", self->p50_ms);
        snprintf(self->reason, sizeof self->reason, "p50 latency %s ms exceeds the %s ms objective over %zu requests",
                 measured, objective, total);
    } else {
        state = TSR_VERDICT_OK;
        format_ms(measured, sizeof measured, p99 * 1000.0);
        snprintf(objective, sizeof objective, "%g", self->p99_ms);
        snprintf(self->reason, sizeof self->reason, "p99 latency %s ms is within the %s ms objective over %zu requests",
                 measured, objective, total);
    }

    out->state = state;
    if (TSR_HAS_FIELD(out, tsr_monitor_verdict, reason)) out->reason = self->reason;
    if (TSR_HAS_FIELD(out, tsr_monitor_verdict, gauges)) out->gauges = self->gauges;
    if (TSR_HAS_FIELD(out, tsr_monitor_verdict, gauge_count)) out->gauge_count = gauge_count;
    return NULL;
}

static void latency_reset(void *instance)
{
    free_series(instance);
}

/* ------------------------------------------------------------------------------------------ */
/* Descriptor                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static const tsr_monitor_vtable k_monitor = {
    .struct_size = (uint32_t)sizeof(tsr_monitor_vtable),
    .monitor_name = TESSERA_LATENCY_SLO_MONITOR_NAME,
    .observe = latency_observe,
    .evaluate = latency_evaluate,
    .reset = latency_reset,
};

static const void *latency_get_capability(void *instance, const char *capability_id)
{
    (void)instance;
    if (capability_id != NULL && strcmp(capability_id, TSR_CAP_MONITOR) == 0) return &k_monitor;
    return NULL;
}

static const char *const k_capabilities[] = {TSR_CAP_MONITOR, NULL};

static const tsr_plugin_descriptor k_descriptor = {
    .struct_size = (uint32_t)sizeof(tsr_plugin_descriptor),
    .abi_major = TSR_ABI_MAJOR,
    .abi_minor = TSR_ABI_MINOR,
    .min_abi_minor = 0,
    .fingerprint = TSR_ABI_FINGERPRINT_INIT,
    .id = TESSERA_LATENCY_SLO_ID,
    .name = PLUGIN_NAME,
    .version = "0.1.0",
    .vendor = "Tessera",
    .description = "Judges request latency percentiles (p50/p90/p99) of each model version against objectives.",
    .capabilities = k_capabilities,
    .create = latency_create,
    .get_capability = latency_get_capability,
    .activate = tsp_activate_nothing,
    .deactivate = tsp_deactivate_nothing,
    .destroy = latency_destroy,
};

TSR_EXPORT const tsr_plugin_descriptor *tsr_plugin_entry(void)
{
    return &k_descriptor;
}

/*
 * tessera/exporter.h — capability "tessera.exporter/1": publishing metrics and events.
 *
 * Exporters are pushed metric snapshots (on_metrics) and events (on_event), and may be
 * pulled from (render, e.g. Prometheus text for GET /metrics). Any of the three may be NULL.
 */
#ifndef TESSERA_EXPORTER_H
#define TESSERA_EXPORTER_H

#include "host.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Capability id of exporter plugins. \since 1.0 */
#define TSR_CAP_EXPORTER "tessera.exporter/1"

/** Metric kinds. Stored as int32_t. \since 1.0 */
typedef int32_t tsr_metric_kind;
#define TSR_METRIC_COUNTER 1
#define TSR_METRIC_GAUGE 2
#define TSR_METRIC_HISTOGRAM 3

/**
 * One series. Everything is borrowed for the duration of the call.
 * \since 1.0
 */
typedef struct tsr_metric {
    uint32_t struct_size;                 /**< sizeof(tsr_metric) as the host built it */
    tsr_metric_kind kind;
    const char *name;                     /**< e.g. "tessera_inference_count_total" */
    const char *help;
    const char *const *label_names;       /**< label_count entries, e.g. "model" */
    const char *const *label_values;      /**< label_count entries */
    size_t label_count;
    double value;                         /**< counters and gauges */
    const double *bucket_bounds;          /**< histograms: ascending upper bounds, +Inf excluded */
    const uint64_t *bucket_counts;        /**< histograms: cumulative count of observations <= bound */
    size_t bucket_count;
    double sum;                           /**< histograms: sum of observations */
    uint64_t count;                       /**< histograms: number of observations */
} tsr_metric;

/**
 * All series at one moment.
 * \since 1.0
 */
typedef struct tsr_metric_snapshot {
    uint32_t struct_size;                 /**< sizeof(tsr_metric_snapshot) */
    uint32_t reserved;                    /**< zero */
    int64_t taken_unix_ns;
    const tsr_metric *metrics;
    size_t metric_count;
} tsr_metric_snapshot;

/**
 * Something that happened: a deploy, a rollback, a canary step, an alert, a plugin failing.
 * Strings are borrowed for the call; any may be NULL except type and message.
 * \since 1.0
 */
typedef struct tsr_event {
    uint32_t struct_size;                 /**< sizeof(tsr_event) as the host built it */
    uint32_t reserved;                    /**< zero */
    int64_t unix_ns;
    const char *type;                     /**< dotted, e.g. "deployment.rollback", "plugin.failed" */
    const char *model;
    const char *version;
    const char *message;                  /**< one line for people */
    const char *attributes_json;          /**< a JSON object with details, or NULL */
} tsr_event;

/**
 * What an exporter plugin provides; valid for the instance's life.
 * \since 1.0
 */
typedef struct tsr_exporter_vtable {
    uint32_t struct_size;                 /**< sizeof(tsr_exporter_vtable) */
    uint32_t reserved;                    /**< zero */
    const char *exporter_name;            /**< short name, e.g. "prometheus" */

    /** Receives a snapshot of all series. May be NULL. [instance-serialized] */
    tsr_status *(*on_metrics)(void *instance, const tsr_metric_snapshot *snapshot);

    /**
     * Renders the last snapshot in `format` (e.g. "prometheus-text"). Writes plugin-owned
     * text, valid until the next call on the instance. TSR_ERR_UNSUPPORTED for an unknown
     * format. May be NULL. [instance-serialized]
     */
    tsr_status *(*render)(void *instance, const char *format, const char **text, size_t *length);

    /** Receives one event. May be NULL. [instance-serialized] */
    tsr_status *(*on_event)(void *instance, const tsr_event *event);

    /** Pushes out anything buffered; called before stop. May be NULL. [instance-serialized] */
    tsr_status *(*flush)(void *instance);
} tsr_exporter_vtable;

#ifdef __cplusplus
}
#endif

#endif /* TESSERA_EXPORTER_H */

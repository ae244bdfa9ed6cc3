/*
 * tessera/monitor.h — capability "tessera.monitor/1": judging live traffic.
 *
 * The host feeds every batch of finished requests to observe(), and asks evaluate() for a
 * verdict on one model version (canary analysis, alerts, the health endpoint). Gauges a
 * monitor reports are exported as tessera_monitor_<monitor>_<gauge>{model,version}, with every
 * character outside [a-zA-Z0-9_] in the monitor's name turned into '_'.
 */
#ifndef TESSERA_MONITOR_H
#define TESSERA_MONITOR_H

#include "host.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Capability id of monitor plugins. \since 1.0 */
#define TSR_CAP_MONITOR "tessera.monitor/1"

/**
 * One finished inference request. Strings are borrowed for the observe() call.
 * \since 1.0
 */
typedef struct tsr_request_record {
    uint32_t struct_size;       /**< sizeof(tsr_request_record) as the host built it */
    uint32_t batch_size;        /**< size of the batch the request ran in */
    const char *model;
    const char *version;        /**< the version number as text, e.g. "3" */
    int64_t finished_unix_ns;   /**< wall-clock time the response was sent */
    double latency_seconds;     /**< from request received to response sent */
    double queue_seconds;       /**< part of latency spent waiting for a batch */
    double compute_seconds;     /**< part of latency spent in the engine */
    int32_t http_status;        /**< 200 on success */
    uint32_t reserved;          /**< zero */
    const char *error_reason;   /**< NULL on success; a short reason ("timeout", "bad_input", ...) */
} tsr_request_record;

/** Verdict states. Stored as int32_t. \since 1.0 */
typedef int32_t tsr_verdict_state;
#define TSR_VERDICT_INCONCLUSIVE 0  /**< not enough data to judge */
#define TSR_VERDICT_OK 1
#define TSR_VERDICT_DEGRADED 2      /**< worse than wanted, not bad enough to abort */
#define TSR_VERDICT_FAILING 3       /**< a canary in this state is rolled back */

/**
 * A named number a monitor reports alongside its verdict.
 * \since 1.0
 */
typedef struct tsr_gauge {
    uint32_t struct_size;       /**< sizeof(tsr_gauge) */
    uint32_t reserved;          /**< zero */
    const char *name;           /**< [a-z0-9_]+, e.g. "p99_seconds" */
    const char *help;           /**< one sentence */
    double value;
} tsr_gauge;

/**
 * A verdict, filled by evaluate(). The host zeroes it and sets struct_size; the plugin writes
 * only members TSR_HAS_FIELD says exist. Pointers are plugin-owned and valid until the next
 * call on the instance.
 * \since 1.0
 */
typedef struct tsr_monitor_verdict {
    uint32_t struct_size;
    tsr_verdict_state state;
    const char *reason;         /**< one line a person can act on; may be NULL when OK */
    const tsr_gauge *gauges;
    size_t gauge_count;
} tsr_monitor_verdict;

/**
 * What a monitor plugin provides; valid for the instance's life.
 * \since 1.0
 */
typedef struct tsr_monitor_vtable {
    uint32_t struct_size;       /**< sizeof(tsr_monitor_vtable) */
    uint32_t reserved;          /**< zero */
    const char *monitor_name;   /**< short name, e.g. "latency-slo" */

    /** Takes in finished requests, in completion order. [instance-serialized] */
    tsr_status *(*observe)(void *instance, const tsr_request_record *records, size_t count);

    /**
     * Judges the traffic of one model version (`version` NULL: all versions of `model`;
     * `model` NULL: everything observed). [instance-serialized]
     */
    tsr_status *(*evaluate)(void *instance, const char *model, const char *version,
                            tsr_monitor_verdict *out);

    /** Forgets what was observed (a new analysis window starts). May be NULL. [instance-serialized] */
    void (*reset)(void *instance);
} tsr_monitor_vtable;

#ifdef __cplusplus
}
#endif

#endif /* TESSERA_MONITOR_H */

/*
 * tessera/optimizer.h — capability "tessera.optimizer/1": turning a graph into a better one.
 *
 * The host copies the source version's graph, passes the copy to run() with the user's
 * parameters, validates the result, and registers it as a new version whose lineage records
 * the optimizer, the parameters and run()'s report.
 */
#ifndef TESSERA_OPTIMIZER_H
#define TESSERA_OPTIMIZER_H

#include "host.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Capability id of optimizer plugins. \since 1.0 */
#define TSR_CAP_OPTIMIZER "tessera.optimizer/1"

/**
 * One parameter an optimizer accepts, for `tessera optimize --help`-style listings and for
 * validating a call before run().
 * \since 1.0
 */
typedef struct tsr_param_desc {
    uint32_t struct_size;        /**< sizeof(tsr_param_desc) */
    tsr_setting_kind kind;       /**< TSR_SETTING_STRING, _INT, _FLOAT or _BOOL */
    const char *name;
    const char *default_value;   /**< as text; NULL when the parameter is required */
    const char *description;
} tsr_param_desc;

/**
 * One parameter given to run(), as text (the host has checked it parses as the declared kind).
 * \since 1.0
 */
typedef struct tsr_param {
    uint32_t struct_size;        /**< sizeof(tsr_param) */
    uint32_t reserved;           /**< zero */
    const char *name;
    const char *value;
} tsr_param;

/**
 * What an optimizer plugin provides; valid for the instance's life.
 * \since 1.0
 */
typedef struct tsr_optimizer_vtable {
    uint32_t struct_size;        /**< sizeof(tsr_optimizer_vtable) */
    uint32_t reserved;           /**< zero */
    const char *optimizer_name;  /**< short name users type, e.g. "prune-magnitude" */

    /**
     * The parameters run() accepts: writes a plugin-owned array, valid for the instance's
     * life, and its length. [instance-serialized]
     */
    tsr_status *(*describe)(void *instance, const tsr_param_desc **params, size_t *count);

    /**
     * Rewrites `graph` in place. Unknown parameter names are an error. On success writes to
     * *report_json a JSON object describing what changed (plugin-owned, valid until the next
     * call on this instance). On error the host discards the graph. [instance-serialized]
     */
    tsr_status *(*run)(void *instance, tsr_graph *graph, const tsr_param *params, size_t count,
                       const char **report_json);
} tsr_optimizer_vtable;

#ifdef __cplusplus
}
#endif

#endif /* TESSERA_OPTIMIZER_H */

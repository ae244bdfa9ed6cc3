/*
 * tessera/format.h — capability "tessera.format/1": reading and writing model files.
 *
 * The host asks every format plugin to probe a path and picks the most confident one (users
 * may force one). load() builds the model into an empty graph through the host API; weights
 * may be handed over without copying by passing a tsr_release with each initializer.
 */
#ifndef TESSERA_FORMAT_H
#define TESSERA_FORMAT_H

#include "host.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Capability id of format plugins. \since 1.0 */
#define TSR_CAP_FORMAT "tessera.format/1"

/**
 * What a format plugin provides; returned by get_capability(instance, TSR_CAP_FORMAT) and
 * valid for the instance's life. `instance` is the pointer the plugin's create() produced.
 * \since 1.0
 */
typedef struct tsr_format_vtable {
    uint32_t struct_size;              /**< sizeof(tsr_format_vtable) */
    uint32_t reserved;                 /**< zero */
    const char *format_name;           /**< short name users type, e.g. "safetensors" */
    const char *const *extensions;     /**< NULL-terminated, e.g. {".safetensors", NULL}; may be NULL */

    /**
     * How sure the plugin is that `path` (a file or a directory) is in its format: writes
     * 0.0 (certainly not) to 1.0 (certain) to *confidence. Must only read the beginning of a
     * file, never the whole of it. An unreadable path is confidence 0, not an error.
     * [instance-serialized]
     */
    tsr_status *(*probe)(void *instance, const char *path, float *confidence);

    /**
     * Loads `path` into `graph`, which the host created empty. On error the host discards
     * the graph (releasing any initializers already handed over). [instance-serialized]
     */
    tsr_status *(*load)(void *instance, const char *path, tsr_graph *graph);

    /**
     * Writes `graph` to `path`, replacing it atomically where the platform allows. May be
     * NULL for read-only formats. [instance-serialized]
     */
    tsr_status *(*save)(void *instance, const tsr_graph *graph, const char *path);
} tsr_format_vtable;

#ifdef __cplusplus
}
#endif

#endif /* TESSERA_FORMAT_H */

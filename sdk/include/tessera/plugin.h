/*
 * tessera/plugin.h — the plugin descriptor, the entry point and the instance lifecycle.
 *
 * A plugin library exports exactly one function, tsr_plugin_entry, returning a pointer to a
 * static descriptor. The host:
 *   1. dlopen()s the library (RTLD_NOW | RTLD_LOCAL) and calls tsr_plugin_entry;
 *   2. checks abi_major, min_abi_minor and the fingerprint, refusing on any mismatch;
 *   3. calls create() once                      -> state "initialized"
 *   4. calls get_capability() for each id in capabilities, then activate() -> "active"
 *   5. at shutdown, in reverse load order, deactivate() -> "stopped", then destroy().
 * The host never calls out of this order, never calls create() twice on one library, and
 * never dlclose()s a plugin (unloading code that may still own threads or callbacks is not
 * safe in general).
 *
 * After a failure: if create() fails, nothing else is called. If activate() fails, destroy()
 * is called without deactivate(). A capability call that fails is reported to whoever asked;
 * a monitor or exporter whose background call fails is disabled and gets only destroy().
 * Release callbacks (tessera/tensor.h) may run after destroy(), since a graph may outlive the
 * instance that built it: their context must not point into the instance.
 *
 * Threading: by default the host never calls into one instance from two threads at once
 * ([instance-serialized]); [main-thread] functions are called from the host's control thread.
 */
#ifndef TESSERA_PLUGIN_H
#define TESSERA_PLUGIN_H

#include "host.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Describes a plugin library. Must be a static object that lives as long as the process.
 * \since 1.0
 */
typedef struct tsr_plugin_descriptor {
    uint32_t struct_size;            /**< sizeof(tsr_plugin_descriptor) */
    uint16_t abi_major;              /**< TSR_ABI_MAJOR the plugin was built against */
    uint16_t abi_minor;              /**< TSR_ABI_MINOR the plugin was built against */
    uint16_t min_abi_minor;          /**< oldest host minor the plugin can run on (usually 0) */
    uint16_t reserved;               /**< zero */
    tsr_abi_fingerprint fingerprint; /**< TSR_ABI_FINGERPRINT_INIT */

    const char *id;                  /**< unique, reverse-DNS, e.g. "com.example.hello-monitor" */
    const char *name;                /**< short display name, e.g. "hello-monitor" */
    const char *version;             /**< the plugin's own version, e.g. "1.2.0" */
    const char *vendor;              /**< may be NULL */
    const char *description;         /**< one sentence; may be NULL */
    const char *const *capabilities; /**< NULL-terminated ids, e.g. {TSR_CAP_MONITOR, NULL} */

    /**
     * Creates the instance: reads settings through `api`, allocates state, writes it to
     * *instance. Reject bad settings with TSR_ERR_INVALID_SETTING and a message naming the
     * key and what is expected. `api` and `host` stay valid until destroy(). [main-thread]
     */
    tsr_status *(*create)(const tsr_host_api *api, tsr_host *host, void **instance);

    /**
     * Returns the vtable for `capability_id` (one of `capabilities`), valid until destroy(),
     * or NULL. [main-thread]
     */
    const void *(*get_capability)(void *instance, const char *capability_id);

    /** Starts work (threads, files). May be NULL. [main-thread] */
    tsr_status *(*activate)(void *instance);

    /** Stops work; no capability call follows. May be NULL. [main-thread] */
    void (*deactivate)(void *instance);

    /** Frees the instance. [main-thread] */
    void (*destroy)(void *instance);
} tsr_plugin_descriptor;

/** The type of tsr_plugin_entry, for dlsym(). \since 1.0 */
typedef const tsr_plugin_descriptor *(*tsr_plugin_entry_fn)(void);

#if defined(__cplusplus)
#define TSR_ALIGNOF_(type) alignof(type)
#else
#define TSR_ALIGNOF_(type) _Alignof(type)
#endif

/** Initializer for tsr_plugin_descriptor.fingerprint. \since 1.0 */
#define TSR_ABI_FINGERPRINT_INIT                                                              \
    {                                                                                         \
        (uint32_t)sizeof(tsr_abi_fingerprint), TSR_ABI_ENDIAN_MARK, (uint32_t)sizeof(void *), \
            (uint32_t)sizeof(size_t), (uint32_t)sizeof(tsr_tensor_view),                      \
            (uint32_t)sizeof(tsr_host_api), (uint32_t)sizeof(tsr_plugin_descriptor),          \
            (uint32_t)TSR_ALIGNOF_(int64_t)                                                   \
    }

/**
 * The one function a plugin exports. Must not fail and must not allocate: return the address
 * of a static descriptor. [main-thread]
 * \since 1.0
 */
TSR_EXPORT const tsr_plugin_descriptor *tsr_plugin_entry(void);

#ifdef __cplusplus
}
#endif

#endif /* TESSERA_PLUGIN_H */

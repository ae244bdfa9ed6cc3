/*
 * tessera/host.h — the table of functions the host gives each plugin instance.
 *
 * The table is passed to tsr_plugin_descriptor.create together with a tsr_host handle that
 * identifies the calling plugin instance (the host logs under the plugin's name and finds its
 * settings through it). Both stay valid until the instance is destroyed.
 *
 * The table is append-only: members are never removed or reordered within ABI major 1.
 * Before using a member marked with a \since newer than 1.0, check that the host's
 * struct_size covers it (TSR_HAS_FIELD(api, tsr_host_api, member)).
 *
 * Threading: every member is [any-thread] unless it says otherwise. Graph members act on one
 * graph; the host never hands the same graph to two calls at once.
 */
#ifndef TESSERA_HOST_H
#define TESSERA_HOST_H

#include "graph.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Identifies a plugin instance to the host; opaque. \since 1.0 */
typedef struct tsr_host tsr_host;

/** Log levels, matching the host's logger. Stored as int32_t. \since 1.0 */
typedef int32_t tsr_log_level;
#define TSR_LOG_TRACE 0
#define TSR_LOG_DEBUG 1
#define TSR_LOG_INFO 2
#define TSR_LOG_WARNING 3
#define TSR_LOG_ERROR 4

/** Types of a value in [plugins.settings]. Stored as int32_t. \since 1.0 */
typedef int32_t tsr_setting_kind;
#define TSR_SETTING_ABSENT 0
#define TSR_SETTING_STRING 1
#define TSR_SETTING_INT 2
#define TSR_SETTING_FLOAT 3
#define TSR_SETTING_BOOL 4
#define TSR_SETTING_ARRAY 5   /**< read with setting_string: the TOML text of the array */
#define TSR_SETTING_TABLE 6   /**< read with setting_string: the TOML text of the table */

/**
 * The host API. All strings passed in are UTF-8 and borrowed for the call; all strings
 * returned are owned by the host and valid as the member says.
 * \since 1.0
 */
typedef struct tsr_host_api {
    uint32_t struct_size;      /**< sizeof(tsr_host_api) as the host built it */
    uint16_t abi_major;        /**< the host's ABI major */
    uint16_t abi_minor;        /**< the host's ABI minor */
    const char *host_name;     /**< "tesserad", "tessera" (the CLI) or a test harness */
    const char *host_version;  /**< the Tessera release, e.g. "0.1.0" */

    /* ---- logging ---- */

    /** Writes one line to the host log, labelled with the plugin's name. [any-thread] */
    void (*log)(tsr_host *host, tsr_log_level level, const char *message);

    /* ---- status objects (tessera/status.h) ---- */

    /** Creates an error to return to the host; never returns NULL. `message` is copied. [any-thread] */
    tsr_status *(*status_create)(tsr_status_code code, const char *message);
    /** The code of a status; TSR_OK for NULL. [any-thread] */
    tsr_status_code (*status_code)(const tsr_status *status);
    /** The message of a status, owned by it; "" for NULL. [any-thread] */
    const char *(*status_message)(const tsr_status *status);
    /** Frees a status the plugin received from the host. NULL is ignored. [any-thread] */
    void (*status_release)(tsr_status *status);

    /* ---- settings: this instance's [plugins.settings] table ---- */

    /** Number of top-level keys in the settings table. [any-thread] */
    size_t (*setting_count)(tsr_host *host);
    /** The key at `index` (0..setting_count-1), valid for the instance's life; NULL when out of range. [any-thread] */
    const char *(*setting_key)(tsr_host *host, size_t index);
    /** The kind of the value at `key`, or TSR_SETTING_ABSENT. [any-thread] */
    tsr_setting_kind (*setting_kind)(tsr_host *host, const char *key);
    /** A string value (or the TOML text of an array or table), valid for the instance's life; NULL when absent or of another kind. [any-thread] */
    const char *(*setting_string)(tsr_host *host, const char *key);
    /** Reads an integer; returns 1 and writes *out when present and an integer, else 0. [any-thread] */
    int (*setting_int)(tsr_host *host, const char *key, int64_t *out);
    /** Reads a number (integers convert); returns 1 and writes *out when present, else 0. [any-thread] */
    int (*setting_float)(tsr_host *host, const char *key, double *out);
    /** Reads a boolean; returns 1 and writes *out (0 or 1) when present and a boolean, else 0. [any-thread] */
    int (*setting_bool)(tsr_host *host, const char *key, int *out);

    /* ---- graph building (format plugins, in load) ---- */

    /** Declares a graph input. [instance-serialized] */
    tsr_status *(*graph_add_input)(tsr_graph *graph, const tsr_value_info *info);
    /** Declares a graph output; its producer may be added later. [instance-serialized] */
    tsr_status *(*graph_add_output)(tsr_graph *graph, const tsr_value_info *info);
    /**
     * Adds a constant tensor. With `release` NULL the host copies the data before returning;
     * otherwise the host keeps `view->data` without copying and calls release once when done
     * (also when this call fails). The shape array is always copied. [instance-serialized]
     */
    tsr_status *(*graph_add_initializer)(tsr_graph *graph, const char *name,
                                         const tsr_tensor_view *view, const tsr_release *release);
    /** Adds a node; names and attributes are copied. [instance-serialized] */
    tsr_status *(*graph_add_node)(tsr_graph *graph, const char *op_type, const char *name,
                                  const char *const *inputs, size_t input_count,
                                  const char *const *outputs, size_t output_count,
                                  const tsr_attribute *attributes, size_t attribute_count);

    /* ---- graph reading and editing (optimizer and format plugins) ---- */

    /** Fills counts of inputs, outputs, nodes and initializers. [instance-serialized] */
    tsr_status *(*graph_summary)(const tsr_graph *graph, tsr_graph_summary *out);
    /** Reads input `index`; pointers valid until the graph is modified. [instance-serialized] */
    tsr_status *(*graph_input)(const tsr_graph *graph, size_t index, tsr_value_info *out);
    /** Reads output `index`; pointers valid until the graph is modified. [instance-serialized] */
    tsr_status *(*graph_output)(const tsr_graph *graph, size_t index, tsr_value_info *out);
    /** Reads node `index`; pointers valid until the graph is modified. [instance-serialized] */
    tsr_status *(*graph_node)(const tsr_graph *graph, size_t index, tsr_node_info *out);
    /** Reads attribute `attr_index` of node `node_index`. [instance-serialized] */
    tsr_status *(*graph_node_attribute)(const tsr_graph *graph, size_t node_index,
                                        size_t attr_index, tsr_attribute *out);
    /**
     * Reads initializer `index`: its name and a view of its data, both valid until the graph is
     * modified. The data may be read-only (mmap'ed); write only through
     * graph_replace_initializer. [instance-serialized]
     */
    tsr_status *(*graph_initializer)(const tsr_graph *graph, size_t index, const char **name,
                                     tsr_tensor_view *out);
    /**
     * Replaces the data of initializer `name` (its dtype and shape may change), with the same
     * ownership rules as graph_add_initializer. [instance-serialized]
     */
    tsr_status *(*graph_replace_initializer)(tsr_graph *graph, const char *name,
                                             const tsr_tensor_view *view, const tsr_release *release);
    /** Removes node `index`; later nodes move down by one. [instance-serialized] */
    tsr_status *(*graph_remove_node)(tsr_graph *graph, size_t index);

    /* ---- custom operators ---- */

    /**
     * Registers a kernel for a new op type, implemented by a function this plugin exports.
     * `symbol` is looked up in the plugin's own library; `signature` declares its C type as
     * "ret(arg,arg,...)" with the types void, i8, u8, i16, u16, i32, u32, i64, u64, f32, f64
     * and ptr — e.g. "void(ptr,ptr,i64)". The host calls it through libffi. A node of the op
     * runs it once per inference: output 0 has input 0's type and shape and starts as a copy
     * of input 0; `ptr` arguments take output 0, input 0, input 1, … in order; the first
     * integer argument is output 0's element count, later ones the node's int attributes in
     * order; f32/f64 arguments take its float attributes in order. Op types built into the
     * engine are refused. [main-thread]
     */
    tsr_status *(*register_op_kernel)(tsr_host *host, const char *op_type, const char *symbol,
                                      const char *signature);
} tsr_host_api;

#ifdef __cplusplus
}
#endif

#endif /* TESSERA_HOST_H */

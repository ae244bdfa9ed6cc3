/*
 * tessera_plugin_safetensors.h — reading safetensors files, shared by the bundled plugins that
 * load them (Plugins/safetensors, Plugins/hf-bert).
 *
 * Internal to this package, like tessera_plugin_support.h: not part of the plugin SDK, no
 * compatibility promise, every function hidden.
 *
 * tsp_st_open() maps a whole file read-only, parses its JSON header with a strict parser
 * written for the safetensors schema and checks that the tensors tile the data section
 * exactly, so that nothing a hostile file says is trusted before it is checked. Tensors are
 * then handed to the host as views into the mapping, a tsp_mapping (tessera_plugin_support.h),
 * each with the release tsp_mapping_hold_view gives it.
 *
 * Every error message starts with "<plugin_name>: " and names the file.
 */
#ifndef TESSERA_PLUGIN_SAFETENSORS_H
#define TESSERA_PLUGIN_SAFETENSORS_H

#include "tessera_plugin_support.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The largest JSON header accepted, in bytes (the reference implementation's limit). */
#define TSP_ST_MAX_HEADER (100u * 1024u * 1024u)

/** The dtype names safetensors headers may use, for messages. */
#define TSP_ST_SUPPORTED_DTYPES "F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL"

/* ------------------------------------------------------------------------------------------ */
/* Dtypes                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/** A safetensors dtype and its Tessera equivalent. */
typedef struct tsp_st_dtype {
    const char *name; /**< as spelled in safetensors headers, e.g. "F32" */
    tsr_dtype dtype;
    size_t size;      /**< bytes per element */
} tsp_st_dtype;

/** The dtype spelled `name` (`length` bytes, not NUL-terminated), or NULL. */
TSP_HIDDEN const tsp_st_dtype *tsp_st_dtype_by_name(const char *name, size_t length);

/** The safetensors dtype for a Tessera dtype, or NULL when safetensors has none. */
TSP_HIDDEN const tsp_st_dtype *tsp_st_dtype_by_code(tsr_dtype dtype);

/* ------------------------------------------------------------------------------------------ */
/* A safetensors file                                                                         */
/* ------------------------------------------------------------------------------------------ */

/** One tensor as the header describes it, checked against the data section. */
typedef struct tsp_st_tensor {
    char *name;
    const tsp_st_dtype *dtype;
    uint32_t ndim;
    int64_t shape[TSR_MAX_RANK];
    uint64_t begin; /**< data_offsets, relative to the data section */
    uint64_t end;
    size_t header_offset; /**< where its entry starts in the header, for messages */
} tsp_st_tensor;

/** An opened, validated safetensors file. */
typedef struct tsp_st_file {
    tsp_mapping *mapping;   /**< one reference, the opener's, dropped by tsp_st_close */
    unsigned char *data;    /**< the data section (read-only memory) */
    uint64_t data_size;
    tsp_st_tensor *tensors; /**< in header order; names distinct */
    size_t count;
    size_t capacity;
} tsp_st_file;

/**
 * Maps `path`, parses and validates its header and layout; on success *file owns one
 * reference to the mapping. Errors: TSR_ERR_NOT_FOUND (missing), TSR_ERR_IO (cannot open, stat
 * or map), TSR_ERR_INVALID_ARGUMENT (a directory or not a regular file), TSR_ERR_UNSUPPORTED
 * (an unknown dtype, a rank above 16, too large to map) and TSR_ERR_CORRUPT_DATA (anything
 * inconsistent: a header length, invalid JSON or UTF-8, a malformed entry, offsets, overlaps,
 * gaps), each naming the file and, for the header, the byte offset. *file is zeroed on error.
 */
TSP_HIDDEN tsr_status *tsp_st_open(const tsr_host_api *api, const char *plugin_name, const char *path, tsp_st_file *file);

/** Frees the tensor list and drops the opener's reference to the mapping. */
TSP_HIDDEN void tsp_st_close(tsp_st_file *file);

#ifdef __cplusplus
}
#endif

#endif /* TESSERA_PLUGIN_SAFETENSORS_H */

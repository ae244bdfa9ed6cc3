/*
 * gguf_support.h — the ggml type table, metadata value types and names cut short for messages.
 * (Errors, settings, byte order, half floats, UTF-8 checks and the reference-counted file
 * mapping are the shared tsp_* helpers of Plugins/support.)
 *
 * Private to gguf.c, which includes it exactly once. It holds static definitions on purpose:
 * the plugin is one translation unit, so every function is static and the library exports
 * nothing but tsr_plugin_entry, with or without -fvisibility=hidden.
 */
#ifndef TESSERA_GGUF_SUPPORT_H
#define TESSERA_GGUF_SUPPORT_H

#include <tessera/tessera.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera_gguf.h"
#include "tessera_plugin_support.h"

#define PLUGIN_NAME "gguf"

/** "GGUF" read as a little-endian uint32. */
#define GGUF_MAGIC 0x46554747u

/** The fixed header: magic, version, tensor count, metadata count. */
#define GGUF_HEADER_BYTES 24u

/* ------------------------------------------------------------------------------------------ */
/* ggml tensor types                                                                          */
/* ------------------------------------------------------------------------------------------ */

/** What load() does with a tensor of a given ggml type. */
enum ggml_handling {
    HANDLE_UNSUPPORTED = 0, /**< refused, or skipped with skip_unsupported */
    HANDLE_VIEW = 1,        /**< handed over as it is, zero-copy */
    HANDLE_DEQUANT_Q8_0 = 2 /**< dequantized to FP32 into a malloc'ed buffer */
};

/**
 * One ggml type (enum ggml_type; the ids and block sizes are gguf-py's GGMLQuantizationType
 * and GGML_QUANT_SIZES). A tensor of n elements takes n / block_size * type_size bytes, and
 * its first (innermost) dimension must be a multiple of block_size.
 */
typedef struct ggml_type_info {
    uint32_t id;
    const char *name;
    uint32_t block_size; /**< elements per block; 0 for the ids ggml has removed */
    uint32_t type_size;  /**< bytes per block */
    enum ggml_handling handling;
    tsr_dtype dtype;     /**< what the host receives; TSR_DTYPE_INVALID when unsupported */
} ggml_type_info;

/* Indexed by id. Blocks of the k-quants hold QK_K = 256 elements. */
static const ggml_type_info k_ggml_types[] = {
    {0, "F32", 1, 4, HANDLE_VIEW, TSR_DTYPE_FP32},
    {1, "F16", 1, 2, HANDLE_VIEW, TSR_DTYPE_FP16},
    {2, "Q4_0", 32, 18, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {3, "Q4_1", 32, 20, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {4, "Q4_2", 0, 0, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {5, "Q4_3", 0, 0, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {6, "Q5_0", 32, 22, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {7, "Q5_1", 32, 24, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {8, "Q8_0", 32, 34, HANDLE_DEQUANT_Q8_0, TSR_DTYPE_FP32},
    {9, "Q8_1", 32, 40, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {10, "Q2_K", 256, 84, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {11, "Q3_K", 256, 110, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {12, "Q4_K", 256, 144, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {13, "Q5_K", 256, 176, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {14, "Q6_K", 256, 210, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {15, "Q8_K", 256, 292, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {16, "IQ2_XXS", 256, 66, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {17, "IQ2_XS", 256, 74, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {18, "IQ3_XXS", 256, 98, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {19, "IQ1_S", 256, 50, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {20, "IQ4_NL", 32, 18, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {21, "IQ3_S", 256, 110, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {22, "IQ2_S", 256, 82, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {23, "IQ4_XS", 256, 136, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {24, "I8", 1, 1, HANDLE_VIEW, TSR_DTYPE_INT8},
    {25, "I16", 1, 2, HANDLE_VIEW, TSR_DTYPE_INT16},
    {26, "I32", 1, 4, HANDLE_VIEW, TSR_DTYPE_INT32},
    {27, "I64", 1, 8, HANDLE_VIEW, TSR_DTYPE_INT64},
    {28, "F64", 1, 8, HANDLE_VIEW, TSR_DTYPE_FP64},
    {29, "IQ1_M", 256, 56, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {30, "BF16", 1, 2, HANDLE_VIEW, TSR_DTYPE_BF16},
    {31, "Q4_0_4_4", 0, 0, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {32, "Q4_0_4_8", 0, 0, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {33, "Q4_0_8_8", 0, 0, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {34, "TQ1_0", 256, 54, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {35, "TQ2_0", 256, 66, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {36, "IQ4_NL_4_4", 0, 0, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {37, "IQ4_NL_4_8", 0, 0, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {38, "IQ4_NL_8_8", 0, 0, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {39, "MXFP4", 32, 17, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {40, "NVFP4", 64, 36, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
    {41, "Q1_0", 128, 18, HANDLE_UNSUPPORTED, TSR_DTYPE_INVALID},
};
#define GGML_TYPE_COUNT (sizeof k_ggml_types / sizeof k_ggml_types[0])

#define LOADED_TYPES "F32, F16, BF16, F64, I8, I16, I32 and I64 as they are, and Q8_0 dequantized to F32"

/** The entry for a ggml type id, or NULL when the id is not one this plugin knows. */
static const ggml_type_info *ggml_type_by_id(uint32_t id)
{
    return id < GGML_TYPE_COUNT ? &k_ggml_types[id] : NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Metadata value types                                                                       */
/* ------------------------------------------------------------------------------------------ */

enum gguf_value_type {
    GGUF_UINT8 = 0, GGUF_INT8 = 1, GGUF_UINT16 = 2, GGUF_INT16 = 3, GGUF_UINT32 = 4, GGUF_INT32 = 5,
    GGUF_FLOAT32 = 6, GGUF_BOOL = 7, GGUF_STRING = 8, GGUF_ARRAY = 9, GGUF_UINT64 = 10, GGUF_INT64 = 11,
    GGUF_FLOAT64 = 12, GGUF_VALUE_TYPE_COUNT = 13
};

static const char *const k_value_type_names[GGUF_VALUE_TYPE_COUNT] = {
    "UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32", "BOOL", "STRING", "ARRAY", "UINT64", "INT64", "FLOAT64",
};

/** Bytes of a scalar value type; 0 for STRING and ARRAY. */
static const uint8_t k_value_type_sizes[GGUF_VALUE_TYPE_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

/* ------------------------------------------------------------------------------------------ */
/* Names in messages                                                                          */
/* ------------------------------------------------------------------------------------------ */

/**
 * How many bytes of the valid UTF-8 text[0..length) to show in a message: at most `limit`,
 * cut at a character boundary.
 */
static int shown_length(const unsigned char *text, uint64_t length, uint64_t limit)
{
    if (length <= limit) return (int)length;
    uint64_t cut = limit;
    while (cut > 0 && (text[cut] & 0xC0) == 0x80) cut--;
    return (int)cut;
}

#endif /* TESSERA_GGUF_SUPPORT_H */

/*
 * onnx_support.h — element types, float bits and a scratch arena. (Errors, settings, byte
 * order, half floats, UTF-8 checks and the reference-counted file mapping are the shared tsp_*
 * helpers of Plugins/support.)
 *
 * Private to onnx.c, which includes it exactly once. It holds static definitions on purpose:
 * the plugin is one translation unit, so every function is static and the library exports
 * nothing but tsr_plugin_entry, with or without -fvisibility=hidden.
 */
#ifndef TESSERA_ONNX_SUPPORT_H
#define TESSERA_ONNX_SUPPORT_H

#include <tessera/tessera.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera_onnx.h"
#include "tessera_plugin_support.h"

#define PLUGIN_NAME "onnx"

/* ------------------------------------------------------------------------------------------ */
/* Element types                                                                              */
/* ------------------------------------------------------------------------------------------ */

/** Which repeated field of TensorProto carries a type's elements when raw_data is not used. */
enum typed_field {
    FIELD_NONE = 0,
    FIELD_FLOAT_DATA = 4,   /* repeated float, fixed32 */
    FIELD_INT32_DATA = 5,   /* repeated int32, varint; also the narrow types, bool and (b)float16 bits */
    FIELD_INT64_DATA = 7,   /* repeated int64, varint */
    FIELD_DOUBLE_DATA = 10, /* repeated double, fixed64 */
    FIELD_UINT64_DATA = 11, /* repeated uint64, varint; also uint32 */
};

/** One ONNX TensorProto.DataType. */
typedef struct onnx_dtype {
    int32_t code;        /**< TensorProto.DataType value */
    const char *name;    /**< as onnx.proto spells it */
    tsr_dtype dtype;     /**< TSR_DTYPE_INVALID when Tessera has no such type */
    size_t size;         /**< bytes per element in raw_data; 0 when unsupported */
    enum typed_field field;
} onnx_dtype;

static const onnx_dtype k_onnx_dtypes[] = {
    {0, "UNDEFINED", TSR_DTYPE_INVALID, 0, FIELD_NONE},
    {1, "FLOAT", TSR_DTYPE_FP32, 4, FIELD_FLOAT_DATA},
    {2, "UINT8", TSR_DTYPE_UINT8, 1, FIELD_INT32_DATA},
    {3, "INT8", TSR_DTYPE_INT8, 1, FIELD_INT32_DATA},
    {4, "UINT16", TSR_DTYPE_UINT16, 2, FIELD_INT32_DATA},
    {5, "INT16", TSR_DTYPE_INT16, 2, FIELD_INT32_DATA},
    {6, "INT32", TSR_DTYPE_INT32, 4, FIELD_INT32_DATA},
    {7, "INT64", TSR_DTYPE_INT64, 8, FIELD_INT64_DATA},
    {8, "STRING", TSR_DTYPE_INVALID, 0, FIELD_NONE},
    {9, "BOOL", TSR_DTYPE_BOOL, 1, FIELD_INT32_DATA},
    {10, "FLOAT16", TSR_DTYPE_FP16, 2, FIELD_INT32_DATA},
    {11, "DOUBLE", TSR_DTYPE_FP64, 8, FIELD_DOUBLE_DATA},
    {12, "UINT32", TSR_DTYPE_UINT32, 4, FIELD_UINT64_DATA},
    {13, "UINT64", TSR_DTYPE_UINT64, 8, FIELD_UINT64_DATA},
    {14, "COMPLEX64", TSR_DTYPE_INVALID, 0, FIELD_NONE},
    {15, "COMPLEX128", TSR_DTYPE_INVALID, 0, FIELD_NONE},
    {16, "BFLOAT16", TSR_DTYPE_BF16, 2, FIELD_INT32_DATA},
    {17, "FLOAT8E4M3FN", TSR_DTYPE_INVALID, 0, FIELD_NONE},
    {18, "FLOAT8E4M3FNUZ", TSR_DTYPE_INVALID, 0, FIELD_NONE},
    {19, "FLOAT8E5M2", TSR_DTYPE_INVALID, 0, FIELD_NONE},
    {20, "FLOAT8E5M2FNUZ", TSR_DTYPE_INVALID, 0, FIELD_NONE},
    {21, "UINT4", TSR_DTYPE_INVALID, 0, FIELD_NONE},
    {22, "INT4", TSR_DTYPE_INVALID, 0, FIELD_NONE},
    {23, "FLOAT4E2M1", TSR_DTYPE_INVALID, 0, FIELD_NONE},
    {24, "FLOAT8E8M0", TSR_DTYPE_INVALID, 0, FIELD_NONE},
    {25, "UINT2", TSR_DTYPE_INVALID, 0, FIELD_NONE},
    {26, "INT2", TSR_DTYPE_INVALID, 0, FIELD_NONE},
    {27, "FLOAT6E2M3", TSR_DTYPE_INVALID, 0, FIELD_NONE},
    {28, "FLOAT6E3M2", TSR_DTYPE_INVALID, 0, FIELD_NONE},
};
#define ONNX_DTYPE_COUNT (sizeof k_onnx_dtypes / sizeof k_onnx_dtypes[0])

#define SUPPORTED_DTYPES "FLOAT, FLOAT16, BFLOAT16, DOUBLE, INT8, INT16, INT32, INT64, UINT8, UINT16, UINT32, UINT64, BOOL"

/** The entry for an ONNX data type code, or NULL when the code is not one onnx.proto defines. */
static const onnx_dtype *onnx_dtype_by_code(int64_t code)
{
    if (code < 0 || (uint64_t)code >= ONNX_DTYPE_COUNT) return NULL;
    return &k_onnx_dtypes[code];
}

/** The entry for a Tessera dtype, or NULL. */
static const onnx_dtype *onnx_dtype_by_tsr(tsr_dtype dtype)
{
    if (dtype == TSR_DTYPE_INVALID) return NULL;
    for (size_t i = 0; i < ONNX_DTYPE_COUNT; i++) {
        if (k_onnx_dtypes[i].dtype == dtype) return &k_onnx_dtypes[i];
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Float bits                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static float float_from_bits(uint32_t bits)
{
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

static double double_from_bits(uint64_t bits)
{
    double value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

static uint32_t bits_from_float(float value)
{
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

/* ------------------------------------------------------------------------------------------ */
/* A scratch arena for the C strings and arrays handed to the host                            */
/* ------------------------------------------------------------------------------------------ */

typedef struct arena_block {
    struct arena_block *next;
    size_t used, capacity;
    max_align_t data[]; /* capacity bytes */
} arena_block;

/** Bump allocator; everything is freed at once by arena_clear. Start from {0}. */
typedef struct arena {
    arena_block *head;
} arena;

#define ARENA_BLOCK (64u * 1024u)

/** `size` bytes at a multiple of `align` (a power of two, at most sizeof(max_align_t)), or NULL. */
static void *arena_alloc_aligned(arena *a, size_t size, size_t align)
{
    if (size > SIZE_MAX - sizeof(max_align_t)) return NULL;
    if (size == 0) size = 1;
    arena_block *b = a->head;
    size_t start = b != NULL ? (b->used + align - 1) & ~(align - 1) : 0;
    if (b == NULL || start > b->capacity || b->capacity - start < size) {
        /* a new block: its data is aligned for any type */
        size_t capacity = size > ARENA_BLOCK ? size : ARENA_BLOCK;
        if (capacity > SIZE_MAX - sizeof(arena_block)) return NULL;
        b = malloc(sizeof(arena_block) + capacity);
        if (b == NULL) return NULL;
        b->capacity = capacity;
        b->used = 0;
        b->next = a->head;
        a->head = b;
        start = 0;
    }
    b->used = start + size;
    return (unsigned char *)b->data + start;
}

/** Frees every block. */
static void arena_clear(arena *a)
{
    while (a->head != NULL) {
        arena_block *next = a->head->next;
        free(a->head);
        a->head = next;
    }
}

/** `size` bytes aligned for any type, or NULL when out of memory. */
static void *arena_alloc(arena *a, size_t size)
{
    return arena_alloc_aligned(a, size, sizeof(max_align_t));
}

/** A NUL-terminated copy of bytes[0..length), or NULL when out of memory. */
static char *arena_strndup(arena *a, const unsigned char *bytes, size_t length)
{
    if (length == SIZE_MAX) return NULL;
    char *copy = arena_alloc_aligned(a, length + 1, 1);
    if (copy == NULL) return NULL;
    if (length > 0) memcpy(copy, bytes, length);
    copy[length] = '\0';
    return copy;
}

#endif /* TESSERA_ONNX_SUPPORT_H */

/*
 * st_support.h — the dtype table, UTF-8 checks and little-endian integers. (The error and
 * settings helpers are the shared tsp_* ones from Plugins/support.)
 *
 * Private to safetensors.c, which includes it exactly once. It holds static definitions on
 * purpose: the plugin is one translation unit, so every function is static and the library
 * exports nothing but tsr_plugin_entry, with or without -fvisibility=hidden.
 */
#ifndef TESSERA_ST_SUPPORT_H
#define TESSERA_ST_SUPPORT_H

#include <tessera/tessera.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera_safetensors.h"
#include "tessera_plugin_support.h"

#define PLUGIN_NAME "safetensors"
#define MAX_HEADER ((uint64_t)TESSERA_SAFETENSORS_MAX_HEADER)
#define SUPPORTED_DTYPES "F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL"

/* ------------------------------------------------------------------------------------------ */
/* Dtypes                                                                                     */
/* ------------------------------------------------------------------------------------------ */

typedef struct dtype_info {
    const char *name; /**< as spelled in safetensors headers */
    tsr_dtype dtype;
    size_t size;
} dtype_info;

static const dtype_info k_dtypes[] = {
    {"F64", TSR_DTYPE_FP64, 8},   {"F32", TSR_DTYPE_FP32, 4},   {"F16", TSR_DTYPE_FP16, 2},
    {"BF16", TSR_DTYPE_BF16, 2},  {"I64", TSR_DTYPE_INT64, 8},  {"I32", TSR_DTYPE_INT32, 4},
    {"I16", TSR_DTYPE_INT16, 2},  {"I8", TSR_DTYPE_INT8, 1},    {"U64", TSR_DTYPE_UINT64, 8},
    {"U32", TSR_DTYPE_UINT32, 4}, {"U16", TSR_DTYPE_UINT16, 2}, {"U8", TSR_DTYPE_UINT8, 1},
    {"BOOL", TSR_DTYPE_BOOL, 1},
};
#define DTYPE_COUNT (sizeof k_dtypes / sizeof k_dtypes[0])

static const dtype_info *dtype_by_name(const char *name, size_t length)
{
    for (size_t i = 0; i < DTYPE_COUNT; i++) {
        if (strlen(k_dtypes[i].name) == length && memcmp(k_dtypes[i].name, name, length) == 0) return &k_dtypes[i];
    }
    return NULL;
}

static const dtype_info *dtype_by_code(tsr_dtype dtype)
{
    for (size_t i = 0; i < DTYPE_COUNT; i++) {
        if (k_dtypes[i].dtype == dtype) return &k_dtypes[i];
    }
    return NULL;
}

static int host_is_little_endian(void)
{
    const uint16_t probe = 1;
    unsigned char first;
    memcpy(&first, &probe, 1);
    return first == 1;
}

/* ------------------------------------------------------------------------------------------ */
/* UTF-8                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/** Length of the valid UTF-8 sequence at s (bounded by end), or 0 when invalid. */
static size_t utf8_sequence_length(const unsigned char *s, const unsigned char *end)
{
    size_t available = (size_t)(end - s);
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return available >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        return available >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        return available >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80 ? 4 : 0;
    }
    return 0;
}

/** Offset of the first byte that is not valid UTF-8, or `length` when all is valid. */
static size_t utf8_invalid_offset(const unsigned char *text, size_t length)
{
    const unsigned char *at = text, *end = text + length;
    while (at < end) {
        size_t step = utf8_sequence_length(at, end);
        if (step == 0) return (size_t)(at - text);
        at += step;
    }
    return length;
}

/* ------------------------------------------------------------------------------------------ */
/* Little-endian integers                                                                     */
/* ------------------------------------------------------------------------------------------ */

static uint64_t read_le64(const unsigned char *bytes)
{
    uint64_t value = 0;
    for (int i = 7; i >= 0; i--) value = (value << 8) | bytes[i];
    return value;
}

static void write_le64(unsigned char *bytes, uint64_t value)
{
    for (int i = 0; i < 8; i++) bytes[i] = (unsigned char)(value >> (8 * i));
}

#endif /* TESSERA_ST_SUPPORT_H */

/*
 * bytes.c — byte order, half floats and UTF-8 (tessera_plugin_support.h), for the plugins that
 * read binary formats (safetensors, onnx, gguf, hf-bert).
 */
#include "tessera_plugin_support.h"

#include <string.h>

int tsp_host_is_little_endian(void)
{
    const uint16_t probe = 1;
    unsigned char first;
    memcpy(&first, &probe, 1);
    return first == 1;
}

static float float_from_bits(uint32_t bits)
{
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

float tsp_half_to_float(uint16_t half)
{
    uint32_t sign = (uint32_t)(half & 0x8000u) << 16;
    uint32_t exponent = (half >> 10) & 0x1Fu;
    uint32_t mantissa = half & 0x3FFu;
    uint32_t bits;
    if (exponent == 0x1F) {
        bits = sign | 0x7F800000u | (mantissa << 13); /* infinity or NaN */
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign; /* signed zero */
    } else {
        /* subnormal half: normalize it */
        exponent = 113;
        while ((mantissa & 0x400u) == 0) {
            mantissa <<= 1;
            exponent--;
        }
        bits = sign | (exponent << 23) | ((mantissa & 0x3FFu) << 13);
    }
    return float_from_bits(bits);
}

float tsp_bfloat16_to_float(uint16_t bits)
{
    return float_from_bits((uint32_t)bits << 16);
}

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

size_t tsp_utf8_invalid_offset(const unsigned char *text, size_t length, tsp_utf8_nul nul)
{
    if (length == 0) return 0; /* text may be NULL then */
    const unsigned char *at = text, *end = text + length;
    while (at < end) {
        size_t step = *at == 0 && nul == TSP_UTF8_REJECT_NUL ? 0 : utf8_sequence_length(at, end);
        if (step == 0) return (size_t)(at - text);
        at += step;
    }
    return length;
}

const char *tsp_utf8_problem(const unsigned char *text, size_t offset)
{
    return text[offset] == 0 ? "contains a NUL byte" : "is not valid UTF-8";
}

/*
 * json_string.c — decoding one JSON string (tessera_plugin_support.h), shared by the two
 * strict JSON readers of the bundled plugins: the safetensors header parser
 * (safetensors_reader.c) and hf-bert's config.json parser (Plugins/hf-bert/src/hf_json.h).
 */
#include "tessera_plugin_support.h"

#include <stdlib.h>
#include <string.h>

/** The four hex digits of a \u escape at text[*at], moving *at past them; -1 when malformed. */
static long read_hex4(const unsigned char *text, size_t length, size_t *at)
{
    if (length - *at < 4) return -1;
    long value = 0;
    for (size_t i = 0; i < 4; i++) {
        unsigned char c = text[*at + i];
        int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (digit < 0) return -1;
        value = value * 16 + digit;
    }
    *at += 4;
    return value;
}

/** Appends code point `c` (at most U+10FFFF, not a surrogate) as UTF-8. */
static void put_utf8(char *out, size_t *n, unsigned long c)
{
    if (c < 0x80) {
        out[(*n)++] = (char)c;
    } else if (c < 0x800) {
        out[(*n)++] = (char)(0xC0 | (c >> 6));
        out[(*n)++] = (char)(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out[(*n)++] = (char)(0xE0 | (c >> 12));
        out[(*n)++] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (c & 0x3F));
    } else {
        out[(*n)++] = (char)(0xF0 | (c >> 18));
        out[(*n)++] = (char)(0x80 | ((c >> 12) & 0x3F));
        out[(*n)++] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (c & 0x3F));
    }
}

tsp_json_result tsp_json_string(const unsigned char *text, size_t length, size_t *pos, char **out, size_t *out_length,
                                const char **problem)
{
    *out = NULL;
    *out_length = 0;
    *problem = NULL;
    if (*pos >= length || text[*pos] != '"') {
        *problem = "expected a string";
        return TSP_JSON_INVALID;
    }
    size_t at = *pos + 1, end = at;
    /* Find the closing quote first: an escaped character is skipped whatever it is. */
    while (end < length && text[end] != '"') end += text[end] == '\\' ? 2 : 1;
    if (end >= length) {
        *pos = length;
        *problem = "a string is not terminated";
        return TSP_JSON_INVALID;
    }
    char *decoded = malloc(end - at + 1); /* escapes only ever shrink */
    if (decoded == NULL) return TSP_JSON_OUT_OF_MEMORY;
    size_t n = 0;
    while (at < end && *problem == NULL) {
        unsigned char c = text[at];
        if (c < 0x20) {
            *pos = at;
            *problem = "a control character must be escaped inside a string";
            break;
        }
        if (c != '\\') {
            decoded[n++] = (char)c;
            at++;
            continue;
        }
        size_t escape_at = at;
        unsigned char e = text[at + 1]; /* inside the string: the scan above stepped over it */
        at += 2;
        const char *simple = e != '\0' ? strchr("\"\\/bfnrt", e) : NULL;
        if (simple != NULL) {
            decoded[n++] = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
            continue;
        }
        long unit = e == 'u' ? read_hex4(text, length, &at) : -1;
        if (e != 'u') {
            *problem = "invalid escape sequence in a string";
        } else if (unit < 0) {
            *problem = "\\u must be followed by four hex digits";
        } else if (unit >= 0xD800 && unit <= 0xDBFF) {
            long low = -1;
            if (at + 1 < end && text[at] == '\\' && text[at + 1] == 'u') {
                at += 2;
                low = read_hex4(text, length, &at);
            }
            if (low < 0xDC00 || low > 0xDFFF) *problem = "a UTF-16 high surrogate escape is not followed by a low surrogate";
            else unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
        } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
            *problem = "a UTF-16 low surrogate escape has no high surrogate before it";
        }
        if (*problem != NULL) *pos = escape_at;
        else put_utf8(decoded, &n, (unsigned long)unit);
    }
    if (*problem != NULL) {
        free(decoded);
        return TSP_JSON_INVALID;
    }
    decoded[n] = '\0';
    *out = decoded;
    *out_length = n;
    *pos = end + 1;
    return TSP_JSON_OK;
}

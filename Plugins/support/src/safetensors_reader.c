/*
 * safetensors_reader.c — the functions of tessera_plugin_safetensors.h: a strict parser for
 * the safetensors JSON header, written for its schema, and the layout checks. The file is
 * mapped with tsp_map_file (files.c).
 *
 * Moved here from Plugins/safetensors so that every bundled plugin that reads safetensors
 * files (safetensors, hf-bert) trusts them exactly as far. Every function is declared hidden
 * in the header; everything else here is static.
 */
#include "tessera_plugin_safetensors.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HEADER ((uint64_t)TSP_ST_MAX_HEADER)

/* ------------------------------------------------------------------------------------------ */
/* Dtypes                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static const tsp_st_dtype k_dtypes[] = {
    {"F64", TSR_DTYPE_FP64, 8},   {"F32", TSR_DTYPE_FP32, 4},   {"F16", TSR_DTYPE_FP16, 2},
    {"BF16", TSR_DTYPE_BF16, 2},  {"I64", TSR_DTYPE_INT64, 8},  {"I32", TSR_DTYPE_INT32, 4},
    {"I16", TSR_DTYPE_INT16, 2},  {"I8", TSR_DTYPE_INT8, 1},    {"U64", TSR_DTYPE_UINT64, 8},
    {"U32", TSR_DTYPE_UINT32, 4}, {"U16", TSR_DTYPE_UINT16, 2}, {"U8", TSR_DTYPE_UINT8, 1},
    {"BOOL", TSR_DTYPE_BOOL, 1},
};
#define DTYPE_COUNT (sizeof k_dtypes / sizeof k_dtypes[0])

const tsp_st_dtype *tsp_st_dtype_by_name(const char *name, size_t length)
{
    for (size_t i = 0; i < DTYPE_COUNT; i++) {
        if (strlen(k_dtypes[i].name) == length && memcmp(k_dtypes[i].name, name, length) == 0) return &k_dtypes[i];
    }
    return NULL;
}

const tsp_st_dtype *tsp_st_dtype_by_code(tsr_dtype dtype)
{
    for (size_t i = 0; i < DTYPE_COUNT; i++) {
        if (k_dtypes[i].dtype == dtype) return &k_dtypes[i];
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* The header parser                                                                          */
/* ------------------------------------------------------------------------------------------ */

typedef struct tensor_list {
    tsp_st_tensor *items;
    size_t count;
    size_t capacity;
} tensor_list;

static void free_tensor_list(tensor_list *list)
{
    for (size_t i = 0; i < list->count; i++) free(list->items[i].name);
    free(list->items);
    list->items = NULL;
    list->count = list->capacity = 0;
}

typedef struct header_parser {
    const tsr_host_api *api;
    const char *plugin_name;   /**< prefixes every message */
    const char *path;
    const unsigned char *text; /**< the header: file offset 8 */
    size_t length;
    size_t pos;
    tsr_status *status;        /**< the first error */
} header_parser;

static int parser_fail(header_parser *hp, tsr_status_code code, const char *format, ...) __attribute__((format(printf, 3, 4)));

/** Records an error, prefixed "<plugin_name>: " (the first one wins), and returns 0, for `return parser_fail(...)`. */
static int parser_fail(header_parser *hp, tsr_status_code code, const char *format, ...)
{
    if (hp->status == NULL) {
        va_list args;
        va_start(args, format);
        hp->status = tsp_fail_va(hp->api, code, hp->plugin_name, format, args);
        va_end(args);
    }
    return 0;
}

/** Reports invalid JSON at the current position. */
static int syntax_error(header_parser *hp, const char *what)
{
    return parser_fail(hp, TSR_ERR_CORRUPT_DATA,
                       "'%s' has an invalid JSON header at byte %zu of the header (file offset %zu): %s%s",
                       hp->path, hp->pos, hp->pos + 8, what,
                       hp->pos >= hp->length ? " (the header ends there: it is truncated)" : "");
}

static int peek(const header_parser *hp)
{
    return hp->pos < hp->length ? hp->text[hp->pos] : -1;
}

static void skip_space(header_parser *hp)
{
    while (hp->pos < hp->length) {
        unsigned char c = hp->text[hp->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        hp->pos++;
    }
}

static int expect_char(header_parser *hp, char c, const char *what)
{
    skip_space(hp);
    if (peek(hp) != (unsigned char)c) return syntax_error(hp, what);
    hp->pos++;
    skip_space(hp);
    return 1;
}

/**
 * Parses a JSON string at hp->pos into a malloc'ed, NUL-terminated copy with escapes decoded;
 * *length excludes the terminator (the text may contain \u0000). The header was checked to
 * be UTF-8 before parsing.
 */
static int parse_string(header_parser *hp, char **out, size_t *length)
{
    const char *problem;
    tsp_json_result result = tsp_json_string(hp->text, hp->length, &hp->pos, out, length, &problem);
    if (result == TSP_JSON_INVALID) return syntax_error(hp, problem);
    if (result == TSP_JSON_OUT_OF_MEMORY) {
        return parser_fail(hp, TSR_ERR_OUT_OF_MEMORY, "out of memory parsing the header of '%s'", hp->path);
    }
    return 1;
}

/**
 * Parses a JSON number that must be a non-negative integer no larger than `max`.
 * `what` names it in messages, e.g. "dimension 2 of tensor 'w' shape".
 */
static int parse_uint(header_parser *hp, uint64_t max, const char *what, uint64_t *out)
{
    size_t start = hp->pos;
    size_t end = start;
    int negative = 0, fractional = 0;
    if (end < hp->length && hp->text[end] == '-') { negative = 1; end++; }
    size_t digits_start = end;
    while (end < hp->length && hp->text[end] >= '0' && hp->text[end] <= '9') end++;
    size_t digits_end = end;
    if (digits_end == digits_start) return syntax_error(hp, "expected a number");
    if (hp->text[digits_start] == '0' && digits_end - digits_start > 1) {
        return syntax_error(hp, "a number must not have leading zeros");
    }
    if (end < hp->length && hp->text[end] == '.') {
        fractional = 1;
        end++;
        size_t fraction_start = end;
        while (end < hp->length && hp->text[end] >= '0' && hp->text[end] <= '9') end++;
        if (end == fraction_start) { hp->pos = end; return syntax_error(hp, "a number's '.' must be followed by digits"); }
    }
    if (end < hp->length && (hp->text[end] == 'e' || hp->text[end] == 'E')) {
        fractional = 1;
        end++;
        if (end < hp->length && (hp->text[end] == '+' || hp->text[end] == '-')) end++;
        size_t exponent_start = end;
        while (end < hp->length && hp->text[end] >= '0' && hp->text[end] <= '9') end++;
        if (end == exponent_start) { hp->pos = end; return syntax_error(hp, "a number's exponent has no digits"); }
    }
    int shown = (int)(end - start > 40 ? 40 : end - start);
    const char *token = (const char *)hp->text + start;
    if (negative && !(digits_end - digits_start == 1 && hp->text[digits_start] == '0' && !fractional)) {
        return parser_fail(hp, TSR_ERR_CORRUPT_DATA, "'%s': %s is negative (%.*s) at header byte %zu", hp->path,
                           what, shown, token, start);
    }
    if (fractional) {
        return parser_fail(hp, TSR_ERR_CORRUPT_DATA, "'%s': %s must be an integer, not %.*s (header byte %zu)",
                           hp->path, what, shown, token, start);
    }
    uint64_t value = 0;
    for (size_t i = digits_start; i < digits_end; i++) {
        unsigned digit = (unsigned)(hp->text[i] - '0');
        if (value > (max - digit) / 10) {
            return parser_fail(hp, TSR_ERR_CORRUPT_DATA,
                               "'%s': %s (%.*s) is too large (the limit is %" PRIu64 ") at header byte %zu",
                               hp->path, what, shown, token, max, start);
        }
        value = value * 10 + digit;
    }
    hp->pos = end;
    *out = value;
    return 1;
}

/**
 * Parses an array of non-negative integers into out[0..*count), at most `capacity` of them;
 * more is reported with `too_many_code`.
 */
static int parse_uint_array(header_parser *hp, const char *tensor, const char *field, uint64_t max, uint64_t *out,
                            size_t capacity, size_t *count, tsr_status_code too_many_code)
{
    *count = 0;
    if (peek(hp) != '[') {
        return parser_fail(hp, TSR_ERR_CORRUPT_DATA, "'%s': '%s' of tensor '%s' must be an array (header byte %zu)",
                           hp->path, field, tensor, hp->pos);
    }
    hp->pos++;
    skip_space(hp);
    if (peek(hp) == ']') {
        hp->pos++;
        return 1;
    }
    for (;;) {
        if (*count == capacity) {
            return parser_fail(hp, too_many_code, "'%s': '%s' of tensor '%s' has more than %zu entries (header byte %zu)",
                               hp->path, field, tensor, capacity, hp->pos);
        }
        char what[160];
        snprintf(what, sizeof what, "entry %zu of '%s' of tensor '%s'", *count, field, tensor);
        if (!parse_uint(hp, max, what, &out[*count])) return 0;
        (*count)++;
        skip_space(hp);
        if (peek(hp) == ']') {
            hp->pos++;
            return 1;
        }
        if (!expect_char(hp, ',', "expected ',' or ']' in an array")) return 0;
    }
}

/** Parses {"dtype":..., "shape":[...], "data_offsets":[b,e]} for tensor `name` (owned by `entry` from here on). */
static int parse_tensor(header_parser *hp, tsp_st_tensor *entry)
{
    const char *name = entry->name;
    if (peek(hp) != '{') {
        return parser_fail(hp, TSR_ERR_CORRUPT_DATA,
                           "'%s': the entry of tensor '%s' must be an object with dtype, shape and "
                           "data_offsets (header byte %zu)",
                           hp->path, name, hp->pos);
    }
    hp->pos++;
    skip_space(hp);
    int have_dtype = 0, have_shape = 0, have_offsets = 0;
    if (peek(hp) == '}') {
        hp->pos++;
    } else {
        for (;;) {
            size_t key_at = hp->pos;
            char *key;
            size_t key_length;
            if (!parse_string(hp, &key, &key_length)) return 0;
            int ok = expect_char(hp, ':', "expected ':' after a field name");
            int *seen = NULL;
            if (ok && strcmp(key, "dtype") == 0 && key_length == 5) {
                seen = &have_dtype;
            } else if (ok && strcmp(key, "shape") == 0 && key_length == 5) {
                seen = &have_shape;
            } else if (ok && strcmp(key, "data_offsets") == 0 && key_length == 12) {
                seen = &have_offsets;
            } else if (ok) {
                ok = parser_fail(hp, TSR_ERR_CORRUPT_DATA,
                                 "'%s': tensor '%s' has an unknown field '%s' at header byte %zu (expected "
                                 "dtype, shape and data_offsets)",
                                 hp->path, name, key, key_at);
            }
            if (ok && *seen) {
                ok = parser_fail(hp, TSR_ERR_CORRUPT_DATA, "'%s': tensor '%s' has field '%s' twice (header byte %zu)",
                                 hp->path, name, key, key_at);
            }
            if (ok) *seen = 1;
            if (ok && seen == &have_dtype) {
                char *dtype;
                size_t dtype_length;
                if (peek(hp) != '"') {
                    ok = parser_fail(hp, TSR_ERR_CORRUPT_DATA, "'%s': 'dtype' of tensor '%s' must be a string (header byte %zu)",
                                     hp->path, name, hp->pos);
                } else if ((ok = parse_string(hp, &dtype, &dtype_length)) != 0) {
                    entry->dtype = tsp_st_dtype_by_name(dtype, dtype_length);
                    if (entry->dtype == NULL) {
                        ok = parser_fail(hp, TSR_ERR_UNSUPPORTED,
                                         "'%s': tensor '%s' has dtype '%s', which Tessera does not support "
                                         "(supported: " TSP_ST_SUPPORTED_DTYPES ")",
                                         hp->path, name, dtype);
                    }
                    free(dtype);
                }
            } else if (ok && seen == &have_shape) {
                uint64_t dims[TSR_MAX_RANK];
                size_t ndim = 0;
                ok = parse_uint_array(hp, name, "shape", (uint64_t)INT64_MAX, dims, TSR_MAX_RANK, &ndim, TSR_ERR_UNSUPPORTED);
                entry->ndim = (uint32_t)ndim;
                for (size_t d = 0; d < ndim; d++) entry->shape[d] = (int64_t)dims[d];
            } else if (ok && seen == &have_offsets) {
                uint64_t offsets[2] = {0, 0};
                size_t count = 0;
                ok = parse_uint_array(hp, name, "data_offsets", UINT64_MAX, offsets, 2, &count, TSR_ERR_CORRUPT_DATA);
                if (ok && count != 2) {
                    ok = parser_fail(hp, TSR_ERR_CORRUPT_DATA,
                                     "'%s': 'data_offsets' of tensor '%s' must be [begin, end], but it has %zu entries",
                                     hp->path, name, count);
                }
                entry->begin = offsets[0];
                entry->end = offsets[1];
            }
            free(key);
            if (!ok) return 0;
            skip_space(hp);
            if (peek(hp) == '}') {
                hp->pos++;
                break;
            }
            if (!expect_char(hp, ',', "expected ',' or '}' in a tensor's entry")) return 0;
        }
    }
    const char *missing = !have_dtype ? "dtype" : !have_shape ? "shape" : !have_offsets ? "data_offsets" : NULL;
    if (missing != NULL) {
        return parser_fail(hp, TSR_ERR_CORRUPT_DATA, "'%s': tensor '%s' has no '%s' field (header byte %zu)",
                           hp->path, name, missing, entry->header_offset);
    }
    return 1;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/** Parses "__metadata__": an object whose values are strings; keys must be distinct. */
static int parse_metadata(header_parser *hp)
{
    size_t object_at = hp->pos;
    if (peek(hp) != '{') {
        return parser_fail(hp, TSR_ERR_CORRUPT_DATA, "'%s': '__metadata__' must be an object of strings (header byte %zu)",
                           hp->path, hp->pos);
    }
    hp->pos++;
    skip_space(hp);
    char **keys = NULL;
    size_t count = 0, capacity = 0;
    int ok = 1;
    if (peek(hp) == '}') {
        hp->pos++;
    } else {
        for (;;) {
            char *key = NULL, *value = NULL;
            size_t length;
            if (!parse_string(hp, &key, &length)) { ok = 0; break; }
            if (count == capacity) {
                capacity = capacity ? capacity * 2 : 8;
                char **grown = realloc(keys, capacity * sizeof *grown);
                if (grown == NULL) {
                    free(key);
                    ok = parser_fail(hp, TSR_ERR_OUT_OF_MEMORY, "out of memory parsing the header of '%s'", hp->path);
                    break;
                }
                keys = grown;
            }
            keys[count++] = key;
            if (!expect_char(hp, ':', "expected ':' after a metadata key")) { ok = 0; break; }
            if (peek(hp) != '"') {
                ok = parser_fail(hp, TSR_ERR_CORRUPT_DATA,
                                 "'%s': '__metadata__' value of '%s' must be a string (header byte %zu)", hp->path,
                                 key, hp->pos);
                break;
            }
            if (!parse_string(hp, &value, &length)) { ok = 0; break; }
            free(value);
            skip_space(hp);
            if (peek(hp) == '}') {
                hp->pos++;
                break;
            }
            if (!expect_char(hp, ',', "expected ',' or '}' in '__metadata__'")) { ok = 0; break; }
        }
    }
    if (ok && count > 1) {
        qsort(keys, count, sizeof *keys, compare_strings);
        for (size_t i = 1; i < count && ok; i++) {
            if (strcmp(keys[i - 1], keys[i]) == 0) {
                ok = parser_fail(hp, TSR_ERR_CORRUPT_DATA, "'%s': '__metadata__' (header byte %zu) has key '%s' twice",
                                 hp->path, object_at, keys[i]);
            }
        }
    }
    for (size_t i = 0; i < count; i++) free(keys[i]);
    free(keys);
    return ok;
}

/** Parses the whole header into `list`. */
static int parse_header(header_parser *hp, tensor_list *list)
{
    size_t invalid = tsp_utf8_invalid_offset(hp->text, hp->length, TSP_UTF8_ALLOW_NUL);
    if (invalid < hp->length) {
        return parser_fail(hp, TSR_ERR_CORRUPT_DATA,
                           "'%s': the header is not valid UTF-8 at byte %zu of the header (file offset %zu)",
                           hp->path, invalid, invalid + 8);
    }
    if (peek(hp) != '{') return syntax_error(hp, "the header must start with '{'");
    hp->pos++;
    skip_space(hp);
    int have_metadata = 0;
    if (peek(hp) == '}') {
        hp->pos++;
    } else {
        for (;;) {
            size_t key_at = hp->pos;
            char *key;
            size_t key_length;
            if (peek(hp) != '"') return syntax_error(hp, "expected a tensor name in double quotes");
            if (!parse_string(hp, &key, &key_length)) return 0;
            if (!expect_char(hp, ':', "expected ':' after a tensor name")) {
                free(key);
                return 0;
            }
            if (strcmp(key, "__metadata__") == 0 && key_length == 12) {
                free(key);
                if (have_metadata) {
                    return parser_fail(hp, TSR_ERR_CORRUPT_DATA, "'%s': '__metadata__' appears twice (header byte %zu)",
                                       hp->path, key_at);
                }
                have_metadata = 1;
                if (!parse_metadata(hp)) return 0;
            } else {
                if (strlen(key) != key_length || key_length == 0) {
                    free(key);
                    return parser_fail(hp, TSR_ERR_CORRUPT_DATA, "'%s': a tensor name %s (header byte %zu)", hp->path,
                                       key_length == 0 ? "is empty" : "contains a NUL character", key_at);
                }
                if (list->count == list->capacity) {
                    size_t capacity = list->capacity ? list->capacity * 2 : 16;
                    tsp_st_tensor *grown = realloc(list->items, capacity * sizeof *grown);
                    if (grown == NULL) {
                        free(key);
                        return parser_fail(hp, TSR_ERR_OUT_OF_MEMORY, "out of memory parsing the header of '%s'",
                                           hp->path);
                    }
                    list->items = grown;
                    list->capacity = capacity;
                }
                tsp_st_tensor *entry = &list->items[list->count++];
                memset(entry, 0, sizeof *entry);
                entry->name = key;
                entry->header_offset = key_at;
                if (!parse_tensor(hp, entry)) return 0;
            }
            skip_space(hp);
            if (peek(hp) == '}') {
                hp->pos++;
                break;
            }
            if (!expect_char(hp, ',', "expected ',' or '}' after a tensor's entry")) return 0;
        }
    }
    skip_space(hp);
    if (hp->pos != hp->length) return syntax_error(hp, "unexpected data after the header's closing '}'");
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Layout validation                                                                          */
/* ------------------------------------------------------------------------------------------ */

static int compare_entry_names(const void *a, const void *b)
{
    return strcmp((*(const tsp_st_tensor *const *)a)->name, (*(const tsp_st_tensor *const *)b)->name);
}

static int compare_entry_offsets(const void *a, const void *b)
{
    const tsp_st_tensor *x = *(const tsp_st_tensor *const *)a, *y = *(const tsp_st_tensor *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

/**
 * Checks every tensor against the data section of `data_size` bytes: byte counts that match
 * dtype and shape, offsets in range, names distinct, and tensors that tile the data section
 * exactly (no overlap, no uncovered byte).
 */
static tsr_status *validate_layout(const tsr_host_api *api, const char *plugin_name, const char *path, tensor_list *list,
                                   uint64_t data_size)
{
    for (size_t i = 0; i < list->count; i++) {
        const tsp_st_tensor *t = &list->items[i];
        char shape[16 * 24 + 8];
        tsp_format_shape(shape, sizeof shape, t->shape, t->ndim);
        uint64_t bytes = t->dtype->size;
        for (uint32_t d = 0; d < t->ndim; d++) {
            uint64_t dim = (uint64_t)t->shape[d];
            /* INT64_MAX, not UINT64_MAX: the host counts elements in an Int64, in order, so a
               later zero dimension must not hide an overflow before it (found by fuzz/). */
            if (dim != 0 && bytes > (uint64_t)INT64_MAX / dim) {
                return tsp_fail(api, TSR_ERR_CORRUPT_DATA, plugin_name, "'%s': the size of tensor '%s' (%s, shape %s) overflows",
                                path, t->name, t->dtype->name, shape);
            }
            bytes *= dim;
        }
        if (t->end < t->begin) {
            return tsp_fail(api, TSR_ERR_CORRUPT_DATA, plugin_name,
                            "'%s': tensor '%s' has data_offsets [%" PRIu64 ", %" PRIu64 "], whose end is before its begin",
                            path, t->name, t->begin, t->end);
        }
        if (t->end > data_size) {
            return tsp_fail(api, TSR_ERR_CORRUPT_DATA, plugin_name,
                            "'%s': tensor '%s' has data_offsets [%" PRIu64 ", %" PRIu64 "] outside the data section, "
                            "which is %" PRIu64 " bytes (the file is truncated or corrupt)",
                            path, t->name, t->begin, t->end, data_size);
        }
        if (t->end - t->begin != bytes) {
            return tsp_fail(api, TSR_ERR_CORRUPT_DATA, plugin_name,
                            "'%s': tensor '%s' has %" PRIu64 " bytes (data_offsets [%" PRIu64 ", %" PRIu64 "]) "
                            "but dtype %s and shape %s need %" PRIu64,
                            path, t->name, t->end - t->begin, t->begin, t->end, t->dtype->name, shape, bytes);
        }
    }
    if (list->count == 0) {
        if (data_size != 0) {
            return tsp_fail(api, TSR_ERR_CORRUPT_DATA, plugin_name,
                            "'%s': the header lists no tensors but %" PRIu64 " bytes of data follow it", path, data_size);
        }
        return NULL;
    }

    tsp_st_tensor **sorted = malloc(list->count * sizeof *sorted);
    if (sorted == NULL) return tsp_fail(api, TSR_ERR_OUT_OF_MEMORY, plugin_name, "out of memory checking '%s'", path);
    for (size_t i = 0; i < list->count; i++) sorted[i] = &list->items[i];
    tsr_status *status = NULL;

    qsort(sorted, list->count, sizeof *sorted, compare_entry_names);
    for (size_t i = 1; i < list->count && status == NULL; i++) {
        if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0) {
            status = tsp_fail(api, TSR_ERR_CORRUPT_DATA, plugin_name, "'%s': tensor '%s' is listed twice in the header", path,
                              sorted[i]->name);
        }
    }

    if (status == NULL) qsort(sorted, list->count, sizeof *sorted, compare_entry_offsets);
    uint64_t covered = 0;
    const tsp_st_tensor *previous = NULL;
    for (size_t i = 0; i < list->count && status == NULL; i++) {
        const tsp_st_tensor *t = sorted[i];
        if (t->begin < covered) {
            status = tsp_fail(api, TSR_ERR_CORRUPT_DATA, plugin_name,
                              "'%s': tensors '%s' (bytes %" PRIu64 "..%" PRIu64 ") and '%s' (bytes %" PRIu64 "..%" PRIu64
                              ") overlap in the data section",
                              path, previous->name, previous->begin, previous->end, t->name, t->begin, t->end);
        } else if (t->begin > covered) {
            status = tsp_fail(api, TSR_ERR_CORRUPT_DATA, plugin_name,
                              "'%s': bytes %" PRIu64 "..%" PRIu64 " of the data section are not covered by any tensor "
                              "(the format requires the data to be indexed entirely)",
                              path, covered, t->begin);
        }
        covered = t->end;
        previous = t;
    }
    if (status == NULL && covered != data_size) {
        status = tsp_fail(api, TSR_ERR_CORRUPT_DATA, plugin_name,
                          "'%s': the last %" PRIu64 " bytes of the data section (from offset %" PRIu64 ") are not "
                          "covered by any tensor (the format requires the data to be indexed entirely)",
                          path, data_size - covered, covered);
    }
    free(sorted);
    return status;
}

/* ------------------------------------------------------------------------------------------ */
/* Opening a file                                                                             */
/* ------------------------------------------------------------------------------------------ */

/** Maps `path` and checks the header length; on success *out holds one reference. */
static tsr_status *map_file(const tsr_host_api *api, const char *plugin_name, const char *path, tsp_mapping **out,
                            uint64_t *header_length)
{
    *out = NULL;
    *header_length = 0;
    tsp_mapping *m;
    tsr_status *status = tsp_map_file(api, plugin_name, path, NULL, "a .safetensors file", &m);
    if (status != NULL) return status;
    const unsigned char *bytes = tsp_mapping_bytes(m);
    uint64_t size = tsp_mapping_size(m);
    uint64_t length = size >= 8 ? tsp_read_le64(bytes) : 0;
    if (size < 8) {
        status = tsp_fail(api, TSR_ERR_CORRUPT_DATA, plugin_name,
                          "'%s' is %" PRIu64 " bytes, too short to hold the 8-byte header length of a safetensors file", path,
                          size);
    } else if (length > MAX_HEADER) {
        status = tsp_fail(api, TSR_ERR_CORRUPT_DATA, plugin_name,
                          "'%s' declares a JSON header of %" PRIu64 " bytes, more than the %" PRIu64 " MiB limit; "
                          "the file is not safetensors or is corrupt",
                          path, length, MAX_HEADER >> 20);
    } else if (length + 8 > size) {
        status = tsp_fail(api, TSR_ERR_CORRUPT_DATA, plugin_name,
                          "'%s' declares a JSON header of %" PRIu64 " bytes, past the end of the file (%" PRIu64
                          " bytes); the file is truncated or not safetensors",
                          path, length, size);
    } else if (length < 2) {
        status = tsp_fail(api, TSR_ERR_CORRUPT_DATA, plugin_name,
                          "'%s' declares a JSON header of %" PRIu64 " bytes, too short for a JSON object", path, length);
    }
    if (status != NULL) {
        tsp_mapping_release(m);
        return status;
    }
    *out = m;
    *header_length = length;
    return NULL;
}

tsr_status *tsp_st_open(const tsr_host_api *api, const char *plugin_name, const char *path, tsp_st_file *file)
{
    memset(file, 0, sizeof *file);
    tsp_mapping *m;
    uint64_t header_length;
    tsr_status *status = map_file(api, plugin_name, path, &m, &header_length);
    if (status != NULL) return status;

    unsigned char *bytes = tsp_mapping_bytes(m);
    header_parser hp = {api, plugin_name, path, bytes + 8, (size_t)header_length, 0, NULL};
    tensor_list list = {NULL, 0, 0};
    uint64_t data_size = (uint64_t)tsp_mapping_size(m) - 8 - header_length;
    if (!parse_header(&hp, &list)) {
        status = hp.status;
    } else {
        status = validate_layout(api, plugin_name, path, &list, data_size);
    }
    if (status != NULL) {
        free_tensor_list(&list);
        tsp_mapping_release(m);
        return status;
    }
    file->mapping = m;
    file->data = bytes + 8 + header_length;
    file->data_size = data_size;
    file->tensors = list.items;
    file->count = list.count;
    file->capacity = list.capacity;
    return NULL;
}

void tsp_st_close(tsp_st_file *file)
{
    tensor_list list = {file->tensors, file->count, file->capacity};
    free_tensor_list(&list);
    if (file->mapping != NULL) tsp_mapping_release(file->mapping);
    memset(file, 0, sizeof *file);
}

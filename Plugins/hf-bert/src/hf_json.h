/*
 * hf_json.h — a small strict JSON parser for config.json, into a tree of malloc'ed values.
 *
 * RFC 8259 and nothing more: no comments, no trailing commas, no NaN or Infinity (which
 * Python's json module writes, but transformers never puts in a BERT config), UTF-8 only,
 * nesting at most TESSERA_HF_BERT_MAX_JSON_DEPTH deep. Duplicate keys are kept; lookups find
 * the last, as Python's json.load does. Strings are decoded by tsp_json_string, which the
 * safetensors header parser in Plugins/support uses too.
 *
 * Private to hf_bert.c, which includes it exactly once: every definition is static, so the
 * library exports nothing but tsr_plugin_entry.
 */
#ifndef TESSERA_HF_JSON_H
#define TESSERA_HF_JSON_H

#include "hf_support.h"

#include <locale.h>

typedef enum json_kind { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_kind;

typedef struct json_value json_value;

struct json_value {
    json_kind kind;
    double number;      /**< NUMBER */
    int integral;       /**< NUMBER written without fraction or exponent that fits `integer` */
    int64_t integer;
    char *string;       /**< STRING: decoded and NUL-terminated */
    size_t length;      /**< STRING: bytes before the terminator (the text may hold \u0000) */
    char **keys;        /**< OBJECT: `count` keys, decoded */
    json_value *items;  /**< ARRAY, OBJECT: `count` values */
    size_t count;
};

static void json_free(json_value *value)
{
    free(value->string);
    for (size_t i = 0; i < value->count; i++) {
        if (value->keys != NULL) free(value->keys[i]);
        json_free(&value->items[i]);
    }
    free(value->keys);
    free(value->items);
    memset(value, 0, sizeof *value);
}

/** Where parsing stopped and why: `message` is a literal. */
typedef struct json_error {
    const char *message;
    size_t offset;
    int out_of_memory;
} json_error;

typedef struct json_parser {
    const unsigned char *text;
    size_t length;
    size_t pos;
    int depth;
    json_error error;
} json_parser;

static int json_fail(json_parser *p, const char *message)
{
    if (p->error.message == NULL) {
        p->error.message = message;
        p->error.offset = p->pos;
    }
    return 0;
}

static int json_out_of_memory(json_parser *p)
{
    p->error.out_of_memory = 1;
    return json_fail(p, "out of memory");
}

static void json_skip_space(json_parser *p)
{
    while (p->pos < p->length) {
        unsigned char c = p->text[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

static int json_peek(const json_parser *p)
{
    return p->pos < p->length ? p->text[p->pos] : -1;
}

static int json_literal(json_parser *p, const char *word, json_kind kind, json_value *out)
{
    size_t length = strlen(word);
    if (p->length - p->pos < length || memcmp(p->text + p->pos, word, length) != 0) {
        return json_fail(p, "expected a value (a string, number, object, array, true, false or null)");
    }
    p->pos += length;
    out->kind = kind;
    return 1;
}

/** Parses the string at p->pos (a '"') into a malloc'ed, decoded, NUL-terminated copy. */
static int json_string(json_parser *p, char **out, size_t *length)
{
    const char *problem;
    tsp_json_result result = tsp_json_string(p->text, p->length, &p->pos, out, length, &problem);
    if (result == TSP_JSON_INVALID) return json_fail(p, problem);
    if (result == TSP_JSON_OUT_OF_MEMORY) return json_out_of_memory(p);
    return 1;
}

static int json_number(json_parser *p, json_value *out)
{
    size_t start = p->pos, end = start;
    const unsigned char *t = p->text;
    int integral = 1;
    if (end < p->length && t[end] == '-') end++;
    size_t digits = end;
    while (end < p->length && t[end] >= '0' && t[end] <= '9') end++;
    if (end == digits) return json_fail(p, "expected a value (a string, number, object, array, true, false or null)");
    if (t[digits] == '0' && end - digits > 1) return json_fail(p, "a number must not have leading zeros");
    if (end < p->length && t[end] == '.') {
        integral = 0;
        size_t fraction = ++end;
        while (end < p->length && t[end] >= '0' && t[end] <= '9') end++;
        if (end == fraction) { p->pos = end; return json_fail(p, "a number's '.' must be followed by digits"); }
    }
    if (end < p->length && (t[end] == 'e' || t[end] == 'E')) {
        integral = 0;
        end++;
        if (end < p->length && (t[end] == '+' || t[end] == '-')) end++;
        size_t exponent = end;
        while (end < p->length && t[end] >= '0' && t[end] <= '9') end++;
        if (end == exponent) { p->pos = end; return json_fail(p, "a number's exponent has no digits"); }
    }
    char token[64];
    if (end - start >= sizeof token) return json_fail(p, "a number has more than 63 characters");
    memcpy(token, t + start, end - start);
    token[end - start] = '\0';
    /* strtod reads the C library's current locale: give it that locale's decimal point. */
    const struct lconv *locale = localeconv();
    char point = locale != NULL && locale->decimal_point != NULL && locale->decimal_point[0] ? locale->decimal_point[0] : '.';
    char *dot = strchr(token, '.');
    if (dot != NULL) *dot = point;
    out->kind = JSON_NUMBER;
    out->number = strtod(token, NULL);
    if (integral && end - digits <= 18) {
        int64_t value = 0;
        for (size_t i = digits; i < end; i++) value = value * 10 + (t[i] - '0');
        out->integral = 1;
        out->integer = t[start] == '-' ? -value : value;
    }
    p->pos = end;
    return 1;
}

static int json_value_at(json_parser *p, json_value *out);

/** Appends an empty value (and, for objects, takes `key`); NULL when out of memory. */
static json_value *json_append(json_parser *p, json_value *container, size_t *capacity, char *key)
{
    if (container->count == *capacity) {
        size_t grown = *capacity ? *capacity * 2 : 8;
        json_value *items = realloc(container->items, grown * sizeof *items);
        if (items == NULL) { free(key); json_out_of_memory(p); return NULL; }
        container->items = items;
        if (container->kind == JSON_OBJECT) {
            char **keys = realloc(container->keys, grown * sizeof *keys);
            if (keys == NULL) { free(key); json_out_of_memory(p); return NULL; }
            container->keys = keys;
        }
        *capacity = grown;
    }
    json_value *item = &container->items[container->count];
    memset(item, 0, sizeof *item);
    if (container->kind == JSON_OBJECT) container->keys[container->count] = key;
    container->count++;
    return item;
}

static int json_container(json_parser *p, json_value *out, json_kind kind)
{
    if (++p->depth > TESSERA_HF_BERT_MAX_JSON_DEPTH) return json_fail(p, "arrays and objects are nested too deeply");
    char close = kind == JSON_OBJECT ? '}' : ']';
    out->kind = kind;
    size_t capacity = 0;
    p->pos++;
    json_skip_space(p);
    if (json_peek(p) == close) {
        p->pos++;
        p->depth--;
        return 1;
    }
    for (;;) {
        char *key = NULL;
        size_t key_length;
        if (kind == JSON_OBJECT) {
            if (json_peek(p) != '"') return json_fail(p, "expected a key in double quotes");
            if (!json_string(p, &key, &key_length)) return 0;
            json_skip_space(p);
            if (json_peek(p) != ':') { free(key); return json_fail(p, "expected ':' after a key"); }
            p->pos++;
            json_skip_space(p);
        }
        json_value *item = json_append(p, out, &capacity, key);
        if (item == NULL || !json_value_at(p, item)) return 0;
        json_skip_space(p);
        if (json_peek(p) == close) {
            p->pos++;
            p->depth--;
            return 1;
        }
        if (json_peek(p) != ',') {
            return json_fail(p, kind == JSON_OBJECT ? "expected ',' or '}' in an object" : "expected ',' or ']' in an array");
        }
        p->pos++;
        json_skip_space(p);
    }
}

static int json_value_at(json_parser *p, json_value *out)
{
    switch (json_peek(p)) {
    case '{': return json_container(p, out, JSON_OBJECT);
    case '[': return json_container(p, out, JSON_ARRAY);
    case '"':
        out->kind = JSON_STRING;
        return json_string(p, &out->string, &out->length);
    case 't': return json_literal(p, "true", JSON_TRUE, out);
    case 'f': return json_literal(p, "false", JSON_FALSE, out);
    case 'n': return json_literal(p, "null", JSON_NULL, out);
    case -1: return json_fail(p, "the text ends where a value should be");
    default: return json_number(p, out);
    }
}

/** Parses a whole document; on failure *error says what and where and *out is empty. */
static int json_parse(const unsigned char *text, size_t length, json_value *out, json_error *error)
{
    memset(out, 0, sizeof *out);
    json_parser p = {text, length, 0, 0, {NULL, 0, 0}};
    size_t invalid = tsp_utf8_invalid_offset(text, length, TSP_UTF8_ALLOW_NUL);
    if (invalid < length) {
        p.pos = invalid;
        json_fail(&p, "the text is not valid UTF-8");
    } else {
        json_skip_space(&p);
        if (json_value_at(&p, out)) {
            json_skip_space(&p);
            if (p.pos != length) json_fail(&p, "unexpected text after the end of the document");
        }
    }
    if (p.error.message != NULL) {
        json_free(out);
        *error = p.error;
        return 0;
    }
    return 1;
}

/** The value of `key` in an object (the last one, if repeated), or NULL. */
static const json_value *json_get(const json_value *object, const char *key)
{
    if (object == NULL || object->kind != JSON_OBJECT) return NULL;
    for (size_t i = object->count; i > 0; i--) {
        if (strcmp(object->keys[i - 1], key) == 0) return &object->items[i - 1];
    }
    return NULL;
}

/** "a string", "an integer", ... for messages. */
static const char *json_kind_description(const json_value *value)
{
    switch (value->kind) {
    case JSON_NULL: return "null";
    case JSON_FALSE:
    case JSON_TRUE: return "a boolean";
    case JSON_NUMBER: return value->integral ? "an integer" : "a number";
    case JSON_STRING: return "a string";
    case JSON_ARRAY: return "an array";
    case JSON_OBJECT: return "an object";
    }
    return "a value";
}

/** Line and column (both from 1) of byte `offset` of `text`, for messages. */
static void json_line_column(const unsigned char *text, size_t offset, size_t *line, size_t *column)
{
    *line = 1;
    *column = 1;
    for (size_t i = 0; i < offset; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *column = 1;
        } else {
            (*column)++;
        }
    }
}

#endif /* TESSERA_HF_JSON_H */

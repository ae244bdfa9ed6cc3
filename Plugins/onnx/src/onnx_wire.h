/*
 * onnx_wire.h — a small, strict decoder for the protobuf wire format.
 *
 * A message is a sequence of fields, each a key varint (field number << 3 | wire type)
 * followed by its payload: a varint (0), 8 bytes (1), a varint length and that many bytes (2),
 * or 4 bytes (5). Groups (3, 4) are deprecated and never appear in ONNX files; they, wire
 * types 6 and 7, field number 0, varints longer than 10 bytes and lengths past the end of the
 * enclosing message are all reported as corrupt data. Unknown fields are skipped.
 *
 * The decoder is iterative: a pb_reader walks one message, and callers open a reader on a
 * nested message only for the messages they decode (a bounded schema), never on skipped
 * fields, so hostile nesting cannot exhaust the stack. Each reader records its depth anyway,
 * and opening one deeper than TESSERA_ONNX_MAX_DEPTH is an error.
 *
 * Private to onnx.c, which includes it exactly once (all definitions are static).
 */
#ifndef TESSERA_ONNX_WIRE_H
#define TESSERA_ONNX_WIRE_H

#include "onnx_support.h"

/** A run of bytes inside a mapping; never NUL-terminated. */
typedef struct pb_slice {
    const unsigned char *data;
    size_t size;
} pb_slice;

enum { PB_VARINT = 0, PB_FIXED64 = 1, PB_LEN = 2, PB_GROUP_START = 3, PB_GROUP_END = 4, PB_FIXED32 = 5 };

/** Why a varint could not be read. */
enum { VARINT_OK = 0, VARINT_TRUNCATED = 1, VARINT_TOO_LONG = 2 };

/**
 * Reads a varint at *at (not past end): VARINT_OK and advances *at, or an error. A varint has
 * at most 10 bytes, and the 10th may only hold bit 63 (0 or 1); anything longer is refused.
 */
static int pb_read_varint(const unsigned char **at, const unsigned char *end, uint64_t *out)
{
    const unsigned char *p = *at;
    uint64_t value = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (p >= end) return VARINT_TRUNCATED;
        unsigned char byte = *p++;
        if (i == 9 && byte > 1) return VARINT_TOO_LONG;
        value |= (uint64_t)(byte & 0x7F) << (7 * i);
        if ((byte & 0x80) == 0) {
            *at = p;
            *out = value;
            return VARINT_OK;
        }
    }
    return VARINT_TOO_LONG; /* not reached: the 10th byte either ends it or is refused */
}

/* ------------------------------------------------------------------------------------------ */
/* The decoder: where errors go                                                               */
/* ------------------------------------------------------------------------------------------ */

/** What every decoding function shares: the host, the file and the first error. */
typedef struct decoder {
    const tsr_host_api *api;
    const char *path;            /**< the model file, named by every message */
    const unsigned char *base;   /**< start of the model mapping, for byte offsets */
    size_t size;
    tsr_status *status;          /**< the first error; NULL while all is well */
} decoder;

static int decoder_fail(decoder *d, tsr_status_code code, const char *format, ...) __attribute__((format(printf, 3, 4)));

/** Records an error "onnx: '<path>': <message>" (the first one wins); returns 0. */
static int decoder_fail(decoder *d, tsr_status_code code, const char *format, ...)
{
    if (d->status != NULL) return 0;
    char message[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    d->status = tsp_fail(d->api, code, PLUGIN_NAME, "'%s': %s", d->path, message);
    return 0;
}

static int decoder_corrupt(decoder *d, const unsigned char *at, const char *what, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

/** Records "onnx: '<path>' is corrupt at byte N (in <what>): <message>"; returns 0. */
static int decoder_corrupt(decoder *d, const unsigned char *at, const char *what, const char *format, ...)
{
    if (d->status != NULL) return 0;
    char message[768];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    size_t offset = at >= d->base && at <= d->base + d->size ? (size_t)(at - d->base) : 0;
    d->status = tsp_fail(d->api, TSR_ERR_CORRUPT_DATA, PLUGIN_NAME,
                         "'%s' is corrupt at byte %zu (in %s): %s; the file is truncated, damaged or not ONNX", d->path,
                         offset, what, message);
    return 0;
}

static int decoder_bad(decoder *d, const unsigned char *at, const char *format, ...) __attribute__((format(printf, 3, 4)));

/**
 * Records a well-formed but inconsistent file (a missing required field, an impossible value):
 * "onnx: '<path>': <message> (at byte N)", TSR_ERR_CORRUPT_DATA; returns 0.
 */
static int decoder_bad(decoder *d, const unsigned char *at, const char *format, ...)
{
    if (d->status != NULL) return 0;
    char message[768];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    size_t offset = at >= d->base && at <= d->base + d->size ? (size_t)(at - d->base) : 0;
    d->status = tsp_fail(d->api, TSR_ERR_CORRUPT_DATA, PLUGIN_NAME, "'%s': %s (at byte %zu)", d->path, message, offset);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Readers and fields                                                                         */
/* ------------------------------------------------------------------------------------------ */

/** Walks the fields of one message. */
typedef struct pb_reader {
    const unsigned char *at, *end;
    const char *what; /**< the message type, for errors ("NodeProto") */
    int depth;        /**< 1 for ModelProto */
} pb_reader;

/** One field as read: a scalar value or a length-delimited payload. */
typedef struct pb_field {
    uint32_t number;
    uint32_t wire;
    uint64_t value;              /**< varint, fixed32 or fixed64 payload */
    pb_slice bytes;              /**< PB_LEN payload */
    const unsigned char *start;  /**< where the key begins */
} pb_field;

/** Opens a reader on `message`, nested `depth` deep; 0 (corrupt) past the depth limit. */
static int pb_open(decoder *d, pb_reader *r, pb_slice message, const char *what, int depth)
{
    r->at = message.data;
    r->end = message.data + message.size;
    r->what = what;
    r->depth = depth;
    if (depth > TESSERA_ONNX_MAX_DEPTH) {
        return decoder_corrupt(d, message.data, what, "messages are nested more than %d deep", TESSERA_ONNX_MAX_DEPTH);
    }
    return 1;
}

static int varint_error(decoder *d, const unsigned char *at, const char *what, const char *role, int error)
{
    if (error == VARINT_TRUNCATED) return decoder_corrupt(d, at, what, "the %s varint runs past the end of its message", role);
    return decoder_corrupt(d, at, what, "the %s varint is longer than 10 bytes or overflows 64 bits", role);
}

/** Reads the next field: 1, 0 at the end of the message, -1 on error (recorded in d). */
static int pb_next(decoder *d, pb_reader *r, pb_field *f)
{
    if (r->at >= r->end) return 0;
    f->start = r->at;
    uint64_t key;
    int error = pb_read_varint(&r->at, r->end, &key);
    if (error != VARINT_OK) {
        varint_error(d, f->start, r->what, "field key", error);
        return -1;
    }
    uint64_t number = key >> 3;
    if (number == 0 || number > 0x1FFFFFFFu) {
        decoder_corrupt(d, f->start, r->what, "field number %" PRIu64 " is out of range", number);
        return -1;
    }
    f->number = (uint32_t)number;
    f->wire = (uint32_t)(key & 7);
    f->value = 0;
    f->bytes.data = NULL;
    f->bytes.size = 0;
    size_t left = (size_t)(r->end - r->at);
    switch (f->wire) {
    case PB_VARINT:
        error = pb_read_varint(&r->at, r->end, &f->value);
        if (error != VARINT_OK) {
            varint_error(d, f->start, r->what, "value", error);
            return -1;
        }
        return 1;
    case PB_FIXED64:
        if (left < 8) break;
        f->value = tsp_read_le64(r->at);
        r->at += 8;
        return 1;
    case PB_FIXED32:
        if (left < 4) break;
        f->value = tsp_read_le32(r->at);
        r->at += 4;
        return 1;
    case PB_LEN: {
        uint64_t length;
        error = pb_read_varint(&r->at, r->end, &length);
        if (error != VARINT_OK) {
            varint_error(d, f->start, r->what, "length", error);
            return -1;
        }
        left = (size_t)(r->end - r->at);
        if (length > left) {
            decoder_corrupt(d, f->start, r->what,
                            "field %" PRIu32 " declares %" PRIu64 " bytes but only %zu are left in its message", f->number,
                            length, left);
            return -1;
        }
        f->bytes.data = r->at;
        f->bytes.size = (size_t)length;
        r->at += length;
        return 1;
    }
    case PB_GROUP_START:
    case PB_GROUP_END:
        decoder_corrupt(d, f->start, r->what, "field %" PRIu32 " uses a protobuf group (wire type %" PRIu32
                        "), which ONNX files never contain", f->number, f->wire);
        return -1;
    default:
        decoder_corrupt(d, f->start, r->what, "field %" PRIu32 " has invalid wire type %" PRIu32, f->number, f->wire);
        return -1;
    }
    decoder_corrupt(d, f->start, r->what, "field %" PRIu32 " is cut off by the end of its message", f->number);
    return -1;
}

/** Checks a known field's wire type; 0 (corrupt) when it differs. */
static int pb_expect(decoder *d, const pb_reader *r, const pb_field *f, uint32_t wire, const char *name)
{
    if (f->wire == wire) return 1;
    return decoder_corrupt(d, f->start, r->what, "field '%s' (number %" PRIu32 ") has wire type %" PRIu32 ", expected %" PRIu32,
                           name, f->number, f->wire, wire);
}

/** Checks a string field: wire type 2, valid UTF-8, no NUL byte. */
static int pb_expect_string(decoder *d, const pb_reader *r, const pb_field *f, const char *name, pb_slice *out)
{
    if (!pb_expect(d, r, f, PB_LEN, name)) return 0;
    size_t bad = tsp_utf8_invalid_offset(f->bytes.data, f->bytes.size, TSP_UTF8_REJECT_NUL);
    if (bad != f->bytes.size) {
        return decoder_corrupt(d, f->bytes.data + bad, r->what, "string field '%s' %s", name, tsp_utf8_problem(f->bytes.data, bad));
    }
    *out = f->bytes;
    return 1;
}

/**
 * Counts the elements of a repeated scalar field occurrence: 1 when it is unpacked (wire type
 * `wire`), or the number in a packed payload (wire type 2), whose layout is checked.
 */
static int pb_count_repeated(decoder *d, const pb_reader *r, const pb_field *f, uint32_t wire, const char *name, uint64_t *count)
{
    if (f->wire == wire) {
        (*count)++;
        return 1;
    }
    if (f->wire != PB_LEN) {
        return decoder_corrupt(d, f->start, r->what,
                               "repeated field '%s' (number %" PRIu32 ") has wire type %" PRIu32 ", expected %" PRIu32 " or 2 (packed)",
                               name, f->number, f->wire, wire);
    }
    if (wire == PB_FIXED32 || wire == PB_FIXED64) {
        size_t width = wire == PB_FIXED32 ? 4 : 8;
        if (f->bytes.size % width != 0) {
            return decoder_corrupt(d, f->start, r->what, "packed field '%s' has %zu bytes, not a multiple of %zu", name,
                                   f->bytes.size, width);
        }
        *count += f->bytes.size / width;
        return 1;
    }
    const unsigned char *at = f->bytes.data, *end = f->bytes.data + f->bytes.size;
    while (at < end) {
        uint64_t ignored;
        const unsigned char *element = at;
        int error = pb_read_varint(&at, end, &ignored);
        if (error != VARINT_OK) return varint_error(d, element, r->what, name, error);
        (*count)++;
    }
    return 1;
}

/**
 * Iterates the elements of one repeated scalar field of a message, packed or not, in order.
 * Use after the message was checked with pb_count_repeated.
 */
typedef struct pb_repeated {
    pb_reader fields;
    const unsigned char *packed, *packed_end;
    uint32_t number;
    uint32_t wire;
    const char *name;
} pb_repeated;

static void pb_repeated_init(pb_repeated *it, const pb_reader *message, uint32_t number, uint32_t wire, const char *name)
{
    it->fields = *message;
    it->packed = it->packed_end = NULL;
    it->number = number;
    it->wire = wire;
    it->name = name;
}

/** The next element: 1, 0 at the end, -1 on error. */
static int pb_repeated_next(decoder *d, pb_repeated *it, uint64_t *value)
{
    for (;;) {
        if (it->packed != NULL && it->packed < it->packed_end) {
            const unsigned char *element = it->packed;
            if (it->wire == PB_VARINT) {
                int error = pb_read_varint(&it->packed, it->packed_end, value);
                if (error != VARINT_OK) {
                    varint_error(d, element, it->fields.what, it->name, error);
                    return -1;
                }
                return 1;
            }
            size_t width = it->wire == PB_FIXED32 ? 4 : 8;
            if ((size_t)(it->packed_end - it->packed) < width) {
                decoder_corrupt(d, element, it->fields.what, "packed field '%s' ends in the middle of an element", it->name);
                return -1;
            }
            *value = width == 4 ? tsp_read_le32(it->packed) : tsp_read_le64(it->packed);
            it->packed += width;
            return 1;
        }
        pb_field f;
        int more = pb_next(d, &it->fields, &f);
        if (more <= 0) return more;
        if (f.number != it->number) continue;
        if (f.wire == it->wire) {
            *value = f.value;
            return 1;
        }
        if (f.wire != PB_LEN) {
            decoder_corrupt(d, f.start, it->fields.what, "repeated field '%s' has wire type %" PRIu32, it->name, f.wire);
            return -1;
        }
        it->packed = f.bytes.data;
        it->packed_end = f.bytes.data + f.bytes.size;
    }
}

/** True when the slice holds exactly the NUL-free text `text`. */
static int slice_equals(pb_slice s, const char *text)
{
    size_t length = strlen(text);
    return s.size == length && (length == 0 || memcmp(s.data, text, length) == 0);
}

/** printf precision for a slice: "%.*s" needs an int. Names longer than this are shown cut. */
static int slice_print_length(pb_slice s)
{
    if (s.size <= 200) return (int)s.size;
    size_t cut = 200;
    while (cut > 0 && (s.data[cut] & 0xC0) == 0x80) cut--; /* not inside a UTF-8 sequence */
    return (int)cut;
}

#endif /* TESSERA_ONNX_WIRE_H */

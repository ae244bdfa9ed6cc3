/*
 * tessera_plugin_support.h — helpers shared by the plugins bundled with Tessera (Plugins/<name>/).
 *
 * Internal to this package: it is not part of the plugin SDK and makes no compatibility
 * promise. A third-party plugin has only sdk/include (<tessera/tessera.h>) and must not
 * depend on this header. See README.md.
 *
 * Every function is declared hidden (or is static inline), so a plugin library that links
 * these helpers still exports nothing but tsr_plugin_entry, with or without
 * -fvisibility=hidden.
 *
 * Error messages: tsp_fail() and the checks below prefix each message with
 * "<plugin_name>: ", the convention every bundled plugin follows.
 */
#ifndef TESSERA_PLUGIN_SUPPORT_H
#define TESSERA_PLUGIN_SUPPORT_H

#include <tessera/tessera.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Keeps a helper out of the plugin library's dynamic symbol table. */
#define TSP_HIDDEN __attribute__((visibility("hidden")))

/** The struct_size a versioned struct needs for `field` to be present (what TSR_HAS_FIELD tests). */
#define TSP_SIZE_THROUGH(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

/* ------------------------------------------------------------------------------------------ */
/* Errors                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/**
 * Creates a status whose message is "<plugin_name>: " followed by `format` formatted like
 * printf; never returns NULL. A message that cannot be formatted becomes
 * "<plugin_name>: (the error message could not be formatted)"; when memory for a long one
 * runs out it is truncated to 511 bytes.
 */
TSP_HIDDEN tsr_status *tsp_fail(const tsr_host_api *api, tsr_status_code code, const char *plugin_name,
                                const char *format, ...) __attribute__((format(printf, 4, 5)));

/** tsp_fail() with a va_list, which it does not end. */
TSP_HIDDEN tsr_status *tsp_fail_va(const tsr_host_api *api, tsr_status_code code, const char *plugin_name,
                                   const char *format, va_list args) __attribute__((format(printf, 4, 0)));

/**
 * Turns a status from the host into one that says what the plugin was doing, keeping its
 * code: "<plugin_name>: <doing> '<name>' failed: <host message>". Releases `status`.
 */
TSP_HIDDEN tsr_status *tsp_wrap_host_error(const tsr_host_api *api, tsr_status *status, const char *plugin_name,
                                           const char *doing, const char *name);

/* ------------------------------------------------------------------------------------------ */
/* create() and the lifecycle                                                                 */
/* ------------------------------------------------------------------------------------------ */

/**
 * The checks every create() starts with: a host API table of at least `api_size_needed`
 * bytes (use TSP_SIZE_THROUGH(tsr_host_api, <last member used>)) and a non-NULL instance
 * pointer, which it sets to NULL. Returns 1 when create() may go on; otherwise 0, and
 * create() returns *status: NULL when `api` is NULL (nothing can be reported without the
 * table; the ABI guarantees one), else the error.
 */
TSP_HIDDEN int tsp_create_begin(const tsr_host_api *api, void **instance, const char *plugin_name, size_t api_size_needed,
                                tsr_status **status);

/** An activate() for plugins with nothing to start. */
TSP_HIDDEN tsr_status *tsp_activate_nothing(void *instance);

/** A deactivate() for plugins with nothing to stop. */
TSP_HIDDEN void tsp_deactivate_nothing(void *instance);

/** A destroy() for instances that are one malloc'ed block. */
TSP_HIDDEN void tsp_destroy_free(void *instance);

/* ------------------------------------------------------------------------------------------ */
/* Settings                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/** One accepted key of [plugins.settings]. */
typedef struct tsp_setting_spec {
    const char *key;
    tsr_setting_kind kind;  /**< TSR_SETTING_FLOAT also accepts an integer */
    const char *example;    /**< shown in messages, e.g. "window = 1000" */
} tsp_setting_spec;

/** "a string", "an integer", "a number", ... for messages. */
TSP_HIDDEN const char *tsp_kind_description(tsr_setting_kind kind);

/**
 * Rejects keys that are not in specs[0..count) ("unknown setting 'k'; accepted settings: a, b")
 * and values of the wrong kind ("setting 'k' must be <kind> (e.g. <example>), but it is <kind>")
 * with TSR_ERR_INVALID_SETTING; NULL when all are fine. It does not read the values.
 */
TSP_HIDDEN tsr_status *tsp_check_settings(const tsr_host_api *api, tsr_host *host, const char *plugin_name,
                                          const tsp_setting_spec *specs, size_t count);

/**
 * For plugins without settings: rejects any key with TSR_ERR_INVALID_SETTING,
 * "unknown setting 'k'; this plugin accepts no settings (<hint>)".
 */
TSP_HIDDEN tsr_status *tsp_check_no_settings(const tsr_host_api *api, tsr_host *host, const char *plugin_name,
                                             const char *hint);

/* ------------------------------------------------------------------------------------------ */
/* Strings, numbers and a growable text buffer                                                */
/* ------------------------------------------------------------------------------------------ */

/** A malloc'ed copy of `s` (NULL copies as ""); NULL when out of memory. */
TSP_HIDDEN char *tsp_strdup(const char *s);

/**
 * Writes a finite `value` with the fewest significant digits (15 to 17, "%.*g") that read back
 * as the same double, with '.' as the decimal point even under a locale with a decimal comma.
 * Callers handle their own special cases (zero, integers, infinities) first.
 */
TSP_HIDDEN void tsp_format_shortest(char *out, size_t size, double value);

/**
 * A growable, NUL-terminated text buffer; start from {0} and free(data) when done. Once an
 * allocation fails, out_of_memory is set and later appends do nothing, so a writer can append
 * freely and check once at the end.
 */
typedef struct tsp_text {
    char *data;        /**< NULL until the first append */
    size_t length;     /**< bytes before the terminating NUL */
    size_t capacity;
    int out_of_memory;
} tsp_text;

/** Appends `count` bytes (an append of 0 bytes still allocates, so data is never NULL after it). */
TSP_HIDDEN void tsp_text_append(tsp_text *t, const char *bytes, size_t count);

/** Appends a NUL-terminated string. */
TSP_HIDDEN void tsp_text_puts(tsp_text *t, const char *s);

/** Appends one character. */
TSP_HIDDEN void tsp_text_putc(tsp_text *t, char c);

/** Appends an unsigned integer in decimal. */
TSP_HIDDEN void tsp_text_u64(tsp_text *t, uint64_t value);

/** Writes a shape as "[2, 3]" into buffer (truncated to `size`). */
TSP_HIDDEN void tsp_format_shape(char *buffer, size_t size, const int64_t *shape, uint32_t ndim);

/* ------------------------------------------------------------------------------------------ */
/* Bytes: byte order, half floats, UTF-8                                                      */
/* ------------------------------------------------------------------------------------------ */

/** 1 on a little-endian machine. The formats the plugins read are little-endian and none of
    them byte-swaps, so each refuses to activate elsewhere. */
TSP_HIDDEN int tsp_host_is_little_endian(void);

/* Little-endian integers at any address. Inline: the file readers call them per element. */

static inline uint16_t tsp_read_le16(const unsigned char *bytes)
{
    return (uint16_t)(bytes[0] | bytes[1] << 8);
}

static inline uint32_t tsp_read_le32(const unsigned char *bytes)
{
    return (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24;
}

static inline uint64_t tsp_read_le64(const unsigned char *bytes)
{
    return (uint64_t)tsp_read_le32(bytes) | (uint64_t)tsp_read_le32(bytes + 4) << 32;
}

static inline void tsp_write_le64(unsigned char *bytes, uint64_t value)
{
    for (int i = 0; i < 8; i++) bytes[i] = (unsigned char)(value >> (8 * i));
}

/** IEEE 754 binary16 to binary32, exactly (every half is a float). */
TSP_HIDDEN float tsp_half_to_float(uint16_t half);

/** bfloat16 to binary32: the bits are a float's upper half. */
TSP_HIDDEN float tsp_bfloat16_to_float(uint16_t bits);

/** Whether tsp_utf8_invalid_offset() lets a NUL byte through. */
typedef enum tsp_utf8_nul {
    /** NUL is valid UTF-8: for text parsed further (a JSON document reports a raw NUL itself). */
    TSP_UTF8_ALLOW_NUL = 0,
    /** NUL is refused: for text that becomes a C string (names, protobuf strings), which a NUL
        would cut short. */
    TSP_UTF8_REJECT_NUL = 1,
} tsp_utf8_nul;

/**
 * Offset of the first byte of text[0..length) that is not valid UTF-8 (overlong forms,
 * surrogates and code points above U+10FFFF are invalid), or that is NUL under
 * TSP_UTF8_REJECT_NUL; `length` when there is none. See tsp_utf8_problem() for messages.
 */
TSP_HIDDEN size_t tsp_utf8_invalid_offset(const unsigned char *text, size_t length, tsp_utf8_nul nul);

/**
 * What is wrong at an offset tsp_utf8_invalid_offset() returned, to finish a message about the
 * text: "contains a NUL byte" or "is not valid UTF-8".
 */
TSP_HIDDEN const char *tsp_utf8_problem(const unsigned char *text, size_t offset);

/* ------------------------------------------------------------------------------------------ */
/* JSON strings                                                                               */
/* ------------------------------------------------------------------------------------------ */

/** What tsp_json_string() found. */
typedef enum tsp_json_result {
    TSP_JSON_OK = 0,
    TSP_JSON_INVALID,       /**< not a valid JSON string: *problem says why */
    TSP_JSON_OUT_OF_MEMORY,
} tsp_json_result;

/**
 * Decodes the JSON string whose opening '"' should be at text[*pos] into a malloc'ed,
 * NUL-terminated copy with its escapes decoded; *out_length excludes the terminator (the
 * string may hold "\u0000", so callers that need a C string compare it with strlen). Raw
 * bytes are copied as they are: check that the text is UTF-8 first (tsp_utf8_invalid_offset).
 * On success *pos is just past the closing '"'. On TSP_JSON_INVALID, *problem is a literal
 * for the message ("invalid escape sequence in a string", ...) and *pos is the offending byte
 * (`length` for a string that is not terminated). *out is NULL unless TSP_JSON_OK.
 */
TSP_HIDDEN tsp_json_result tsp_json_string(const unsigned char *text, size_t length, size_t *pos, char **out,
                                           size_t *out_length, const char **problem);

/* ------------------------------------------------------------------------------------------ */
/* Files: opening, mapping and saving                                                         */
/* ------------------------------------------------------------------------------------------ */

/** Opens `path` read-only and close-on-exec without blocking on a FIFO; -1 with errno on failure. */
TSP_HIDDEN int tsp_open_read_only(const char *path);

/**
 * For probe(): when `path` is a regular file that can be opened, reads up to `size` bytes from
 * its start into `buffer` (*count says how many: fewer for a shorter file, 0 when reading
 * fails), sets *file_size and returns 1. Returns 0 for anything else (missing, unreadable, a
 * directory, a FIFO), which a probe answers with confidence 0.
 */
TSP_HIDDEN int tsp_probe_start(const char *path, unsigned char *buffer, size_t size, size_t *count, uint64_t *file_size);

/** 1 when `path` ends in `extension` (e.g. ".onnx"), ignoring ASCII case. */
TSP_HIDDEN int tsp_has_extension(const char *path, const char *extension);

/**
 * A read-only mapping of a whole file, unmapped when the last reference is released. Format
 * plugins hand tensors to the host as views into it (zero-copy): each view holds a reference,
 * and so does the loader while it runs.
 */
typedef struct tsp_mapping tsp_mapping;

/**
 * Maps the regular file `path` read-only, whole; on success *out holds one reference. An
 * empty file gets a mapping of no bytes (tsp_mapping_bytes NULL, tsp_mapping_size 0): callers
 * check the size their format needs. Errors: TSR_ERR_NOT_FOUND (missing), TSR_ERR_IO (cannot
 * open, stat or map), TSR_ERR_INVALID_ARGUMENT (a directory, or not a regular file),
 * TSR_ERR_UNSUPPORTED (larger than the address space), TSR_ERR_OUT_OF_MEMORY.
 *
 * The messages name the file in one of two ways. With `referrer` NULL, `path` is the file the
 * user gave and `what` is what it should be, for the hint when it is a directory ("'m' is a
 * directory; give the path of a .gguf file"). Otherwise `path` is a file that `referrer`
 * names (an ONNX model's external data) and `what` its role: "'model.onnx': cannot open its
 * external data file 'weights.bin': No such file or directory".
 */
TSP_HIDDEN tsr_status *tsp_map_file(const tsr_host_api *api, const char *plugin_name, const char *path, const char *referrer,
                                    const char *what, tsp_mapping **out);

/** The mapped bytes (read-only memory); NULL for an empty file. */
TSP_HIDDEN unsigned char *tsp_mapping_bytes(const tsp_mapping *mapping);

/** The size of the file, in bytes. */
TSP_HIDDEN size_t tsp_mapping_size(const tsp_mapping *mapping);

/** Adds a reference. [any-thread] */
TSP_HIDDEN void tsp_mapping_retain(tsp_mapping *mapping);

/** Drops a reference (a tsr_release callback; the context is the tsp_mapping). [any-thread] */
TSP_HIDDEN void tsp_mapping_release(void *mapping);

/**
 * Fills *release for a tensor handed to the host as a view of bytes [data, data + size) of
 * `mapping`, taking a reference for it. Releasing it also tells the kernel that the view's
 * whole pages are no longer needed (madvise MADV_DONTNEED), so weights the host copied at load
 * (packed MatMul weights) stop counting in the process's resident memory. Nothing is lost:
 * the pages are the file's, read back from it if anything touches them again. The release
 * may run on any thread, after the plugin instance is destroyed.
 */
TSP_HIDDEN void tsp_mapping_hold_view(tsp_mapping *mapping, const void *data, size_t size, tsr_release *release);

/** A tsr_release callback for tensor data in one malloc'ed block: frees the context. [any-thread] */
TSP_HIDDEN void tsp_release_free(void *context);

/* ------------------------------------------------------------------------------------------ */
/* Saving a file atomically                                                                   */
/* ------------------------------------------------------------------------------------------ */

/**
 * A file being saved so that no reader ever sees it half-written: it is written to
 * "<path>.tmp-<pid>", fsynced, renamed over `path`, and the folder fsynced. tsp_save_begin()
 * creates the temporary file; tsp_save_write() appends, and does nothing once a step has
 * failed, so a writer can write everything and check once; tsp_save_finish(), which must
 * follow every tsp_save_begin(), reports the first failure (removing the temporary file) or
 * puts the file in place.
 */
typedef struct tsp_save {
    const char *path;
    char *temporary; /**< NULL when out of memory */
    int fd;          /**< -1 until created */
    const char *failed; /**< the step that failed first: "create", "write", "fsync", "close" or "rename" */
    int error;       /**< its errno */
} tsp_save;

TSP_HIDDEN void tsp_save_begin(tsp_save *save, const char *path);

/** Appends `count` bytes; 0 once anything has failed. */
TSP_HIDDEN int tsp_save_write(tsp_save *save, const void *bytes, uint64_t count);

/**
 * Finishes the save: NULL when the file is in place; otherwise TSR_ERR_IO naming the step,
 * the temporary file, the destination and the system's reason ("cannot write '<tmp>' while
 * saving '<path>': No space left on device; check that ..."), or TSR_ERR_OUT_OF_MEMORY.
 */
TSP_HIDDEN tsr_status *tsp_save_finish(tsp_save *save, const tsr_host_api *api, const char *plugin_name);

/* ------------------------------------------------------------------------------------------ */
/* Node attributes, for plugins that build or rewrite graphs                                  */
/* ------------------------------------------------------------------------------------------ */

/** An INT attribute; the name (and, below, any string or array) is borrowed, not copied. */
static inline tsr_attribute tsp_attr_int(const char *name, int64_t value) {
    tsr_attribute a;
    memset(&a, 0, sizeof a);
    a.struct_size = (uint32_t)sizeof a;
    a.kind = TSR_ATTR_INT;
    a.name = name;
    a.i = value;
    return a;
}

static inline tsr_attribute tsp_attr_float(const char *name, double value) {
    tsr_attribute a = tsp_attr_int(name, 0);
    a.kind = TSR_ATTR_FLOAT;
    a.f = value;
    return a;
}

static inline tsr_attribute tsp_attr_string(const char *name, const char *value) {
    tsr_attribute a = tsp_attr_int(name, 0);
    a.kind = TSR_ATTR_STRING;
    a.s = value;
    return a;
}

static inline tsr_attribute tsp_attr_ints(const char *name, const int64_t *values, size_t count) {
    tsr_attribute a = tsp_attr_int(name, 0);
    a.kind = TSR_ATTR_INTS;
    a.ints = values;
    a.count = count;
    return a;
}

#ifdef __cplusplus
}
#endif

#endif /* TESSERA_PLUGIN_SUPPORT_H */

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

#ifdef __cplusplus
}
#endif

#endif /* TESSERA_PLUGIN_SUPPORT_H */

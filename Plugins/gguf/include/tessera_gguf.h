/*
 * tessera_gguf.h — the bundled "gguf" format plugin (libtessera-gguf.so).
 *
 * The plugin's only interface is the Tessera C ABI: it exports tsr_plugin_entry and provides
 * the "tessera.format/1" capability (see <tessera/format.h>). This header exists because
 * SwiftPM C targets need a public include/ folder; it names the plugin's identifiers and the
 * limits it enforces so a host or a test can refer to them. See README.md.
 */
#ifndef TESSERA_GGUF_H
#define TESSERA_GGUF_H

/** The plugin's descriptor id. */
#define TESSERA_GGUF_ID "dev.tessera.gguf"
/** The format name users type (tsr_format_vtable.format_name). */
#define TESSERA_GGUF_FORMAT_NAME "gguf"
/** Oldest GGUF version load() reads (version 1 had 32-bit counts and lengths). */
#define TESSERA_GGUF_MIN_VERSION 2
/** Newest GGUF version load() reads. */
#define TESSERA_GGUF_MAX_VERSION 3
/** The most dimensions a GGUF tensor may have (GGML_MAX_DIMS). */
#define TESSERA_GGUF_MAX_DIMS 4
/** Data alignment when the file has no general.alignment (GGUF_DEFAULT_ALIGNMENT). */
#define TESSERA_GGUF_DEFAULT_ALIGNMENT 32
/** Deepest nesting of metadata arrays (an array of arrays is depth 2) load() accepts. */
#define TESSERA_GGUF_MAX_ARRAY_DEPTH 8
/** The setting that makes load() skip tensors of types it cannot load instead of failing. */
#define TESSERA_GGUF_SETTING_SKIP_UNSUPPORTED "skip_unsupported"

#endif /* TESSERA_GGUF_H */

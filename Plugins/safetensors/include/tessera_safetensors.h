/*
 * tessera_safetensors.h — the bundled "safetensors" format plugin (libtessera-safetensors.so).
 *
 * The plugin's only interface is the Tessera C ABI: it exports tsr_plugin_entry and provides
 * the "tessera.format/1" capability (see <tessera/format.h>). This header exists because
 * SwiftPM C targets need a public include/ folder; it names the plugin's identifiers and the
 * limits it enforces so a host or a test can refer to them. See README.md.
 */
#ifndef TESSERA_SAFETENSORS_H
#define TESSERA_SAFETENSORS_H

/** The plugin's descriptor id. */
#define TESSERA_SAFETENSORS_ID "dev.tessera.safetensors"
/** The format name users type (tsr_format_vtable.format_name). */
#define TESSERA_SAFETENSORS_FORMAT_NAME "safetensors"
/** The largest JSON header accepted, in bytes (the reference implementation's limit). */
#define TESSERA_SAFETENSORS_MAX_HEADER (100u * 1024u * 1024u)

#endif /* TESSERA_SAFETENSORS_H */

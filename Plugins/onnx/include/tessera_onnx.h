/*
 * tessera_onnx.h — the bundled "onnx" format plugin (libtessera-onnx.so).
 *
 * The plugin's only interface is the Tessera C ABI: it exports tsr_plugin_entry and provides
 * the "tessera.format/1" capability (see <tessera/format.h>). This header exists because
 * SwiftPM C targets need a public include/ folder; it names the plugin's identifiers and the
 * limits it enforces so a host or a test can refer to them. See README.md.
 */
#ifndef TESSERA_ONNX_H
#define TESSERA_ONNX_H

/** The plugin's descriptor id. */
#define TESSERA_ONNX_ID "dev.tessera.onnx"
/** The format name users type (tsr_format_vtable.format_name). */
#define TESSERA_ONNX_FORMAT_NAME "onnx"
/** Oldest default-domain opset load() accepts. */
#define TESSERA_ONNX_MIN_OPSET 7
/** The first opset whose nodes load() passes through as they are. Below it, each node is
    mapped onto the engine's ops by the rules of src/onnx_opsets.h, or refused. */
#define TESSERA_ONNX_CURRENT_OPSET 13
/** Newest default-domain opset load() accepts. */
#define TESSERA_ONNX_MAX_OPSET 21
/** The IR version save() writes. */
#define TESSERA_ONNX_SAVE_IR_VERSION 8
/** The default-domain opset save() declares. */
#define TESSERA_ONNX_SAVE_OPSET 17
/** Deepest protobuf message nesting the decoder follows (it only enters messages it decodes). */
#define TESSERA_ONNX_MAX_DEPTH 16
/** Bytes probe() reads from the start of a file. */
#define TESSERA_ONNX_PROBE_BYTES 512
/** Largest model save() writes: protobuf readers refuse messages of 2 GiB or more. */
#define TESSERA_ONNX_MAX_SAVE_BYTES 0x7FFFFFFFull

#endif /* TESSERA_ONNX_H */

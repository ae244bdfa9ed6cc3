/*
 * tessera_hf_bert.h — the bundled "hf-bert" format plugin (libtessera-hf-bert.so).
 *
 * The plugin's only interface is the Tessera C ABI: it exports tsr_plugin_entry and provides
 * the "tessera.format/1" capability (see <tessera/format.h>). This header exists because
 * SwiftPM C targets need a public include/ folder; it names the plugin's identifiers, the
 * files it reads and the limits it enforces so a host or a test can refer to them. See README.md.
 */
#ifndef TESSERA_HF_BERT_H
#define TESSERA_HF_BERT_H

/** The plugin's descriptor id. */
#define TESSERA_HF_BERT_ID "dev.tessera.hf-bert"
/** The format name users type (tsr_format_vtable.format_name). */
#define TESSERA_HF_BERT_FORMAT_NAME "hf-bert"
/** The model folder's configuration, as transformers writes it. */
#define TESSERA_HF_BERT_CONFIG_FILE "config.json"
/** The model folder's weights. */
#define TESSERA_HF_BERT_WEIGHTS_FILE "model.safetensors"
/** The largest config.json read, in bytes (BERT configs are about 1 KiB). */
#define TESSERA_HF_BERT_MAX_CONFIG (1u << 20)
/** The deepest nesting of arrays and objects accepted in config.json. */
#define TESSERA_HF_BERT_MAX_JSON_DEPTH 64
/** Largest num_hidden_layers accepted. */
#define TESSERA_HF_BERT_MAX_LAYERS 1024
/** Largest value accepted for any other size in config.json (hidden_size, vocab_size, ...). */
#define TESSERA_HF_BERT_MAX_DIMENSION (1 << 24)
/** What probe() answers for a folder it can load. */
#define TESSERA_HF_BERT_CONFIDENCE 0.95f

#endif /* TESSERA_HF_BERT_H */

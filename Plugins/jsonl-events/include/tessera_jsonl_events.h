/*
 * tessera_jsonl_events.h — the bundled "jsonl-events" exporter plugin (libtessera-jsonl-events.so).
 *
 * The plugin's only interface is the Tessera C ABI: it exports tsr_plugin_entry and provides
 * the "tessera.exporter/1" capability (see <tessera/exporter.h>). This header exists because
 * SwiftPM C targets need a public include/ folder; it names the plugin's identifiers so a
 * host or a test can refer to them without repeating string literals. See README.md.
 */
#ifndef TESSERA_JSONL_EVENTS_H
#define TESSERA_JSONL_EVENTS_H

/** The plugin's descriptor id. */
#define TESSERA_JSONL_EVENTS_ID "dev.tessera.jsonl-events"
/** The exporter name it reports (tsr_exporter_vtable.exporter_name). */
#define TESSERA_JSONL_EVENTS_EXPORTER_NAME "jsonl-events"

#endif /* TESSERA_JSONL_EVENTS_H */

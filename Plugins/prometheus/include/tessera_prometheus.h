/*
 * tessera_prometheus.h — the bundled "prometheus" exporter plugin (libtessera-prometheus.so).
 *
 * The plugin's only interface is the Tessera C ABI: it exports tsr_plugin_entry and provides
 * the "tessera.exporter/1" capability (see <tessera/exporter.h>). This header exists because
 * SwiftPM C targets need a public include/ folder; it names the plugin's identifiers so a
 * host or a test can refer to them without repeating string literals. See README.md.
 */
#ifndef TESSERA_PROMETHEUS_H
#define TESSERA_PROMETHEUS_H

/** The plugin's descriptor id. */
#define TESSERA_PROMETHEUS_ID "dev.tessera.prometheus"
/** The exporter name it reports (tsr_exporter_vtable.exporter_name). */
#define TESSERA_PROMETHEUS_EXPORTER_NAME "prometheus"
/** The render format for the Prometheus text exposition format 0.0.4 ("text/plain" also works). */
#define TESSERA_PROMETHEUS_FORMAT_TEXT "prometheus-text"
/** The Content-Type a host should serve the rendered text with. */
#define TESSERA_PROMETHEUS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif /* TESSERA_PROMETHEUS_H */

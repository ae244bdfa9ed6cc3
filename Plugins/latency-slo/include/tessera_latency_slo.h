/*
 * tessera_latency_slo.h — the bundled "latency-slo" monitor plugin (libtessera-latency-slo.so).
 *
 * The plugin's only interface is the Tessera C ABI: it exports tsr_plugin_entry and provides
 * the "tessera.monitor/1" capability (see <tessera/monitor.h>). This header exists because
 * SwiftPM C targets need a public include/ folder; it names the plugin's identifiers so a
 * host or a test can refer to them without repeating string literals. See README.md.
 */
#ifndef TESSERA_LATENCY_SLO_H
#define TESSERA_LATENCY_SLO_H

/** The plugin's descriptor id. */
#define TESSERA_LATENCY_SLO_ID "dev.tessera.latency-slo"
/** The monitor name it reports (tsr_monitor_vtable.monitor_name). */
#define TESSERA_LATENCY_SLO_MONITOR_NAME "latency-slo"

#endif /* TESSERA_LATENCY_SLO_H */

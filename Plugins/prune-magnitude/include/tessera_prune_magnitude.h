/*
 * tessera_prune_magnitude.h — the bundled "prune-magnitude" optimizer plugin
 * (libtessera-prune-magnitude.so).
 *
 * The plugin's only interface is the Tessera C ABI: it exports tsr_plugin_entry and provides
 * the "tessera.optimizer/1" capability (see <tessera/optimizer.h>). This header exists because
 * SwiftPM C targets need a public include/ folder; it names the plugin's identifiers so a
 * host or a test can refer to them without repeating string literals. See README.md.
 */
#ifndef TESSERA_PRUNE_MAGNITUDE_H
#define TESSERA_PRUNE_MAGNITUDE_H

/** The plugin's descriptor id. */
#define TESSERA_PRUNE_MAGNITUDE_ID "dev.tessera.prune-magnitude"
/** The optimizer name users type (tsr_optimizer_vtable.optimizer_name). */
#define TESSERA_PRUNE_MAGNITUDE_OPTIMIZER_NAME "prune-magnitude"

#endif /* TESSERA_PRUNE_MAGNITUDE_H */

/*
 * What the Tessera host needs from C that plugins must not link: the fingerprint of the
 * headers the host itself was built with.
 */
#ifndef TESSERA_HOST_SUPPORT_H
#define TESSERA_HOST_SUPPORT_H

#include <tessera/tessera.h>

/** The host's own ABI fingerprint; PluginLibrary compares every plugin's against it. */
extern const tsr_abi_fingerprint tsr_host_fingerprint;

#endif

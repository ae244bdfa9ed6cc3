/*
 * Declarations the Tessera host itself uses; not part of the plugin SDK.
 */
#ifndef TESSERA_HOST_SUPPORT_H
#define TESSERA_HOST_SUPPORT_H

#include "tessera/tessera.h"

/** The fingerprint of the headers the host was built with (sdk/src/layout_checks.c). */
extern const tsr_abi_fingerprint tsr_host_fingerprint;

#endif

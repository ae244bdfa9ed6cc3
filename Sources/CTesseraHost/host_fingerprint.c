#include "tessera_host_support.h"

const tsr_abi_fingerprint tsr_host_fingerprint = TSR_ABI_FINGERPRINT_INIT;

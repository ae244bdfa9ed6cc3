/*
 * Compile-time checks of the ABI's layout on the platforms Tessera ships for (LP64 Linux and
 * macOS). A change that moves a member of a published struct fails the host's build here
 * instead of silently breaking plugins compiled against an earlier header. Defines no symbols,
 * so plugins that link this target export nothing extra.
 */
#include <tessera/tessera.h>

#if UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu
_Static_assert(sizeof(tsr_abi_fingerprint) == 32, "tsr_abi_fingerprint layout changed");
_Static_assert(sizeof(tsr_tensor_view) == 40, "tsr_tensor_view layout changed");
_Static_assert(offsetof(tsr_tensor_view, shape) == 16, "tsr_tensor_view.shape moved");
_Static_assert(offsetof(tsr_tensor_view, data) == 24, "tsr_tensor_view.data moved");
_Static_assert(offsetof(tsr_plugin_descriptor, fingerprint) == 12, "descriptor.fingerprint moved");
_Static_assert(offsetof(tsr_plugin_descriptor, id) == 48, "descriptor.id moved");
_Static_assert(offsetof(tsr_host_api, log) == 24, "tsr_host_api.log moved");
#endif

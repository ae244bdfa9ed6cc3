/*
 * tessera/abi.h — ABI version, export macro and the ABI fingerprint.
 *
 * Versioning: TSR_ABI_MAJOR changes only on a breaking change; TSR_ABI_MINOR grows when
 * something is appended (a host API member, a struct field, a capability). Within one major
 * nothing is removed or reordered. The host refuses a plugin built for another major, or one
 * that needs a newer minor than the host provides, with a message naming both.
 */
#ifndef TESSERA_ABI_H
#define TESSERA_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The ABI major this header describes. \since 1.0 */
#define TSR_ABI_MAJOR 1
/** The ABI minor this header describes. \since 1.0 */
#define TSR_ABI_MINOR 0

/** Name of the one symbol a plugin exports. \since 1.0 */
#define TSR_PLUGIN_ENTRY_SYMBOL "tsr_plugin_entry"

/** Marks the entry function as exported even under -fvisibility=hidden. \since 1.0 */
#if defined(_WIN32)
#define TSR_EXPORT __declspec(dllexport)
#else
#define TSR_EXPORT __attribute__((visibility("default")))
#endif

/** Byte-order marker stored in the fingerprint: 0x01020304 read back in the builder's order. */
#define TSR_ABI_ENDIAN_MARK 0x01020304u

/**
 * What a plugin's compiler thought the world looked like. The host refuses the plugin when
 * the byte order, pointer size, size_t size or int64_t alignment differ from its own, and
 * when a struct size differs from the size that struct had at the plugin's ABI minor (sizes
 * only grow with the minor, so an older plugin's may be smaller than the host's). A plugin
 * built with a stale header, for a 32-bit target, or with a packing pragma in force is caught
 * here instead of crashing later. Filled in by TSR_ABI_FINGERPRINT_INIT (tessera/plugin.h);
 * never by hand.
 * \since 1.0
 */
typedef struct tsr_abi_fingerprint {
    uint32_t struct_size;        /**< sizeof(tsr_abi_fingerprint) */
    uint32_t endian_mark;        /**< TSR_ABI_ENDIAN_MARK */
    uint32_t pointer_size;       /**< sizeof(void*) */
    uint32_t size_t_size;        /**< sizeof(size_t) */
    uint32_t tensor_view_size;   /**< sizeof(tsr_tensor_view) in the plugin's header */
    uint32_t host_api_size;      /**< sizeof(tsr_host_api) in the plugin's header */
    uint32_t descriptor_size;    /**< sizeof(tsr_plugin_descriptor) in the plugin's header */
    uint32_t int64_align;        /**< alignment of int64_t (differs on some 32-bit ABIs) */
} tsr_abi_fingerprint;

/*
 * Rules for versioned structs (every struct that starts with struct_size):
 *  - Out-structs: whoever passes a pointer for the other side to fill sets its struct_size to
 *    its own sizeof first; the filler writes nothing past it. A struct_size of 0 gets nothing.
 *  - Arrays: an array of versioned structs is laid out with the sender's sizeof. To step
 *    through one received from the other side, use the first element's struct_size as the
 *    stride, and read each element with TSR_HAS_FIELD.
 */

/**
 * True when an out-struct filled by a newer or older party has room for `field`.
 * Use before writing any member of a struct whose struct_size the other side set.
 * \since 1.0
 */
#define TSR_HAS_FIELD(ptr, type, field) \
    ((ptr)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))

#ifdef __cplusplus
}
#endif

#endif /* TESSERA_ABI_H */

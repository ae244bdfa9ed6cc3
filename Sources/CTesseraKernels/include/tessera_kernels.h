/*
 * CTesseraKernels — the engine's hot loops in C, compiled with per-function target
 * attributes and chosen at run time from the CPU's features (no global -m flags, so the
 * package stays usable as a dependency).
 */
#ifndef TESSERA_KERNELS_H
#define TESSERA_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** CPU feature bits reported by tsk_cpu_features(). */
#define TSK_CPU_SSE42 0x01u
#define TSK_CPU_AVX 0x02u
#define TSK_CPU_AVX2 0x04u
#define TSK_CPU_FMA 0x08u
#define TSK_CPU_AVX512F 0x10u
#define TSK_CPU_AVX512VNNI 0x20u
#define TSK_CPU_NEON 0x40u

/** The features of the CPU this process runs on (detected once; any thread). */
uint32_t tsk_cpu_features(void);

/** Kernel variants; TSK_VARIANT_AUTO picks the best the CPU supports. */
typedef enum tsk_variant {
    TSK_VARIANT_AUTO = 0,
    TSK_VARIANT_GENERIC = 1,
    TSK_VARIANT_AVX2 = 2,
} tsk_variant;

/** Name of the variant TSK_VARIANT_AUTO resolves to on this CPU ("generic", "avx2+fma"). */
const char *tsk_variant_name(tsk_variant variant);

/**
 * Dot product of two float vectors, accumulated in float.
 * Returns 0 and leaves *out alone if `variant` is not supported on this CPU.
 */
int tsk_sdot(tsk_variant variant, const float *a, const float *b, size_t n, float *out);

#ifdef __cplusplus
}
#endif

#endif

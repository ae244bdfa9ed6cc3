#include "tessera_kernels.h"

uint32_t tsk_cpu_features(void) {
    uint32_t features = 0;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("sse4.2")) features |= TSK_CPU_SSE42;
    if (__builtin_cpu_supports("avx")) features |= TSK_CPU_AVX;
    if (__builtin_cpu_supports("avx2")) features |= TSK_CPU_AVX2;
    if (__builtin_cpu_supports("fma")) features |= TSK_CPU_FMA;
    if (__builtin_cpu_supports("avx512f")) features |= TSK_CPU_AVX512F;
    if (__builtin_cpu_supports("avx512bw")) features |= TSK_CPU_AVX512BW;
    if (__builtin_cpu_supports("avx512vnni")) features |= TSK_CPU_AVX512VNNI;
#elif defined(__aarch64__)
    features |= TSK_CPU_NEON; /* mandatory on AArch64 */
#endif
    return features;
}

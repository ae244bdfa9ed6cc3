#include "tessera_kernels.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <stdatomic.h>
#endif

#if defined(__x86_64__)
/*
 * AMX: CPUID.(7, 0).EDX bits 24 (tile) and 25 (int8), and the OS saving tile state (XCR0
 * bits 17 and 18). Asked once: CPUID traps to the hypervisor in a VM (microseconds), and the
 * kernels check the features on every call.
 */
static uint32_t amx_int8(void) {
    static _Atomic uint32_t cached; /* the bit, plus 1u << 31 once known */
    uint32_t known = atomic_load_explicit(&cached, memory_order_relaxed);
    if (known) return known & TSK_CPU_AMX_INT8;
    uint32_t bit = 0;
    unsigned a, b, c, d;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (d >> 24 & 3) == 3 && __get_cpuid(1, &a, &b, &c, &d) &&
        (c >> 27 & 1)) {
        unsigned lo, hi;
        __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        if ((lo >> 17 & 3) == 3) bit = TSK_CPU_AMX_INT8;
    }
    atomic_store_explicit(&cached, bit | 1u << 31, memory_order_relaxed);
    return bit;
}
#endif

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
#if defined(__x86_64__)
    features |= amx_int8();
#endif
#elif defined(__aarch64__)
    features |= TSK_CPU_NEON; /* mandatory on AArch64 */
#endif
    return features;
}

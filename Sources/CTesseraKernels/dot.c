#include "tessera_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

static float sdot_generic(const float *a, const float *b, size_t n) {
    float sum = 0.0f;
    for (size_t i = 0; i < n; i++) sum += a[i] * b[i];
    return sum;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static float sdot_avx2(const float *a, const float *b, size_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    size_t i = 0;
    /* Two accumulators hide the FMA latency. */
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    }
    for (; i + 8 <= n; i += 8)
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    __m256 acc = _mm256_add_ps(acc0, acc1);
    __m128 lo = _mm256_castps256_ps128(acc), hi = _mm256_extractf128_ps(acc, 1);
    __m128 s = _mm_add_ps(lo, hi);
    s = _mm_hadd_ps(s, s);
    s = _mm_hadd_ps(s, s);
    float sum = _mm_cvtss_f32(s);
    for (; i < n; i++) sum += a[i] * b[i];
    return sum;
}
#endif

static int avx2_available(void) {
    uint32_t f = tsk_cpu_features();
    return (f & TSK_CPU_AVX2) && (f & TSK_CPU_FMA);
}

static tsk_variant resolve(tsk_variant variant) {
    if (variant != TSK_VARIANT_AUTO) return variant;
    return avx2_available() ? TSK_VARIANT_AVX2 : TSK_VARIANT_GENERIC;
}

const char *tsk_variant_name(tsk_variant variant) {
    switch (resolve(variant)) {
    case TSK_VARIANT_AVX2: return "avx2+fma";
    case TSK_VARIANT_GENERIC: return "generic";
    default: return "unknown";
    }
}

int tsk_sdot(tsk_variant variant, const float *a, const float *b, size_t n, float *out) {
    switch (resolve(variant)) {
    case TSK_VARIANT_GENERIC:
        *out = sdot_generic(a, b, n);
        return 1;
#if defined(__x86_64__)
    case TSK_VARIANT_AVX2:
        if (!avx2_available()) return 0;
        *out = sdot_avx2(a, b, n);
        return 1;
#endif
    default:
        return 0;
    }
}

/*
 * Internal to the executor kernels (elementwise.c, softmax.c): vectorized exp for AVX2+FMA
 * and the runtime check that picks it. Not a public header.
 */
#ifndef TESSERA_VMATH_INTERNAL_H
#define TESSERA_VMATH_INTERNAL_H

#include "tessera_kernels.h"

static inline int tsk_vmath_avx2_available(void) {
#if defined(__x86_64__)
    uint32_t f = tsk_cpu_features();
    return (f & TSK_CPU_AVX2) && (f & TSK_CPU_FMA);
#else
    return 0;
#endif
}

/* The variant to run for `variant`: GENERIC or AVX2, or AUTO when it cannot run here. */
static inline tsk_variant tsk_vmath_resolve(tsk_variant variant) {
    switch (variant) {
    case TSK_VARIANT_AUTO: return tsk_vmath_avx2_available() ? TSK_VARIANT_AVX2 : TSK_VARIANT_GENERIC;
    case TSK_VARIANT_GENERIC: return TSK_VARIANT_GENERIC;
    case TSK_VARIANT_AVX2: return tsk_vmath_avx2_available() ? TSK_VARIANT_AVX2 : TSK_VARIANT_AUTO;
    default: return TSK_VARIANT_AUTO;
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

/*
 * e^x to about 1 ulp (Cephes-style): x = n ln2 + r with |r| <= ln2 / 2, e^r from a degree-6
 * polynomial, 2^n built in the exponent bits. Inputs below ~-87.3 (where the result would be
 * denormal) give exactly 0, inputs above ~88.4 give +inf and NaN stays NaN, so callers can
 * feed masked (-inf) logits without special cases.
 */
__attribute__((target("avx2,fma")))
static inline __m256 tsk_exp256(__m256 x) {
    const __m256 lo = _mm256_set1_ps(-87.33654f), hi = _mm256_set1_ps(88.37626f);
    __m256 underflow = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
    __m256 overflow = _mm256_cmp_ps(x, hi, _CMP_GT_OQ);
    /* max/min return their second operand when one is NaN: keep x second so NaN survives. */
    __m256 c = _mm256_min_ps(hi, _mm256_max_ps(lo, x));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(c, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    /* ln2 split in two so n * ln2_hi is exact and r keeps its low bits. */
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), c);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    /* n is in [-126, 128]; 128 would wrap the exponent, so scale by 2^(n-1) twice there. */
    __m256i ni = _mm256_cvtps_epi32(n);
    __m256i half = _mm256_srai_epi32(ni, 1);
    __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(half, _mm256_set1_epi32(127)), 23));
    __m256 s2 = _mm256_castsi256_ps(
        _mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(ni, half), _mm256_set1_epi32(127)), 23));
    __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
    y = _mm256_andnot_ps(underflow, y);
    return _mm256_blendv_ps(y, _mm256_set1_ps(__builtin_inff()), overflow);
}
#endif

#endif

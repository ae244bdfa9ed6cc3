/*
 * Internal to the executor kernels (elementwise.c, softmax.c, sgemm.c's epilogue): vectorized
 * exp and erf for AVX2+FMA and for AVX-512F, and the runtime checks that pick them. Not a
 * public header.
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

static inline int tsk_vmath_avx512_available(void) {
#if defined(__x86_64__)
    uint32_t f = tsk_cpu_features();
    return (f & TSK_CPU_AVX512F) && (f & TSK_CPU_AVX2) && (f & TSK_CPU_FMA);
#else
    return 0;
#endif
}

/*
 * The variant tsk_unary_f32 runs for `variant`: GENERIC, AVX2 or AVX512, or AUTO when it
 * cannot run here. Only the unary family has an AVX-512 path so far (it gives the AVX2 path's
 * bits, twice as wide); the others resolve through tsk_vmath_resolve.
 */
static inline tsk_variant tsk_unary_resolve(tsk_variant variant) {
    switch (variant) {
    case TSK_VARIANT_AUTO: return tsk_vmath_avx512_available() ? TSK_VARIANT_AVX512 : tsk_vmath_resolve(variant);
    case TSK_VARIANT_AVX512: return tsk_vmath_avx512_available() ? TSK_VARIANT_AVX512 : TSK_VARIANT_AUTO;
    default: return tsk_vmath_resolve(variant);
    }
}

/*
 * tsk_unary_f32's element loop for a resolved variant (GENERIC, AVX2 or AVX512), on the calling
 * thread; each element's result is independent of n and of where the element sits, so callers
 * may apply it in pieces (the SGEMM epilogue does, block by block), and AVX512 gives AVX2's
 * bits.
 */
void tsk_unary_serial(tsk_variant variant, tsk_unary_op op, size_t n, const float *x, float *y);

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

/*
 * erf and erfc of a = |z| together, each accurate to a few ulp, for callers that know
 * a^2 exactly as sq_hi + sq_lo (|sq_lo| <= ulp(sq_hi) / 2, from an FMA). a must be clamped
 * to at most ~12 (erfc underflows from 10.1 on, erf rounds to 1 from 3.9 on); NaN gives NaN.
 *
 * Below 0.75, erf(a) = a * P(a^2) and erfc = 1 - erf (erf <= 0.72 there, so the subtraction
 * loses at most a couple of bits). From 0.75 on, erfc(a) = e^(-a^2) * s * R(s) with
 * s = 2 / (2 + a), which maps [0.75, inf) into a bounded interval where erfc(a) e^(a^2) / s is
 * smooth; erf = 1 - erfc. P (degree 5 in a^2) and R (degree 8) are relative-minimax fits made
 * for this code, to about 1.5e-9 and 5e-9. e^(-a^2) is taken as e^(-sq_hi) (1 - sq_lo): from
 * a rounded a^2 alone, erfc(7) would already be off by ~50 ulp.
 */
__attribute__((target("avx2,fma")))
static inline void tsk_erf_parts256(__m256 a, __m256 sq_hi, __m256 sq_lo, __m256 *erf_a, __m256 *erfc_a) {
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256 small = _mm256_cmp_ps(a, _mm256_set1_ps(0.75f), _CMP_LT_OQ);
    __m256 p = _mm256_set1_ps(-6.749511652e-4f);
    p = _mm256_fmadd_ps(p, sq_hi, _mm256_set1_ps(5.114345395e-3f));
    p = _mm256_fmadd_ps(p, sq_hi, _mm256_set1_ps(-2.683462453e-2f));
    p = _mm256_fmadd_ps(p, sq_hi, _mm256_set1_ps(1.128337657e-1f));
    p = _mm256_fmadd_ps(p, sq_hi, _mm256_set1_ps(-3.761261876e-1f));
    p = _mm256_fmadd_ps(p, sq_hi, _mm256_set1_ps(1.128379165e+0f));
    __m256 erf_small = _mm256_mul_ps(a, p);
    if (_mm256_movemask_ps(small) == 0xFF) {
        /* Every lane is in the polynomial's range: skip the exp and the division. */
        *erf_a = erf_small;
        *erfc_a = _mm256_sub_ps(one, erf_small);
        return;
    }
    __m256 s = _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(_mm256_set1_ps(2.0f), a));
    __m256 r = _mm256_set1_ps(-5.258469571e-2f);
    r = _mm256_fmadd_ps(r, s, _mm256_set1_ps(2.666358734e-1f));
    r = _mm256_fmadd_ps(r, s, _mm256_set1_ps(-4.690561650e-1f));
    r = _mm256_fmadd_ps(r, s, _mm256_set1_ps(2.714439839e-1f));
    r = _mm256_fmadd_ps(r, s, _mm256_set1_ps(-2.812094215e-2f));
    r = _mm256_fmadd_ps(r, s, _mm256_set1_ps(2.048071299e-1f));
    r = _mm256_fmadd_ps(r, s, _mm256_set1_ps(2.423751710e-1f));
    r = _mm256_fmadd_ps(r, s, _mm256_set1_ps(2.824856119e-1f));
    r = _mm256_fmadd_ps(r, s, _mm256_set1_ps(2.820801175e-1f));
    __m256 e = tsk_exp256(_mm256_sub_ps(_mm256_setzero_ps(), sq_hi));
    e = _mm256_fnmadd_ps(e, sq_lo, e);
    __m256 erfc_large = _mm256_mul_ps(e, _mm256_mul_ps(s, r));
    *erf_a = _mm256_blendv_ps(_mm256_sub_ps(one, erfc_large), erf_small, small);
    *erfc_a = _mm256_blendv_ps(erfc_large, _mm256_sub_ps(one, erf_small), small);
}

/* erf(x), odd, a few ulp over all floats; erf(+-inf) = +-1, NaN stays NaN. */
__attribute__((target("avx2,fma")))
static inline __m256 tsk_erf256(__m256 x) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    /* min returns its second operand for NaN: keep |x| second so NaN survives the clamp. */
    __m256 a = _mm256_min_ps(_mm256_set1_ps(12.0f), _mm256_andnot_ps(sign, x));
    __m256 hi = _mm256_mul_ps(a, a);
    __m256 lo = _mm256_fmsub_ps(a, a, hi);
    __m256 erf_a, erfc_a;
    tsk_erf_parts256(a, hi, lo, &erf_a, &erfc_a);
    return _mm256_or_ps(erf_a, _mm256_and_ps(sign, x));
}

/*
 * GELU, x (1 + erf(x / sqrt 2)) / 2. For x < 0 the factor is erfc(|x| / sqrt 2), used
 * directly, so the far negative tail keeps its relative accuracy instead of cancelling to 0;
 * x^2 / 2 is split exactly from x, not from the rounded x / sqrt 2. gelu(-inf) is -inf * 0 =
 * NaN, as the scalar path gives.
 */
__attribute__((target("avx2,fma")))
static inline __m256 tsk_gelu_erf256(__m256 x) {
    const __m256 sign = _mm256_set1_ps(-0.0f), half = _mm256_set1_ps(0.5f);
    __m256 xa = _mm256_min_ps(_mm256_set1_ps(16.0f), _mm256_andnot_ps(sign, x));
    __m256 a = _mm256_mul_ps(xa, _mm256_set1_ps(0.70710678118654752f));
    __m256 sq = _mm256_mul_ps(xa, xa);
    __m256 hi = _mm256_mul_ps(sq, half), lo = _mm256_mul_ps(_mm256_fmsub_ps(xa, xa, sq), half);
    __m256 erf_a, erfc_a;
    tsk_erf_parts256(a, hi, lo, &erf_a, &erfc_a);
    __m256 negative = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
    __m256 factor = _mm256_blendv_ps(_mm256_add_ps(_mm256_set1_ps(1.0f), erf_a), erfc_a, negative);
    return _mm256_mul_ps(_mm256_mul_ps(half, x), factor);
}
/*
 * The AVX-512F twins of the functions above: the same operations in the same order, lane by
 * lane, so each gives exactly the bits of its AVX2 form (a NaN result is NaN in both, though
 * which operand's NaN propagates, and so its sign, is up to the compiler's operand order). AVX-512F has no float and/or/andnot
 * (those are AVX512DQ), so sign handling goes through the integer forms.
 */
#define TSK_AS_PS(x) _mm512_castsi512_ps(x)
#define TSK_AS_SI(x) _mm512_castps_si512(x)

__attribute__((target("avx512f")))
static inline __m512 tsk_abs512(__m512 x) {
    return TSK_AS_PS(_mm512_andnot_si512(TSK_AS_SI(_mm512_set1_ps(-0.0f)), TSK_AS_SI(x)));
}

/* x with the sign bit of `s` or-ed in. */
__attribute__((target("avx512f")))
static inline __m512 tsk_or_sign512(__m512 x, __m512 s) {
    return TSK_AS_PS(_mm512_or_si512(TSK_AS_SI(x), _mm512_and_si512(TSK_AS_SI(_mm512_set1_ps(-0.0f)), TSK_AS_SI(s))));
}

__attribute__((target("avx512f")))
static inline __m512 tsk_exp512(__m512 x) {
    const __m512 lo = _mm512_set1_ps(-87.33654f), hi = _mm512_set1_ps(88.37626f);
    __mmask16 underflow = _mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ);
    __mmask16 overflow = _mm512_cmp_ps_mask(x, hi, _CMP_GT_OQ);
    __m512 c = _mm512_min_ps(hi, _mm512_max_ps(lo, x));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(c, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), c);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    __m512i ni = _mm512_cvtps_epi32(n);
    __m512i half = _mm512_srai_epi32(ni, 1);
    __m512 s1 = TSK_AS_PS(_mm512_slli_epi32(_mm512_add_epi32(half, _mm512_set1_epi32(127)), 23));
    __m512 s2 = TSK_AS_PS(_mm512_slli_epi32(_mm512_add_epi32(_mm512_sub_epi32(ni, half), _mm512_set1_epi32(127)), 23));
    __m512 y = _mm512_mul_ps(_mm512_mul_ps(p, s1), s2);
    y = _mm512_maskz_mov_ps((__mmask16)~underflow, y);
    return _mm512_mask_blend_ps(overflow, y, _mm512_set1_ps(__builtin_inff()));
}

__attribute__((target("avx512f")))
static inline void tsk_erf_parts512(__m512 a, __m512 sq_hi, __m512 sq_lo, __m512 *erf_a, __m512 *erfc_a) {
    const __m512 one = _mm512_set1_ps(1.0f);
    __mmask16 small = _mm512_cmp_ps_mask(a, _mm512_set1_ps(0.75f), _CMP_LT_OQ);
    __m512 p = _mm512_set1_ps(-6.749511652e-4f);
    p = _mm512_fmadd_ps(p, sq_hi, _mm512_set1_ps(5.114345395e-3f));
    p = _mm512_fmadd_ps(p, sq_hi, _mm512_set1_ps(-2.683462453e-2f));
    p = _mm512_fmadd_ps(p, sq_hi, _mm512_set1_ps(1.128337657e-1f));
    p = _mm512_fmadd_ps(p, sq_hi, _mm512_set1_ps(-3.761261876e-1f));
    p = _mm512_fmadd_ps(p, sq_hi, _mm512_set1_ps(1.128379165e+0f));
    __m512 erf_small = _mm512_mul_ps(a, p);
    if (small == 0xFFFF) {
        *erf_a = erf_small;
        *erfc_a = _mm512_sub_ps(one, erf_small);
        return;
    }
    __m512 s = _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(_mm512_set1_ps(2.0f), a));
    __m512 r = _mm512_set1_ps(-5.258469571e-2f);
    r = _mm512_fmadd_ps(r, s, _mm512_set1_ps(2.666358734e-1f));
    r = _mm512_fmadd_ps(r, s, _mm512_set1_ps(-4.690561650e-1f));
    r = _mm512_fmadd_ps(r, s, _mm512_set1_ps(2.714439839e-1f));
    r = _mm512_fmadd_ps(r, s, _mm512_set1_ps(-2.812094215e-2f));
    r = _mm512_fmadd_ps(r, s, _mm512_set1_ps(2.048071299e-1f));
    r = _mm512_fmadd_ps(r, s, _mm512_set1_ps(2.423751710e-1f));
    r = _mm512_fmadd_ps(r, s, _mm512_set1_ps(2.824856119e-1f));
    r = _mm512_fmadd_ps(r, s, _mm512_set1_ps(2.820801175e-1f));
    __m512 e = tsk_exp512(_mm512_sub_ps(_mm512_setzero_ps(), sq_hi));
    e = _mm512_fnmadd_ps(e, sq_lo, e);
    __m512 erfc_large = _mm512_mul_ps(e, _mm512_mul_ps(s, r));
    *erf_a = _mm512_mask_blend_ps(small, _mm512_sub_ps(one, erfc_large), erf_small);
    *erfc_a = _mm512_mask_blend_ps(small, erfc_large, _mm512_sub_ps(one, erf_small));
}

__attribute__((target("avx512f")))
static inline __m512 tsk_erf512(__m512 x) {
    __m512 a = _mm512_min_ps(_mm512_set1_ps(12.0f), tsk_abs512(x));
    __m512 hi = _mm512_mul_ps(a, a);
    __m512 lo = _mm512_fmsub_ps(a, a, hi);
    __m512 erf_a, erfc_a;
    tsk_erf_parts512(a, hi, lo, &erf_a, &erfc_a);
    return tsk_or_sign512(erf_a, x);
}

__attribute__((target("avx512f")))
static inline __m512 tsk_gelu_erf512(__m512 x) {
    const __m512 half = _mm512_set1_ps(0.5f);
    __m512 xa = _mm512_min_ps(_mm512_set1_ps(16.0f), tsk_abs512(x));
    __m512 a = _mm512_mul_ps(xa, _mm512_set1_ps(0.70710678118654752f));
    __m512 sq = _mm512_mul_ps(xa, xa);
    __m512 hi = _mm512_mul_ps(sq, half), lo = _mm512_mul_ps(_mm512_fmsub_ps(xa, xa, sq), half);
    __m512 erf_a, erfc_a;
    tsk_erf_parts512(a, hi, lo, &erf_a, &erfc_a);
    __mmask16 negative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    __m512 factor = _mm512_mask_blend_ps(negative, _mm512_add_ps(_mm512_set1_ps(1.0f), erf_a), erfc_a);
    return _mm512_mul_ps(_mm512_mul_ps(half, x), factor);
}
#endif

#endif

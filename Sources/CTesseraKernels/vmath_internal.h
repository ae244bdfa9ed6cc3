/*
 * Internal to the executor kernels (elementwise.c, softmax.c, sgemm.c's epilogue): vectorized
 * exp, erf, GELU, sigmoid and tanh for AVX2+FMA (tsk_exp256, ...) and AVX-512F (tsk_exp512,
 * ...), written once in vmath_impl.h, and the runtime checks that pick them. Not a public
 * header.
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
 * The variant to run for `variant` in the families with an AVX-512 path (tsk_unary_f32, which
 * gives the AVX2 path's bits twice as wide, and tsk_softmax_f32): GENERIC, AVX2 or AVX512, or
 * AUTO when it cannot run here. The other families resolve through tsk_vmath_resolve.
 */
static inline tsk_variant tsk_vmath_wide_resolve(tsk_variant variant) {
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

#define TSK_VM_PASTE2(a, b) a##b
#define TSK_VM_PASTE(a, b) TSK_VM_PASTE2(a, b)
#define VN(name) TSK_VM_PASTE(name, TSK_VM_WIDTH)

/* ---------------------------------------------------------------- 8 lanes: AVX2 + FMA */
#define TSK_VM_WIDTH 256
#define VTARGET __attribute__((target("avx2,fma")))
#define VF __m256
#define VI __m256i
#define VM __m256
#define VSET1 _mm256_set1_ps
#define VADD _mm256_add_ps
#define VSUB _mm256_sub_ps
#define VMUL _mm256_mul_ps
#define VDIV _mm256_div_ps
#define VMIN _mm256_min_ps
#define VMAX _mm256_max_ps
#define VFMADD _mm256_fmadd_ps
#define VFNMADD _mm256_fnmadd_ps
#define VFMSUB _mm256_fmsub_ps
#define VROUND(x) _mm256_round_ps((x), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define VTOI _mm256_cvtps_epi32
#define VI_SET1 _mm256_set1_epi32
#define VI_ADD _mm256_add_epi32
#define VI_SUB _mm256_sub_epi32
#define VI_SRAI1(x) _mm256_srai_epi32((x), 1)
#define VI_SHL23(x) _mm256_slli_epi32((x), 23)
#define VASF _mm256_castsi256_ps
#define VLT(a, b) _mm256_cmp_ps((a), (b), _CMP_LT_OQ)
#define VGT(a, b) _mm256_cmp_ps((a), (b), _CMP_GT_OQ)
#define VSEL(m, a, b) _mm256_blendv_ps((a), (b), (m))
#define VZERO_WHERE(m, a) _mm256_andnot_ps((m), (a))
#define VALL(m) (_mm256_movemask_ps(m) == 0xFF)
#define VABS(a) _mm256_andnot_ps(_mm256_set1_ps(-0.0f), (a))
#define VOR_SIGN(a, s) _mm256_or_ps((a), _mm256_and_ps(_mm256_set1_ps(-0.0f), (s)))
#include "vmath_impl.h"

/* ---------------------------------------------------------------- 16 lanes: AVX-512F
 * AVX-512F has no float and/or/andnot (those are AVX512DQ): sign handling goes through the
 * integer forms. */
#define TSK_VM_WIDTH 512
#define VTARGET __attribute__((target("avx512f")))
#define VF __m512
#define VI __m512i
#define VM __mmask16
#define VSET1 _mm512_set1_ps
#define VADD _mm512_add_ps
#define VSUB _mm512_sub_ps
#define VMUL _mm512_mul_ps
#define VDIV _mm512_div_ps
#define VMIN _mm512_min_ps
#define VMAX _mm512_max_ps
#define VFMADD _mm512_fmadd_ps
#define VFNMADD _mm512_fnmadd_ps
#define VFMSUB _mm512_fmsub_ps
#define VROUND(x) _mm512_roundscale_ps((x), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define VTOI _mm512_cvtps_epi32
#define VI_SET1 _mm512_set1_epi32
#define VI_ADD _mm512_add_epi32
#define VI_SUB _mm512_sub_epi32
#define VI_SRAI1(x) _mm512_srai_epi32((x), 1)
#define VI_SHL23(x) _mm512_slli_epi32((x), 23)
#define VASF _mm512_castsi512_ps
#define VLT(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_LT_OQ)
#define VGT(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_GT_OQ)
#define VSEL(m, a, b) _mm512_mask_blend_ps((m), (a), (b))
#define VZERO_WHERE(m, a) _mm512_maskz_mov_ps((__mmask16)~(m), (a))
#define VALL(m) ((m) == 0xFFFF)
#define VABS(a) \
    _mm512_castsi512_ps(_mm512_andnot_si512(_mm512_castps_si512(_mm512_set1_ps(-0.0f)), _mm512_castps_si512(a)))
#define VOR_SIGN(a, s)                                                                        \
    _mm512_castsi512_ps(_mm512_or_si512(                                                      \
        _mm512_castps_si512(a), _mm512_and_si512(_mm512_castps_si512(_mm512_set1_ps(-0.0f)), \
                                                 _mm512_castps_si512(s))))
#include "vmath_impl.h"
#undef VN
#endif

#endif

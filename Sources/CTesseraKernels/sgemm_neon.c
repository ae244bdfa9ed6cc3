/*
 * SGEMM micro-kernel for AArch64 (NEON is mandatory there, so no target attribute is needed).
 *
 * 8 x 12 tile: 24 accumulators + 3 B vectors + 2 A vectors = 29 of the 32 q registers. Each k
 * step loads 8 A values and 12 B values and issues 24 lane-indexed FMAs (fmla v.4s, v.4s,
 * v.s[lane]), so no broadcasts are needed. The full zero-padded tile is always computed; edge
 * tiles are written through a small buffer.
 */
#include "sgemm_internal.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#include <string.h>

#define TSK_NEON_EACH_ROW(X) X(0, a0, 0) X(1, a0, 1) X(2, a0, 2) X(3, a0, 3) X(4, a1, 0) X(5, a1, 1) X(6, a1, 2) X(7, a1, 3)

void tsk_sgemm_kernel_neon(size_t kc, const float *a, const float *b, float *c, size_t ldc, size_t mr,
                           size_t nr, float alpha, float beta, const float *bias) {
    enum { MR = TSK_SGEMM_NEON_MR, NR = TSK_SGEMM_NEON_NR };
#define TSK_DECL(i, av, lane) float32x4_t x##i = vdupq_n_f32(0.0f), y##i = x##i, z##i = x##i;
    TSK_NEON_EACH_ROW(TSK_DECL)
#undef TSK_DECL
    for (size_t p = 0; p < kc; p++) {
        const float32x4_t a0 = vld1q_f32(a), a1 = vld1q_f32(a + 4);
        const float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8);
#define TSK_STEP(i, av, lane)                                                                             \
    x##i = vfmaq_laneq_f32(x##i, b0, av, lane);                                                           \
    y##i = vfmaq_laneq_f32(y##i, b1, av, lane);                                                           \
    z##i = vfmaq_laneq_f32(z##i, b2, av, lane);
        TSK_NEON_EACH_ROW(TSK_STEP)
#undef TSK_STEP
        a += MR;
        b += NR;
    }

    /* An edge tile runs the same epilogue on a copy, so every element of C gets the same
     * arithmetic whatever tile it falls in (row splits of a call give identical bits). */
    const int edge = mr != MR || nr != NR;
    float tile[MR * NR], bias_tile[NR];
    float *dst = c;
    size_t ldd = ldc;
    if (edge) {
        memset(tile, 0, sizeof tile);
        if (beta != 0.0f)
            for (size_t i = 0; i < mr; i++) memcpy(tile + i * NR, c + i * ldc, nr * sizeof(float));
        if (bias) {
            memset(bias_tile, 0, sizeof bias_tile);
            memcpy(bias_tile, bias, nr * sizeof(float));
            bias = bias_tile;
        }
        dst = tile;
        ldd = NR;
    }
    const float32x4_t va = vdupq_n_f32(alpha);
    float32x4_t bias0 = vdupq_n_f32(0.0f), bias1 = bias0, bias2 = bias0;
    if (bias) {
        bias0 = vld1q_f32(bias);
        bias1 = vld1q_f32(bias + 4);
        bias2 = vld1q_f32(bias + 8);
    }
#define TSK_STORE(i, av, lane)                                                                            \
    {                                                                                                     \
        float *cr = dst + (size_t)(i) * ldd;                                                              \
        float32x4_t r0 = vfmaq_f32(bias0, va, x##i), r1 = vfmaq_f32(bias1, va, y##i),                     \
                    r2 = vfmaq_f32(bias2, va, z##i);                                                      \
        if (beta != 0.0f) {                                                                               \
            r0 = vfmaq_n_f32(r0, vld1q_f32(cr), beta);                                                    \
            r1 = vfmaq_n_f32(r1, vld1q_f32(cr + 4), beta);                                                \
            r2 = vfmaq_n_f32(r2, vld1q_f32(cr + 8), beta);                                                \
        }                                                                                                 \
        vst1q_f32(cr, r0);                                                                                \
        vst1q_f32(cr + 4, r1);                                                                            \
        vst1q_f32(cr + 8, r2);                                                                            \
    }
    TSK_NEON_EACH_ROW(TSK_STORE)
#undef TSK_STORE
    if (edge)
        for (size_t i = 0; i < mr; i++) memcpy(c + i * ldc, tile + i * NR, nr * sizeof(float));
}

#endif

/*
 * SGEMM micro-kernels for x86-64: AVX2+FMA (6x16) and AVX-512F (14x32). Each is compiled with
 * its own target attribute and only ever called after sgemm.c checked the CPU supports it.
 *
 * Both broadcast one element of the packed A panel per row and multiply it into NR columns of
 * the packed B panel held in vector registers; the accumulators stay in registers for the
 * whole k loop. The body is written once per ISA for a compile-time row count and
 * instantiated for every row count 1..MR, so the bottom edge of C costs only the rows it has
 * (m = 128 on a 14-row kernel would otherwise waste 9% on the last panel).
 */
#include "sgemm_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

/* ---------------------------------------------------------------- AVX2 + FMA, 6 x 16 */

/*
 * 12 accumulators + 2 B vectors + 1 broadcast = 15 of the 16 ymm registers. Per k step:
 * 12 FMAs against 2 aligned loads and 6 broadcasts, enough independent FMAs to cover a
 * 4-cycle latency on two FMA pipes.
 */
#define TSK_AVX2_EACH_ROW(X) X(0) X(1) X(2) X(3) X(4) X(5)

__attribute__((target("avx2,fma"), always_inline)) static inline void
avx2_body(const int mr, size_t kc, const float *a, const float *b, float *c, size_t ldc, size_t nr,
          float alpha, float beta, const float *bias) {
    enum { MR = TSK_SGEMM_AVX2_MR, NR = TSK_SGEMM_AVX2_NR };
    /* One named pair of accumulators per row (arrays would be kept in memory by both gcc and
     * clang); rows at or past the compile-time mr are dead code and vanish. */
#define TSK_DECL(i) __m256 x##i = _mm256_setzero_ps(), y##i = _mm256_setzero_ps();
    TSK_AVX2_EACH_ROW(TSK_DECL)
#undef TSK_DECL
    for (int i = 0; i < mr; i++) _mm_prefetch((const char *)(c + (size_t)i * ldc), _MM_HINT_T0);
#pragma GCC unroll 4
    for (size_t p = 0; p < kc; p++) {
        /* B 8 KiB ahead, as in the AVX-512 kernel below: MiniLM's 36 projections at 12 rows
         * on 2 threads ran ~25% faster on average (forced AVX2, AVX-512 machine). */
        _mm_prefetch((const char *)(b + 128 * NR), _MM_HINT_T0);
        const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#define TSK_STEP(i)                                                                                       \
    if (i < mr) {                                                                                         \
        const __m256 ai = _mm256_broadcast_ss(a + i);                                                     \
        x##i = _mm256_fmadd_ps(ai, b0, x##i);                                                             \
        y##i = _mm256_fmadd_ps(ai, b1, y##i);                                                             \
    }
        TSK_AVX2_EACH_ROW(TSK_STEP)
#undef TSK_STEP
        a += MR;
        b += NR;
    }

    const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    if (nr == NR) {
        __m256 bias0 = _mm256_setzero_ps(), bias1 = _mm256_setzero_ps();
        if (bias) {
            bias0 = _mm256_loadu_ps(bias);
            bias1 = _mm256_loadu_ps(bias + 8);
        }
#define TSK_STORE(i)                                                                                      \
    if (i < mr) {                                                                                         \
        float *cr = c + (size_t)(i) * ldc;                                                                \
        __m256 r0 = _mm256_fmadd_ps(va, x##i, bias0), r1 = _mm256_fmadd_ps(va, y##i, bias1);              \
        if (beta != 0.0f) {                                                                               \
            r0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr), r0);                                            \
            r1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr + 8), r1);                                        \
        }                                                                                                 \
        _mm256_storeu_ps(cr, r0);                                                                         \
        _mm256_storeu_ps(cr + 8, r1);                                                                     \
    }
        TSK_AVX2_EACH_ROW(TSK_STORE)
#undef TSK_STORE
        return;
    }
    /* Right edge: masked loads and stores touch only the nr columns that exist. */
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)nr), lane);
    const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)nr - 8), lane);
    __m256 bias0 = _mm256_setzero_ps(), bias1 = _mm256_setzero_ps();
    if (bias) {
        bias0 = _mm256_maskload_ps(bias, m0);
        bias1 = _mm256_maskload_ps(bias + 8, m1);
    }
#define TSK_STORE(i)                                                                                      \
    if (i < mr) {                                                                                         \
        float *cr = c + (size_t)(i) * ldc;                                                                \
        __m256 r0 = _mm256_fmadd_ps(va, x##i, bias0), r1 = _mm256_fmadd_ps(va, y##i, bias1);              \
        if (beta != 0.0f) {                                                                               \
            r0 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(cr, m0), r0);                                     \
            r1 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(cr + 8, m1), r1);                                 \
        }                                                                                                 \
        _mm256_maskstore_ps(cr, m0, r0);                                                                  \
        _mm256_maskstore_ps(cr + 8, m1, r1);                                                              \
    }
    TSK_AVX2_EACH_ROW(TSK_STORE)
#undef TSK_STORE
}

#define TSK_AVX2_ROWS(R)                                                                                  \
    __attribute__((target("avx2,fma"))) static void avx2_rows##R(size_t kc, const float *a, const float *b, \
                                                                  float *c, size_t ldc, size_t nr,          \
                                                                  float alpha, float beta,                  \
                                                                  const float *bias) {                      \
        avx2_body(R, kc, a, b, c, ldc, nr, alpha, beta, bias);                                            \
    }
TSK_AVX2_ROWS(1)
TSK_AVX2_ROWS(2)
TSK_AVX2_ROWS(3)
TSK_AVX2_ROWS(4)
TSK_AVX2_ROWS(5)
TSK_AVX2_ROWS(6)
#undef TSK_AVX2_ROWS

void tsk_sgemm_kernel_avx2(size_t kc, const float *a, const float *b, float *c, size_t ldc, size_t mr,
                           size_t nr, float alpha, float beta, const float *bias) {
    switch (mr) {
    case 6: avx2_rows6(kc, a, b, c, ldc, nr, alpha, beta, bias); break;
    case 5: avx2_rows5(kc, a, b, c, ldc, nr, alpha, beta, bias); break;
    case 4: avx2_rows4(kc, a, b, c, ldc, nr, alpha, beta, bias); break;
    case 3: avx2_rows3(kc, a, b, c, ldc, nr, alpha, beta, bias); break;
    case 2: avx2_rows2(kc, a, b, c, ldc, nr, alpha, beta, bias); break;
    case 1: avx2_rows1(kc, a, b, c, ldc, nr, alpha, beta, bias); break;
    default: break;
    }
}

/* ---------------------------------------------------------------- AVX-512F, 14 x 32 */

/*
 * 28 accumulators + 2 B vectors + 1 broadcast = 31 of the 32 zmm registers. The broadcast is
 * folded into the FMA's memory operand ({1to16}), so a k step is 2 loads and 28 FMAs: the
 * largest tile that fits keeps the loads per FMA lowest (on Zen 4, where a zmm FMA issues as
 * two 256-bit halves, the FMA pipes are the only limit).
 */
#define TSK_AVX512_EACH_ROW(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13)

__attribute__((target("avx512f"), always_inline)) static inline void
avx512_body(const int mr, size_t kc, const float *a, const float *b, float *c, size_t ldc, size_t nr,
            float alpha, float beta, const float *bias) {
    enum { MR = TSK_SGEMM_AVX512_MR, NR = TSK_SGEMM_AVX512_NR };
#define TSK_DECL(i) __m512 x##i = _mm512_setzero_ps(), y##i = _mm512_setzero_ps();
    TSK_AVX512_EACH_ROW(TSK_DECL)
#undef TSK_DECL
    for (int i = 0; i < mr; i++) _mm_prefetch((const char *)(c + (size_t)i * ldc), _MM_HINT_T0);
#pragma GCC unroll 4
    for (size_t p = 0; p < kc; p++) {
        /* B streams from L3 or memory when few rows share it (batch 1: the whole model's
         * weights once per call); fetching 8 KiB ahead hides that latency. Measured on
         * MiniLM's 36 projections at 12 rows, 2 threads: 20-25% faster; at 128 rows, ~10%.
         * Past the last panel the hint points at memory never read, which is harmless. */
        _mm_prefetch((const char *)(b + 64 * NR), _MM_HINT_T0);
        _mm_prefetch((const char *)(b + 64 * NR + 16), _MM_HINT_T0);
        const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#define TSK_STEP(i)                                                                                       \
    if (i < mr) {                                                                                         \
        const __m512 ai = _mm512_set1_ps(a[i]);                                                           \
        x##i = _mm512_fmadd_ps(ai, b0, x##i);                                                             \
        y##i = _mm512_fmadd_ps(ai, b1, y##i);                                                             \
    }
        TSK_AVX512_EACH_ROW(TSK_STEP)
#undef TSK_STEP
        a += MR;
        b += NR;
    }

    /* Masked loads and stores handle the right edge; masked-off lanes are never touched. */
    const __mmask16 m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1u);
    const __mmask16 m1 = nr >= 32 ? (__mmask16)0xFFFF : nr <= 16 ? (__mmask16)0 : (__mmask16)((1u << (nr - 16)) - 1u);
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    __m512 bias0 = _mm512_setzero_ps(), bias1 = _mm512_setzero_ps();
    if (bias) {
        bias0 = _mm512_maskz_loadu_ps(m0, bias);
        bias1 = _mm512_maskz_loadu_ps(m1, bias + 16);
    }
#define TSK_STORE(i)                                                                                      \
    if (i < mr) {                                                                                         \
        float *cr = c + (size_t)(i) * ldc;                                                                \
        __m512 r0 = _mm512_fmadd_ps(va, x##i, bias0), r1 = _mm512_fmadd_ps(va, y##i, bias1);              \
        if (beta != 0.0f) {                                                                               \
            r0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, cr), r0);                                  \
            r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, cr + 16), r1);                             \
        }                                                                                                 \
        _mm512_mask_storeu_ps(cr, m0, r0);                                                                \
        _mm512_mask_storeu_ps(cr + 16, m1, r1);                                                           \
    }
    TSK_AVX512_EACH_ROW(TSK_STORE)
#undef TSK_STORE
}

#define TSK_AVX512_ROWS(R)                                                                                \
    __attribute__((target("avx512f"))) static void avx512_rows##R(size_t kc, const float *a, const float *b, \
                                                                   float *c, size_t ldc, size_t nr,          \
                                                                   float alpha, float beta,                  \
                                                                   const float *bias) {                      \
        avx512_body(R, kc, a, b, c, ldc, nr, alpha, beta, bias);                                          \
    }
TSK_AVX512_ROWS(1)
TSK_AVX512_ROWS(2)
TSK_AVX512_ROWS(3)
TSK_AVX512_ROWS(4)
TSK_AVX512_ROWS(5)
TSK_AVX512_ROWS(6)
TSK_AVX512_ROWS(7)
TSK_AVX512_ROWS(8)
TSK_AVX512_ROWS(9)
TSK_AVX512_ROWS(10)
TSK_AVX512_ROWS(11)
TSK_AVX512_ROWS(12)
TSK_AVX512_ROWS(13)
TSK_AVX512_ROWS(14)
#undef TSK_AVX512_ROWS

void tsk_sgemm_kernel_avx512(size_t kc, const float *a, const float *b, float *c, size_t ldc, size_t mr,
                             size_t nr, float alpha, float beta, const float *bias) {
    switch (mr) {
    case 14: avx512_rows14(kc, a, b, c, ldc, nr, alpha, beta, bias); break;
    case 13: avx512_rows13(kc, a, b, c, ldc, nr, alpha, beta, bias); break;
    case 12: avx512_rows12(kc, a, b, c, ldc, nr, alpha, beta, bias); break;
    case 11: avx512_rows11(kc, a, b, c, ldc, nr, alpha, beta, bias); break;
    case 10: avx512_rows10(kc, a, b, c, ldc, nr, alpha, beta, bias); break;
    case 9: avx512_rows9(kc, a, b, c, ldc, nr, alpha, beta, bias); break;
    case 8: avx512_rows8(kc, a, b, c, ldc, nr, alpha, beta, bias); break;
    case 7: avx512_rows7(kc, a, b, c, ldc, nr, alpha, beta, bias); break;
    case 6: avx512_rows6(kc, a, b, c, ldc, nr, alpha, beta, bias); break;
    case 5: avx512_rows5(kc, a, b, c, ldc, nr, alpha, beta, bias); break;
    case 4: avx512_rows4(kc, a, b, c, ldc, nr, alpha, beta, bias); break;
    case 3: avx512_rows3(kc, a, b, c, ldc, nr, alpha, beta, bias); break;
    case 2: avx512_rows2(kc, a, b, c, ldc, nr, alpha, beta, bias); break;
    case 1: avx512_rows1(kc, a, b, c, ldc, nr, alpha, beta, bias); break;
    default: break;
    }
}

/* ---------------------------------------------------------------- packing (AVX) */

/*
 * Both x86 variants imply AVX, so their packing runs 8 x 8 transposes in ymm registers:
 * packing non-transposed A (MR rows into [k][MR]) and transposed B (rows of B^T into
 * [k][NR]) are both transposes, which scalar code does one float at a time.
 */
__attribute__((target("avx"), always_inline)) static inline void transpose8(__m256 r[8]) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/* Loads `rows` (<= 8) rows of 8 floats at src + i * ld, zeros for the rest, and transposes. */
__attribute__((target("avx"), always_inline)) static inline void load_transpose8(const float *src, size_t ld,
                                                                                  size_t rows, __m256 r[8]) {
    for (size_t i = 0; i < 8; i++) r[i] = i < rows ? _mm256_loadu_ps(src + i * ld) : _mm256_setzero_ps();
    transpose8(r);
}

__attribute__((target("avx"))) void tsk_sgemm_pack_a_avx(size_t mr, size_t rows, size_t kc, const float *a,
                                                         size_t lda, int trans, float *dst) {
    if (trans || mr > 16) {
        tsk_sgemm_pack_a_generic(mr, rows, kc, a, lda, trans, dst);
        return;
    }
    /* A last, partial panel (batch-1 calls are nothing else) goes the same way, its missing
     * rows loaded as zeros. */
    for (size_t i0 = 0; i0 < rows; i0 += mr) {
        const size_t h = rows - i0 < mr ? rows - i0 : mr;
        const float *src = a + i0 * lda;
        size_t p = 0;
        for (; p + 8 <= kc; p += 8) {
            /* Column p + q of the panel goes to dst[q * mr ...]. An 8-wide store of the rows
             * past 8 (or of a 6-row panel) spills into the next column's first slots, which the
             * next store overwrites; the caller leaves 16 floats of slack after the buffer. */
            __m256 lo[8], hi[8];
            load_transpose8(src + p, lda, h < 8 ? h : 8, lo);
            if (mr > 8) load_transpose8(src + 8 * lda + p, lda, h > 8 ? h - 8 : 0, hi);
            for (size_t q = 0; q < 8; q++) {
                _mm256_storeu_ps(dst + q * mr, lo[q]);
                if (mr > 8) _mm256_storeu_ps(dst + q * mr + 8, hi[q]);
            }
            dst += 8 * mr;
        }
        for (; p < kc; p++) {
            for (size_t i = 0; i < mr; i++) dst[i] = i < h ? src[i * lda + p] : 0.0f;
            dst += mr;
        }
    }
}

__attribute__((target("avx"))) void tsk_sgemm_pack_b_avx(size_t nr, size_t kc, size_t cols, const float *b,
                                                         size_t ldb, int trans, float *dst) {
    if (nr % 8 != 0) {
        tsk_sgemm_pack_b_generic(nr, kc, cols, b, ldb, trans, dst);
        return;
    }
    for (size_t j0 = 0; j0 < cols; j0 += nr) {
        size_t w = cols - j0 < nr ? cols - j0 : nr;
        if (trans) {
            /* op(B)[p][j] = b[j * ldb + p]: 8 rows of stored B x 8 depths per transpose. */
            for (size_t jj = 0; jj < nr; jj += 8) {
                size_t live = w > jj ? (w - jj < 8 ? w - jj : 8) : 0;
                const float *src = b + (j0 + jj) * ldb;
                size_t p = 0;
                if (live == 0) {
                    for (; p < kc; p++) _mm256_store_ps(dst + p * nr + jj, _mm256_setzero_ps());
                    continue;
                }
                for (; p + 8 <= kc; p += 8) {
                    __m256 r[8];
                    load_transpose8(src + p, ldb, live, r);
                    for (size_t q = 0; q < 8; q++) _mm256_store_ps(dst + (p + q) * nr + jj, r[q]);
                }
                for (; p < kc; p++)
                    for (size_t j = 0; j < 8; j++) dst[p * nr + jj + j] = j < live ? src[j * ldb + p] : 0.0f;
            }
        } else if (w == nr) {
            for (size_t p = 0; p < kc; p++) {
                const float *s = b + p * ldb + j0;
                for (size_t j = 0; j < nr; j += 8) _mm256_store_ps(dst + p * nr + j, _mm256_loadu_ps(s + j));
            }
        } else {
            for (size_t p = 0; p < kc; p++) {
                const float *s = b + p * ldb + j0;
                size_t j = 0;
                for (; j < w; j++) dst[p * nr + j] = s[j];
                for (; j < nr; j++) dst[p * nr + j] = 0.0f;
            }
        }
        dst += kc * nr;
    }
}

#endif

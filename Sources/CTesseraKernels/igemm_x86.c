/*
 * Integer GEMM micro-kernels for x86-64: AVX2 (4 x 16, int16 pairs), AVX-512 VNNI (8 x 48,
 * byte quads) and AMX (32 x 32, tiles). Each is compiled with its own target attribute and
 * only called after igemm.c checked the CPU supports it. Both compute the whole MR-row tile (A panels are zero padded)
 * and store only the mr x nr part that exists; the zero-point epilogue is described in
 * igemm_internal.h.
 */
#include "igemm_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <stdatomic.h>
#include <string.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

static inline int32_t load_i32(const void *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* ---------------------------------------------------------------- AVX2, 4 x 16 */

/*
 * vpmaddwd multiplies int16 pairs and adds each pair into an int32 lane: exact for uint8 x
 * int8 widened to int16. (vpmaddubsw would take the bytes as they are, but adds its pairs in
 * saturating int16, and 255 * 127 * 2 does not fit.) Per depth pair: 2 B loads, 4 broadcasts,
 * 8 vpmaddwd and 8 vpaddd into 8 accumulators, which leaves registers for the products.
 */
__attribute__((target("avx2"))) void tsk_igemm_kernel_avx2(size_t groups, const void *ap, const void *bp,
                                                            int32_t *c, size_t ldc, size_t mr, size_t nr,
                                                            const tsk_igemm_epilogue *e) {
    enum { MR = TSK_IGEMM_AVX2_MR, NR = TSK_IGEMM_AVX2_NR };
    const int16_t *a = ap, *b = bp;
    __m256i x0 = _mm256_setzero_si256(), y0 = x0, x1 = x0, y1 = x0, x2 = x0, y2 = x0, x3 = x0, y3 = x0;
    for (size_t q = 0; q < groups; q++) {
        const __m256i b0 = _mm256_loadu_si256((const __m256i *)b), b1 = _mm256_loadu_si256((const __m256i *)(b + 16));
#define TSK_STEP(i)                                                                                       \
    {                                                                                                     \
        const __m256i ai = _mm256_set1_epi32(load_i32(a + 2 * (i)));                                      \
        x##i = _mm256_add_epi32(x##i, _mm256_madd_epi16(ai, b0));                                         \
        y##i = _mm256_add_epi32(y##i, _mm256_madd_epi16(ai, b1));                                         \
    }
        TSK_STEP(0) TSK_STEP(1) TSK_STEP(2) TSK_STEP(3)
#undef TSK_STEP
        a += MR * 2;
        b += NR * 2;
    }
    if (nr < NR) {
        /* Right edge: through memory and the plain epilogue. */
        int32_t tile[MR][NR];
#define TSK_DUMP(i)                                                                                       \
    _mm256_storeu_si256((__m256i *)tile[i], x##i);                                                        \
    _mm256_storeu_si256((__m256i *)(tile[i] + 8), y##i);
        TSK_DUMP(0) TSK_DUMP(1) TSK_DUMP(2) TSK_DUMP(3)
#undef TSK_DUMP
        tsk_igemm_store_tile(&tile[0][0], NR, c, ldc, mr, nr, e);
        return;
    }
    __m256i d0 = _mm256_setzero_si256(), d1 = d0, z0 = d0, z1 = d0;
    if (e->za) {
        d0 = _mm256_loadu_si256((const __m256i *)e->d);
        d1 = _mm256_loadu_si256((const __m256i *)(e->d + 8));
    }
    if (e->zb) {
        z0 = _mm256_loadu_si256((const __m256i *)e->zb);
        z1 = _mm256_loadu_si256((const __m256i *)(e->zb + 8));
    }
#define TSK_STORE(i)                                                                                      \
    if (i < mr) {                                                                                         \
        int32_t *cr = c + (size_t)(i) * ldc;                                                              \
        __m256i r0 = x##i, r1 = y##i;                                                                     \
        if (e->accumulate) {                                                                              \
            r0 = _mm256_add_epi32(r0, _mm256_loadu_si256((const __m256i *)cr));                           \
            r1 = _mm256_add_epi32(r1, _mm256_loadu_si256((const __m256i *)(cr + 8)));                     \
        } else if (e->za) {                                                                               \
            const __m256i zi = _mm256_set1_epi32(e->za[i]);                                               \
            r0 = _mm256_add_epi32(r0, _mm256_mullo_epi32(zi, d0));                                        \
            r1 = _mm256_add_epi32(r1, _mm256_mullo_epi32(zi, d1));                                        \
        }                                                                                                 \
        if (e->zb) {                                                                                      \
            const __m256i si = _mm256_set1_epi32(e->rs[i]);                                               \
            r0 = _mm256_sub_epi32(r0, _mm256_mullo_epi32(si, z0));                                        \
            r1 = _mm256_sub_epi32(r1, _mm256_mullo_epi32(si, z1));                                        \
        }                                                                                                 \
        _mm256_storeu_si256((__m256i *)cr, r0);                                                           \
        _mm256_storeu_si256((__m256i *)(cr + 8), r1);                                                     \
    }
    TSK_STORE(0) TSK_STORE(1) TSK_STORE(2) TSK_STORE(3)
#undef TSK_STORE
}

/* ---------------------------------------------------------------- AVX-512 VNNI, 8 x 48 */

/*
 * vpdpbusd adds four uint8 x int8 products into each int32 lane without intermediate
 * saturation. 24 accumulators + 3 B vectors; the A quad's broadcast folds into the
 * instruction ({1to16}), so a depth quad is 3 loads and 24 vpdpbusd. MR = 8 divides the
 * usual row counts (and their split over threads), so padded rows are rarely computed.
 */
#define TSK_VNNI_EACH_ROW(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

__attribute__((target("avx512f,avx512bw,avx512vnni"))) void
tsk_igemm_kernel_vnni(size_t groups, const void *ap, const void *bp, int32_t *c, size_t ldc, size_t mr, size_t nr,
                      const tsk_igemm_epilogue *e) {
    enum { MR = TSK_IGEMM_VNNI_MR, NR = TSK_IGEMM_VNNI_NR };
    const uint8_t *a = ap;
    const int8_t *b = bp;
#define TSK_DECL(i) __m512i u##i = _mm512_setzero_si512(), v##i = u##i, w##i = u##i;
    TSK_VNNI_EACH_ROW(TSK_DECL)
#undef TSK_DECL
#pragma GCC unroll 2
    for (size_t q = 0; q < groups; q++) {
        const __m512i b0 = _mm512_loadu_si512(b), b1 = _mm512_loadu_si512(b + 64), b2 = _mm512_loadu_si512(b + 128);
#define TSK_STEP(i)                                                                                       \
    {                                                                                                     \
        const __m512i ai = _mm512_set1_epi32(load_i32(a + 4 * (i)));                                      \
        u##i = _mm512_dpbusd_epi32(u##i, ai, b0);                                                         \
        v##i = _mm512_dpbusd_epi32(v##i, ai, b1);                                                         \
        w##i = _mm512_dpbusd_epi32(w##i, ai, b2);                                                         \
    }
        TSK_VNNI_EACH_ROW(TSK_STEP)
#undef TSK_STEP
        a += MR * 4;
        b += NR * 4;
    }

    /* Masked loads and stores handle the right edge; d and zb are padded to whole panels. */
    const __mmask16 m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1u);
    const __mmask16 m1 = nr >= 32 ? (__mmask16)0xFFFF : nr <= 16 ? 0 : (__mmask16)((1u << (nr - 16)) - 1u);
    const __mmask16 m2 = nr >= 48 ? (__mmask16)0xFFFF : nr <= 32 ? 0 : (__mmask16)((1u << (nr - 32)) - 1u);
    __m512i d0 = _mm512_setzero_si512(), d1 = d0, d2 = d0, z0 = d0, z1 = d0, z2 = d0;
    if (e->za) {
        d0 = _mm512_loadu_si512(e->d);
        d1 = _mm512_loadu_si512(e->d + 16);
        d2 = _mm512_loadu_si512(e->d + 32);
    }
    if (e->zb) {
        z0 = _mm512_loadu_si512(e->zb);
        z1 = _mm512_loadu_si512(e->zb + 16);
        z2 = _mm512_loadu_si512(e->zb + 32);
    }
#define TSK_STORE(i)                                                                                      \
    if (i < mr) {                                                                                         \
        int32_t *cr = c + (size_t)(i) * ldc;                                                              \
        __m512i r0 = u##i, r1 = v##i, r2 = w##i;                                                          \
        if (e->accumulate) {                                                                              \
            r0 = _mm512_add_epi32(r0, _mm512_maskz_loadu_epi32(m0, cr));                                  \
            r1 = _mm512_add_epi32(r1, _mm512_maskz_loadu_epi32(m1, cr + 16));                             \
            r2 = _mm512_add_epi32(r2, _mm512_maskz_loadu_epi32(m2, cr + 32));                             \
        } else if (e->za) {                                                                               \
            const __m512i zi = _mm512_set1_epi32(e->za[i]);                                               \
            r0 = _mm512_add_epi32(r0, _mm512_mullo_epi32(zi, d0));                                        \
            r1 = _mm512_add_epi32(r1, _mm512_mullo_epi32(zi, d1));                                        \
            r2 = _mm512_add_epi32(r2, _mm512_mullo_epi32(zi, d2));                                        \
        }                                                                                                 \
        if (e->zb) {                                                                                      \
            const __m512i si = _mm512_set1_epi32(e->rs[i]);                                               \
            r0 = _mm512_sub_epi32(r0, _mm512_mullo_epi32(si, z0));                                        \
            r1 = _mm512_sub_epi32(r1, _mm512_mullo_epi32(si, z1));                                        \
            r2 = _mm512_sub_epi32(r2, _mm512_mullo_epi32(si, z2));                                        \
        }                                                                                                 \
        _mm512_mask_storeu_epi32(cr, m0, r0);                                                             \
        _mm512_mask_storeu_epi32(cr + 16, m1, r1);                                                        \
        _mm512_mask_storeu_epi32(cr + 32, m2, r2);                                                        \
    }
    TSK_VNNI_EACH_ROW(TSK_STORE)
#undef TSK_STORE
}

/* ---------------------------------------------------------------- AMX, 32 x 32 */

int tsk_igemm_amx_enable(void) {
    /* 0: not asked yet; 1: granted; -1: refused. Racing first calls ask twice, harmlessly. */
    static atomic_int state;
    int s = atomic_load_explicit(&state, memory_order_relaxed);
    if (s == 0) {
#if defined(__linux__) && defined(SYS_arch_prctl)
        /* ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA: Linux traps tile use without it. */
        s = syscall(SYS_arch_prctl, 0x1023, 18) == 0 ? 1 : -1;
#else
        s = -1;
#endif
        atomic_store_explicit(&state, s, memory_order_relaxed);
    }
    return s == 1;
}

/* The LDTILECFG operand: palette 1, tiles 0..7 all 16 rows of 64 bytes. */
typedef struct tile_config {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} tile_config;

/* Constant data: a configuration built on the stack was partly optimized away (the
 * intrinsic's memory operand does not cover all 64 bytes), and ldtilecfg faulted. */
static const tile_config amx_config __attribute__((aligned(64))) = {
    1, 0, {0}, {64, 64, 64, 64, 64, 64, 64, 64}, {16, 16, 16, 16, 16, 16, 16, 16}};

__attribute__((target("amx-tile"))) void tsk_igemm_amx_begin(void) { _tile_loadconfig(&amx_config); }

__attribute__((target("amx-tile"))) void tsk_igemm_amx_end(void) { _tile_release(); }

/*
 * Four C tiles (2 x 2 of 16 x 16 int32) from two A tiles (16 rows x 64 bytes, one per row
 * half) and two B tiles (16 quads x 16 columns, one per column half), per 64-deep step:
 * 4 tile loads and 4 tdpbusd of 16 x 16 x 64 multiply-adds each. The sums go through memory
 * to the AVX-512 epilogue. Runs between tsk_igemm_amx_begin and _end on its thread
 * (configuring tiles per call measured up to a third slower).
 */
__attribute__((target("amx-tile,amx-int8,avx512f,avx512bw"))) void
tsk_igemm_kernel_amx(size_t steps, const void *ap, const void *bp, int32_t *c, size_t ldc, size_t mr, size_t nr,
                     const tsk_igemm_epilogue *e) {
    enum { MR = TSK_IGEMM_AMX_MR, NR = TSK_IGEMM_AMX_NR };
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    const uint8_t *a = ap;
    const int8_t *b = bp;
    for (size_t s = 0; s < steps; s++) {
        _tile_loadd(4, a, 64);
        _tile_loadd(5, a + 16 * 64, 64);
        _tile_loadd(6, b, NR * 4);
        _tile_loadd(7, b + 64, NR * 4);
        _tile_dpbusd(0, 4, 6);
        _tile_dpbusd(1, 4, 7);
        _tile_dpbusd(2, 5, 6);
        _tile_dpbusd(3, 5, 7);
        a += MR * 64;
        b += 16 * NR * 4;
    }
    int32_t tile[MR][NR] __attribute__((aligned(64)));
    _tile_stored(0, &tile[0][0], NR * 4);
    _tile_stored(1, &tile[0][16], NR * 4);
    _tile_stored(2, &tile[16][0], NR * 4);
    _tile_stored(3, &tile[16][16], NR * 4);

    const __mmask16 m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1u);
    const __mmask16 m1 = nr >= 32 ? (__mmask16)0xFFFF : nr <= 16 ? 0 : (__mmask16)((1u << (nr - 16)) - 1u);
    __m512i d0 = _mm512_setzero_si512(), d1 = d0, z0 = d0, z1 = d0;
    if (e->za) {
        d0 = _mm512_loadu_si512(e->d);
        d1 = _mm512_loadu_si512(e->d + 16);
    }
    if (e->zb) {
        z0 = _mm512_loadu_si512(e->zb);
        z1 = _mm512_loadu_si512(e->zb + 16);
    }
    for (size_t i = 0; i < mr; i++) {
        int32_t *cr = c + i * ldc;
        __m512i r0 = _mm512_load_si512(tile[i]), r1 = _mm512_load_si512(tile[i] + 16);
        if (e->accumulate) {
            r0 = _mm512_add_epi32(r0, _mm512_maskz_loadu_epi32(m0, cr));
            r1 = _mm512_add_epi32(r1, _mm512_maskz_loadu_epi32(m1, cr + 16));
        } else if (e->za) {
            const __m512i zi = _mm512_set1_epi32(e->za[i]);
            r0 = _mm512_add_epi32(r0, _mm512_mullo_epi32(zi, d0));
            r1 = _mm512_add_epi32(r1, _mm512_mullo_epi32(zi, d1));
        }
        if (e->zb) {
            const __m512i si = _mm512_set1_epi32(e->rs[i]);
            r0 = _mm512_sub_epi32(r0, _mm512_mullo_epi32(si, z0));
            r1 = _mm512_sub_epi32(r1, _mm512_mullo_epi32(si, z1));
        }
        _mm512_mask_storeu_epi32(cr, m0, r0);
        _mm512_mask_storeu_epi32(cr + 16, m1, r1);
    }
}

#endif

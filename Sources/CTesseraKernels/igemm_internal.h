/*
 * Internal to the integer GEMM: the micro-kernel contract shared by igemm.c (driver, packing,
 * dispatch, generic kernel) and igemm_x86.c. Not a public header.
 */
#ifndef TESSERA_IGEMM_INTERNAL_H
#define TESSERA_IGEMM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Packed layouts group the depth into runs of G consecutive k (G = 4 for the byte kernels,
 * whose instruction sums 4 products; 2 for the int16 kernel; for AMX, 64 in A: one tile row,
 * and 4 in B). An A micro-panel holds, for each group, MR rows of G elements; a B
 * micro-panel, for each group, NR columns of G elements: element (i, p) of A at
 * [(p / G) * MR * G + i * G + p % G], (p, j) of B at [(p / G) * NR * G + j * G + p % G].
 * Padding rows, columns and depth (to a whole kernel step) are zero. A is unsigned (0..255)
 * and B signed (-128..127) in every layout, so the products are exact.
 *
 * The zero points are applied once per tile, after the k loop, from sums packed beside the
 * panels (see igemm.c):
 *
 *     C[i][j] = (first pass ? za[i] * d[j] : C[i][j]) + acc[i][j] - rs[i] * zb[j]
 *
 * acc is sum_p A[i][p] * B[p][j] over this depth block, rs[i] the sum of A's row i over the
 * block, d[j] = k * zb[j] - sum_p B[p][j] over the whole depth. All arithmetic wraps modulo
 * 2^32, so C is exact whenever the true result fits in int32.
 */
typedef struct tsk_igemm_epilogue {
    int accumulate;      /* 1: add to C (a later depth block); 0: write C without reading it */
    const int32_t *za;   /* mr row zero points, or NULL when all are 0 or `accumulate` */
    const int32_t *d;    /* nr values, read only when za is set */
    const int32_t *rs;   /* mr row sums, read only when zb is set */
    const int32_t *zb;   /* nr column zero points, or NULL when all are 0 */
} tsk_igemm_epilogue;

/*
 * C[0, mr) x [0, nr) from one A micro-panel and one B micro-panel, `steps` kernel steps deep
 * (steps >= 1; a step is G deep, 64 for AMX). The panels are 64-byte aligned; mr <= MR and
 * nr <= NR of the variant.
 */
typedef void (*tsk_igemm_kernel_fn)(size_t steps, const void *a, const void *b, int32_t *c, size_t ldc,
                                    size_t mr, size_t nr, const tsk_igemm_epilogue *e);

/* Writes an mr x nr tile of raw sums (row stride `stride`) through the epilogue, in plain C. */
void tsk_igemm_store_tile(const int32_t *tile, size_t stride, int32_t *c, size_t ldc, size_t mr, size_t nr,
                          const tsk_igemm_epilogue *e);

#if defined(__x86_64__)
/* int16 pairs (G = 2) through vpmaddwd: exact, unlike vpmaddubsw's saturating int16 sums. */
#define TSK_IGEMM_AVX2_MR 4
#define TSK_IGEMM_AVX2_NR 16
void tsk_igemm_kernel_avx2(size_t groups, const void *a, const void *b, int32_t *c, size_t ldc, size_t mr,
                           size_t nr, const tsk_igemm_epilogue *e);

/* Bytes (G = 4) through vpdpbusd. */
#define TSK_IGEMM_VNNI_MR 8
#define TSK_IGEMM_VNNI_NR 48
void tsk_igemm_kernel_vnni(size_t groups, const void *a, const void *b, int32_t *c, size_t ldc, size_t mr,
                           size_t nr, const tsk_igemm_epilogue *e);

/* Tiles: A in 64-byte groups (each group of MR rows is two 16-row tiles), B in byte quads. */
#define TSK_IGEMM_AMX_MR 32
#define TSK_IGEMM_AMX_NR 32
void tsk_igemm_kernel_amx(size_t steps, const void *a, const void *b, int32_t *c, size_t ldc, size_t mr,
                          size_t nr, const tsk_igemm_epilogue *e);

/* Whether this process may use AMX tile data, asking Linux once; 0 elsewhere. [any-thread] */
int tsk_igemm_amx_enable(void);

/* Load the tile configuration the AMX kernel needs on this thread, and release the tiles. */
void tsk_igemm_amx_begin(void);
void tsk_igemm_amx_end(void);
#endif

#endif

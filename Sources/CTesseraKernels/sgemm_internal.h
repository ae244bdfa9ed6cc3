/*
 * Internal to the SGEMM implementation: the micro-kernel contract shared by sgemm.c (driver,
 * packing, dispatch) and the per-ISA kernel files. Not a public header.
 */
#ifndef TESSERA_SGEMM_INTERNAL_H
#define TESSERA_SGEMM_INTERNAL_H

#include <stddef.h>

/*
 * One micro-kernel call computes an mr x nr tile of C (mr <= MR, nr <= NR of its variant):
 *
 *     C[i][j] = alpha * sum_p A~[p][i] * B~[p][j] + beta * C[i][j] + bias[j]
 *
 * where A~ is a packed micro-panel (kc steps of MR floats; rows mr..MR-1 are zero padding)
 * and B~ a packed micro-panel (kc steps of NR floats, 64-byte aligned; columns nr..NR-1 are
 * zero padding). beta == 0 means C is written without being read (NaNs in C are dropped),
 * bias may be NULL. kc >= 1.
 */
typedef void (*tsk_sgemm_kernel_fn)(size_t kc, const float *a, const float *b, float *c, size_t ldc,
                                    size_t mr, size_t nr, float alpha, float beta, const float *bias);

/*
 * Packing (see sgemm.c): op(A) rows [0, rows) x depth [0, kc) into ceil(rows / mr) panels of
 * kc x mr floats, zero rows past the end; op(B) depth [0, kc) x columns [0, cols) into
 * ceil(cols / nr) 64-byte aligned panels of kc x nr floats, zero columns past the end.
 * An A pack may write up to 16 floats past its panels (callers allocate that slack); a B pack
 * writes only inside its panels, so threads may pack adjacent column ranges at once.
 */
typedef void (*tsk_sgemm_pack_fn)(size_t r, size_t kc, size_t count, const float *src, size_t ld, int trans,
                                  float *dst);
void tsk_sgemm_pack_a_generic(size_t mr, size_t rows, size_t kc, const float *a, size_t lda, int trans, float *dst);
void tsk_sgemm_pack_b_generic(size_t nr, size_t kc, size_t cols, const float *b, size_t ldb, int trans, float *dst);

#if defined(__x86_64__)
/* Need AVX, which both x86 variants imply. */
void tsk_sgemm_pack_a_avx(size_t mr, size_t rows, size_t kc, const float *a, size_t lda, int trans, float *dst);
void tsk_sgemm_pack_b_avx(size_t nr, size_t kc, size_t cols, const float *b, size_t ldb, int trans, float *dst);

#define TSK_SGEMM_AVX2_MR 6
#define TSK_SGEMM_AVX2_NR 16
void tsk_sgemm_kernel_avx2(size_t kc, const float *a, const float *b, float *c, size_t ldc, size_t mr,
                           size_t nr, float alpha, float beta, const float *bias);

#define TSK_SGEMM_AVX512_MR 14
#define TSK_SGEMM_AVX512_NR 32
void tsk_sgemm_kernel_avx512(size_t kc, const float *a, const float *b, float *c, size_t ldc, size_t mr,
                             size_t nr, float alpha, float beta, const float *bias);
#endif

#if defined(__aarch64__)
#define TSK_SGEMM_NEON_MR 8
#define TSK_SGEMM_NEON_NR 12
void tsk_sgemm_kernel_neon(size_t kc, const float *a, const float *b, float *c, size_t ldc, size_t mr,
                           size_t nr, float alpha, float beta, const float *bias);
#endif

#endif

/*
 * Single-precision GEMM: public entry points, variant dispatch, packing and the blocked
 * driver. The per-ISA micro-kernels live in sgemm_x86.c and sgemm_neon.c; the generic one,
 * plain C the compiler vectorizes at the baseline ISA, is here.
 *
 * Scheme (after GotoBLAS/BLIS): op(B) is packed into KC-deep blocks of NR-wide column panels
 * (once at load for tsk_pack_b, one depth block at a time for tsk_sgemm); each MC-row block
 * of op(A) is packed into MR-row panels; then for every NC-wide slice of columns the
 * micro-kernel walks each A panel (which stays in L1) across the B panels of the slice (which
 * stay in L2). Transposes are absorbed by the packing, so the kernels see one layout only.
 */
#include "tessera_kernels.h"
#include "sgemm_internal.h"
#include "workspace_internal.h"
#include "thread_pool_internal.h"
#include "vmath_internal.h"

#include <stdatomic.h>
#include <stdlib.h>

/* ---------------------------------------------------------------- variants and blocking */

/*
 * Block sizes, for 32-64 KiB of L1d and 0.5-2 MiB of L2 per core (Zen 4 and Skylake-X:
 * 32 KiB / 1 MiB; Neoverse N1/V1: 64 KiB / 1 MiB):
 *  - kc, the depth of one pass: the A micro-panel (MR x kc: 9 KiB for AVX2, 21 KiB for
 *    AVX-512, 12 KiB for NEON) stays in L1 while B streams past it. 384 also covers MiniLM's
 *    hidden size in one pass, so C is read and written once for its projections.
 *  - nc, the width of the B slice each A panel sweeps: kc x nc floats (384 x 512 = 768 KiB)
 *    stay in L2 while all the A panels of the row block pass over them.
 *  - mc, the rows of A packed at a time (mc x kc = 216-378 KiB, a multiple of MR): each B
 *    slice is reused mc times while it is in L2.
 * On Zen 4 (1 MiB L2) kc 256-512, mc 112-504 and nc 256-4096 all measured within the noise
 * (about 3%) of each other: with the A panel in L1 the micro-kernel sets the pace. The generic
 * kernel is slower, so smaller blocks cost it nothing.
 */
typedef struct sgemm_arch {
    tsk_variant variant;
    size_t mr, nr, kc, mc, nc;
    tsk_sgemm_kernel_fn kernel;
    tsk_sgemm_pack_fn pack_a, pack_b;
} sgemm_arch;

static void kernel_generic(size_t kc, const float *a, const float *b, float *c, size_t ldc, size_t mr,
                           size_t nr, float alpha, float beta, const float *bias);

#define TSK_SGEMM_GENERIC_MR 4
#define TSK_SGEMM_GENERIC_NR 8

static const sgemm_arch arch_generic = {TSK_VARIANT_GENERIC, TSK_SGEMM_GENERIC_MR, TSK_SGEMM_GENERIC_NR,
                                        256, 128, 256, kernel_generic,
                                        tsk_sgemm_pack_a_generic, tsk_sgemm_pack_b_generic};
#if defined(__x86_64__)
static const sgemm_arch arch_avx2 = {TSK_VARIANT_AVX2, TSK_SGEMM_AVX2_MR, TSK_SGEMM_AVX2_NR,
                                     384, 144, 512, tsk_sgemm_kernel_avx2,
                                     tsk_sgemm_pack_a_avx, tsk_sgemm_pack_b_avx};
static const sgemm_arch arch_avx512 = {TSK_VARIANT_AVX512, TSK_SGEMM_AVX512_MR, TSK_SGEMM_AVX512_NR,
                                       384, 252, 512, tsk_sgemm_kernel_avx512,
                                       tsk_sgemm_pack_a_avx, tsk_sgemm_pack_b_avx};
#endif
#if defined(__aarch64__)
static const sgemm_arch arch_neon = {TSK_VARIANT_NEON, TSK_SGEMM_NEON_MR, TSK_SGEMM_NEON_NR,
                                     384, 192, 480, tsk_sgemm_kernel_neon,
                                     tsk_sgemm_pack_a_generic, tsk_sgemm_pack_b_generic};
#endif

static int supports(tsk_variant variant) {
    uint32_t f = tsk_cpu_features();
    switch (variant) {
    case TSK_VARIANT_GENERIC: return 1;
#if defined(__x86_64__)
    case TSK_VARIANT_AVX2: return (f & TSK_CPU_AVX2) && (f & TSK_CPU_FMA);
    case TSK_VARIANT_AVX512: return (f & TSK_CPU_AVX512F) != 0;
#endif
#if defined(__aarch64__)
    case TSK_VARIANT_NEON: return (f & TSK_CPU_NEON) != 0;
#endif
    default: (void)f; return 0;
    }
}

static tsk_variant sgemm_resolve(tsk_variant variant) {
    if (variant != TSK_VARIANT_AUTO) return variant;
    if (supports(TSK_VARIANT_AVX512)) return TSK_VARIANT_AVX512;
    if (supports(TSK_VARIANT_AVX2)) return TSK_VARIANT_AVX2;
    if (supports(TSK_VARIANT_NEON)) return TSK_VARIANT_NEON;
    return TSK_VARIANT_GENERIC;
}

/* The blocking and kernel for `variant`, or NULL if this CPU (or build) cannot run it. */
static const sgemm_arch *arch_for(tsk_variant variant) {
    variant = sgemm_resolve(variant);
    if (!supports(variant)) return NULL;
    switch (variant) {
    case TSK_VARIANT_GENERIC: return &arch_generic;
#if defined(__x86_64__)
    case TSK_VARIANT_AVX2: return &arch_avx2;
    case TSK_VARIANT_AVX512: return &arch_avx512;
#endif
#if defined(__aarch64__)
    case TSK_VARIANT_NEON: return &arch_neon;
#endif
    default: return NULL;
    }
}

const char *tsk_sgemm_variant_name(tsk_variant variant) {
    switch (sgemm_resolve(variant)) {
    case TSK_VARIANT_GENERIC: return "generic";
    case TSK_VARIANT_AVX2: return "avx2+fma";
    case TSK_VARIANT_AVX512: return "avx512f";
    case TSK_VARIANT_NEON: return "neon";
    default: return "unknown";
    }
}

/* ---------------------------------------------------------------- generic micro-kernel */

/*
 * 4 x 8 tile: 8 SSE registers of accumulators at the x86-64 baseline. One array per row and a
 * constant-length inner loop over columns: with a 2-D array clang vectorized across rows and
 * kept the tile in memory (5 GFLOP/s here instead of 35). The k loop is its own function so
 * alpha, beta and the edge sizes are not live across it: 16 SSE registers hold exactly the
 * accumulators, two B vectors, four A broadcasts and a temporary.
 */
__attribute__((noinline)) static void generic_tile(size_t kc, const float *a, const float *b,
                                                   float tile[TSK_SGEMM_GENERIC_MR][TSK_SGEMM_GENERIC_NR]) {
    enum { MR = TSK_SGEMM_GENERIC_MR, NR = TSK_SGEMM_GENERIC_NR };
    float c0[NR] = {0}, c1[NR] = {0}, c2[NR] = {0}, c3[NR] = {0};
    for (size_t p = 0; p < kc; p++) {
        const float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
        for (int j = 0; j < NR; j++) {
            const float bj = b[j];
            c0[j] += a0 * bj;
            c1[j] += a1 * bj;
            c2[j] += a2 * bj;
            c3[j] += a3 * bj;
        }
        a += MR;
        b += NR;
    }
    for (int j = 0; j < NR; j++) {
        tile[0][j] = c0[j];
        tile[1][j] = c1[j];
        tile[2][j] = c2[j];
        tile[3][j] = c3[j];
    }
}

/* Computes the full (zero-padded) tile and writes back only mr x nr. */
static void kernel_generic(size_t kc, const float *a, const float *b, float *c, size_t ldc, size_t mr,
                           size_t nr, float alpha, float beta, const float *bias) {
    float tile[TSK_SGEMM_GENERIC_MR][TSK_SGEMM_GENERIC_NR];
    generic_tile(kc, a, b, tile);
    for (size_t i = 0; i < mr; i++) {
        float *cr = c + i * ldc;
        for (size_t j = 0; j < nr; j++) {
            float r = alpha * tile[i][j];
            if (beta != 0.0f) r += beta * cr[j];
            if (bias) r += bias[j];
            cr[j] = r;
        }
    }
}

/* ---------------------------------------------------------------- memory */

static size_t bytes_for(size_t floats) {
    size_t bytes = (floats * sizeof(float) + 63) & ~(size_t)63;
    return bytes ? bytes : 64;
}

static void *alloc_aligned(size_t floats) { return aligned_alloc(64, bytes_for(floats)); }

/*
 * Packing buffers are kept between calls in a few slots guarded by a spinlock (held for a
 * handful of loads and stores, never across a call): allocating them per call cost ~95 page
 * faults per 256^3 multiply here (glibc moved them between mmap and the heap every call), a
 * third of its time. Buffers over WORKSPACE_MAX_BYTES are allocated and freed per call, where
 * a page fault is small next to the work.
 */
enum { WORKSPACE_SLOTS = 4 };
#define WORKSPACE_MAX_BYTES ((size_t)8 << 20)
static struct {
    void *ptr;
    size_t bytes;
} workspace_cache[WORKSPACE_SLOTS];
static atomic_flag workspace_lock = ATOMIC_FLAG_INIT;

static void workspace_acquire_lock(void) {
    while (atomic_flag_test_and_set_explicit(&workspace_lock, memory_order_acquire)) {
    }
}

static void workspace_release_lock(void) { atomic_flag_clear_explicit(&workspace_lock, memory_order_release); }

/* A 64-byte aligned buffer of at least `floats` floats; its size in *bytes. NULL if out of memory. */
static float *workspace_get(size_t floats, size_t *bytes) {
    size_t need = bytes_for(floats);
    void *found = NULL;
    if (need <= WORKSPACE_MAX_BYTES) {
        workspace_acquire_lock();
        int best = -1;
        for (int i = 0; i < WORKSPACE_SLOTS; i++)
            if (workspace_cache[i].ptr && workspace_cache[i].bytes >= need &&
                (best < 0 || workspace_cache[i].bytes < workspace_cache[best].bytes))
                best = i;
        if (best >= 0) {
            found = workspace_cache[best].ptr;
            need = workspace_cache[best].bytes;
            workspace_cache[best].ptr = NULL;
        }
        workspace_release_lock();
    }
    if (!found) found = aligned_alloc(64, need);
    *bytes = need;
    return found;
}

/* Returns a buffer from workspace_get: kept in an empty slot or in place of a smaller one. */
static void workspace_put(float *buffer, size_t bytes) {
    void *drop = buffer;
    if (buffer && bytes <= WORKSPACE_MAX_BYTES) {
        workspace_acquire_lock();
        int slot = -1;
        for (int i = 0; i < WORKSPACE_SLOTS && slot < 0; i++)
            if (!workspace_cache[i].ptr) slot = i;
        if (slot < 0) {
            int smallest = 0;
            for (int i = 1; i < WORKSPACE_SLOTS; i++)
                if (workspace_cache[i].bytes < workspace_cache[smallest].bytes) smallest = i;
            if (workspace_cache[smallest].bytes < bytes) slot = smallest;
        }
        if (slot >= 0) {
            drop = workspace_cache[slot].ptr;
            workspace_cache[slot].ptr = buffer;
            workspace_cache[slot].bytes = bytes;
        }
        workspace_release_lock();
    }
    free(drop);
}

/* The same cache, for the other kernels that pack (workspace_internal.h). */
void *tsk_workspace_get(size_t bytes, size_t *got) { return workspace_get((bytes + sizeof(float) - 1) / sizeof(float), got); }
void tsk_workspace_put(void *buffer, size_t bytes) { workspace_put(buffer, bytes); }

void tsk_sgemm_trim_workspace(void) {
    void *drop[WORKSPACE_SLOTS];
    workspace_acquire_lock();
    for (int i = 0; i < WORKSPACE_SLOTS; i++) {
        drop[i] = workspace_cache[i].ptr;
        workspace_cache[i].ptr = NULL;
        workspace_cache[i].bytes = 0;
    }
    workspace_release_lock();
    for (int i = 0; i < WORKSPACE_SLOTS; i++) free(drop[i]);
}

/* ---------------------------------------------------------------- packing */

/* The portable packers (layouts in sgemm_internal.h). */
void tsk_sgemm_pack_a_generic(size_t mr, size_t rows, size_t kc, const float *a, size_t lda, int trans, float *dst) {
    for (size_t i0 = 0; i0 < rows; i0 += mr) {
        size_t h = rows - i0 < mr ? rows - i0 : mr;
        if (trans) {
            /* op(A)[i][p] = a[p * lda + i]: each step of p is a contiguous run of h floats. */
            const float *src = a + i0;
            for (size_t p = 0; p < kc; p++) {
                const float *s = src + p * lda;
                size_t i = 0;
                for (; i < h; i++) dst[i] = s[i];
                for (; i < mr; i++) dst[i] = 0.0f;
                dst += mr;
            }
        } else {
            const float *src = a + i0 * lda;
            if (h == mr) {
                /* Eight columns at a time: rows are read in short contiguous runs. */
                size_t p = 0;
                for (; p + 8 <= kc; p += 8) {
                    for (size_t i = 0; i < mr; i++) {
                        const float *s = src + i * lda + p;
                        for (size_t q = 0; q < 8; q++) dst[q * mr + i] = s[q];
                    }
                    dst += 8 * mr;
                }
                for (; p < kc; p++) {
                    for (size_t i = 0; i < mr; i++) dst[i] = src[i * lda + p];
                    dst += mr;
                }
            } else {
                for (size_t p = 0; p < kc; p++) {
                    size_t i = 0;
                    for (; i < h; i++) dst[i] = src[i * lda + p];
                    for (; i < mr; i++) dst[i] = 0.0f;
                    dst += mr;
                }
            }
        }
    }
}

void tsk_sgemm_pack_b_generic(size_t nr, size_t kc, size_t cols, const float *b, size_t ldb, int trans, float *dst) {
    for (size_t j0 = 0; j0 < cols; j0 += nr) {
        size_t w = cols - j0 < nr ? cols - j0 : nr;
        if (trans) {
            /* op(B)[p][j] = b[j * ldb + p]: walk each source row once, scattering by nr. */
            for (size_t j = 0; j < w; j++) {
                const float *s = b + (j0 + j) * ldb;
                for (size_t p = 0; p < kc; p++) dst[p * nr + j] = s[p];
            }
            for (size_t j = w; j < nr; j++)
                for (size_t p = 0; p < kc; p++) dst[p * nr + j] = 0.0f;
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

/* ---------------------------------------------------------------- packed B */

/*
 * Layout: for each depth block (kc rows of op(B), the last one shorter), n_panels panels of
 * kcb x nr floats. The block that starts at row pc starts at data + pc * n_panels * nr,
 * because every block before it is full depth.
 */
struct tsk_packed_b {
    const sgemm_arch *arch;
    size_t k, n, n_panels;
    float *data;
};

tsk_packed_b *tsk_pack_b(tsk_variant variant, int trans_b, size_t k, size_t n, const float *b, size_t ldb) {
    const sgemm_arch *ar = arch_for(variant);
    if (!ar) return NULL;
    tsk_packed_b *pb = malloc(sizeof *pb);
    if (!pb) return NULL;
    pb->arch = ar;
    pb->k = k;
    pb->n = n;
    pb->n_panels = (n + ar->nr - 1) / ar->nr;
    pb->data = alloc_aligned(k * pb->n_panels * ar->nr);
    if (!pb->data) {
        free(pb);
        return NULL;
    }
    for (size_t pc = 0; pc < k; pc += ar->kc) {
        size_t kcb = k - pc < ar->kc ? k - pc : ar->kc;
        ar->pack_b(ar->nr, kcb, n, trans_b ? b + pc : b + pc * ldb, ldb, trans_b, pb->data + pc * pb->n_panels * ar->nr);
    }
    return pb;
}

void tsk_packed_b_free(tsk_packed_b *packed) {
    if (!packed) return;
    free(packed->data);
    free(packed);
}

size_t tsk_packed_b_k(const tsk_packed_b *packed) { return packed->k; }
size_t tsk_packed_b_n(const tsk_packed_b *packed) { return packed->n; }

/* ---------------------------------------------------------------- driver */

/* k == 0: C = beta * C + bias, without reading C when beta == 0. */
static void scale_rows(size_t m, size_t n, float beta, float *c, size_t ldc, const float *bias) {
    for (size_t i = 0; i < m; i++) {
        float *cr = c + i * ldc;
        for (size_t j = 0; j < n; j++) {
            float r = beta != 0.0f ? beta * cr[j] : 0.0f;
            cr[j] = bias ? r + bias[j] : r;
        }
    }
}

/*
 * An activation applied to C after its last depth pass, block by block while the block is
 * still in cache, instead of in a second sweep over all of C. `variant` is the resolved vmath
 * variant, so the bits are those of tsk_unary_f32 on the finished C.
 */
typedef struct epilogue {
    tsk_variant variant;
    tsk_unary_op op;
} epilogue;

/* Applies `act` (if any) to rows [0, m) x columns [0, n) of C. */
static void apply_epilogue(const epilogue *act, size_t m, size_t n, float *c, size_t ldc) {
    if (!act) return;
    for (size_t i = 0; i < m; i++) tsk_unary_serial(act->variant, act->op, n, c + i * ldc, c + i * ldc);
}

/*
 * Where op(B) comes from: panels in the layout of a packed B (a tsk_packed_b, or depth blocks
 * of one packed by the parallel driver) or the stored matrix, packed one depth block (kc x n)
 * at a time into `work_b` (kc x ceil(n / nr) x nr floats).
 */
typedef struct b_source {
    /* Packed: depth block pc (a multiple of kc, >= k0) of the columns computed starts at
     * packed + (pc - k0) * n_panels * nr + panel0 * kcb * nr, n_panels being the whole
     * packing's panel count. */
    const float *packed;
    size_t n_panels, panel0, k0;
    /* Stored, when packed is NULL: op(B)'s first column computed is at b. */
    const float *b;
    size_t ldb;
    int trans;
    float *work_b;
} b_source;

/*
 * C[0, m) x [0, n) = alpha * op(A)[:, k0:k1] * op(B)[k0:k1, :] + (k0 == 0 ? beta * C + bias : C),
 * then `act` (NULL: none) on each block of C once its last pass [.., k1) has written it; callers
 * pass `act` only when k1 is the full depth.
 * `work_a` holds mc x kc floats (+ slack) for a packed A block; k0 is a multiple of kc, and
 * k1 one or the full depth. Depth blocks are outermost, so each depth block of B is packed
 * once and each block of A once. Every element of C gets, depth block by depth block, the same
 * kc-long sum in the same order wherever its tile starts, so splits into row or column ranges
 * (at panel boundaries of a packed B), or into depth chunks run in order, and prepacking all
 * give the same bits.
 */
static void drive(const sgemm_arch *ar, size_t m, size_t n, size_t k0, size_t k1, float alpha, const float *a,
                  size_t lda, int trans_a, const b_source *bs, float beta, float *c, size_t ldc,
                  const float *bias, const epilogue *act, float *work_a, const float *packed_a) {
    const size_t mr = ar->mr, nr = ar->nr;
    for (size_t pc = k0; pc < k1; pc += ar->kc) {
        size_t kcb = k1 - pc < ar->kc ? k1 - pc : ar->kc;
        const float *bdepth;
        if (bs->packed) {
            bdepth = bs->packed + (pc - bs->k0) * bs->n_panels * nr + bs->panel0 * kcb * nr;
        } else {
            ar->pack_b(nr, kcb, n, bs->trans ? bs->b + pc : bs->b + pc * bs->ldb, bs->ldb, bs->trans, bs->work_b);
            bdepth = bs->work_b;
        }
        /* The first pass applies beta and the bias; later passes accumulate. */
        float beta_p = pc == 0 ? beta : 1.0f;
        const float *bias_p = pc == 0 ? bias : NULL;
        const epilogue *act_p = pc + kcb == k1 ? act : NULL;
        for (size_t ic = 0; ic < m; ic += ar->mc) {
            size_t mcb = m - ic < ar->mc ? m - ic : ar->mc;
            /* packed_a (m <= mc, so one row block): every depth block packed once by the caller,
             * block pc starting pc * (m rounded up to MR) floats in. */
            if (packed_a) {
                work_a = (float *)(uintptr_t)(packed_a + pc * ((m + mr - 1) / mr * mr));
            } else {
                ar->pack_a(mr, mcb, kcb, trans_a ? a + pc * lda + ic : a + ic * lda + pc, lda, trans_a, work_a);
            }
            for (size_t jc = 0; jc < n; jc += ar->nc) {
                size_t ncb = n - jc < ar->nc ? n - jc : ar->nc;
                const float *bblock = bdepth + (jc / nr) * kcb * nr;
                for (size_t ir = 0; ir < mcb; ir += mr) {
                    size_t h = mcb - ir < mr ? mcb - ir : mr;
                    const float *ap = work_a + ir * kcb;
                    float *crow = c + (ic + ir) * ldc + jc;
                    for (size_t jr = 0; jr < ncb; jr += nr) {
                        size_t w = ncb - jr < nr ? ncb - jr : nr;
                        ar->kernel(kcb, ap, bblock + jr * kcb, crow + jr, ldc, h, w, alpha, beta_p,
                                   bias_p ? bias_p + jc + jr : NULL);
                    }
                }
                apply_epilogue(act_p, mcb, ncb, c + ic * ldc + jc, ldc);
            }
        }
    }
}

/* Floats for one packed depth block of op(B) with n columns, rounded to whole cache lines. */
static size_t b_block_floats(const sgemm_arch *ar, size_t n, size_t k) {
    size_t depth = k < ar->kc ? k : ar->kc;
    return bytes_for(depth * ((n + ar->nr - 1) / ar->nr) * ar->nr) / sizeof(float);
}

/* Floats for drive()'s packed A block of up to m rows, with the packers' slack, whole cache lines. */
static size_t a_block_floats(const sgemm_arch *ar, size_t m, size_t k) {
    size_t rows = m < ar->mc ? (m + ar->mr - 1) / ar->mr * ar->mr : ar->mc;
    size_t depth = k < ar->kc ? k : ar->kc;
    return bytes_for(rows * depth + 16) / sizeof(float);
}

/* Runs drive() with packing buffers from the workspace cache; 0 on allocation failure. */
static int drive_alloc(const sgemm_arch *ar, size_t m, size_t n, size_t k, float alpha, const float *a,
                       size_t lda, int trans_a, b_source *bs, float beta, float *c, size_t ldc,
                       const float *bias, const epilogue *act) {
    if (m == 0 || n == 0) return 1;
    if (k == 0) {
        scale_rows(m, n, beta, c, ldc, bias);
        apply_epilogue(act, m, n, c, ldc);
        return 1;
    }
    /* One buffer: a depth block of B first (64-byte aligned panels), then the A block. */
    size_t b_floats = bs->packed ? 0 : b_block_floats(ar, n, k);
    size_t bytes;
    float *work = workspace_get(b_floats + a_block_floats(ar, m, k), &bytes);
    if (!work) return 0;
    bs->work_b = work;
    drive(ar, m, n, 0, k, alpha, a, lda, trans_a, bs, beta, c, ldc, bias, act, work + b_floats, NULL);
    workspace_put(work, bytes);
    return 1;
}

/* ---------------------------------------------------------------- parallel driver */

/*
 * Calls of at least this many multiply-adds (m * n * k) are split over the worker pool. A
 * fork/join of two threads costs about a microsecond (benchmarks/pool), the time of ~80 k
 * multiply-adds on one core. Measured on two Xeon (Emerald Rapids) cores: at 2^17 one and two
 * threads tie (32 x 64 x 64), at 1 x 384 x 384 (the batch-1 projection, just above) and at
 * 2^19 (128 x 64 x 64) two threads are 1.4x faster; at 2^16 they are slower.
 */
#define PARALLEL_MIN_MNK ((double)(1 << 17))

/*
 * Ranges per thread (more when rows exceed mc per range, see drive_parallel). More would
 * balance better when a thread is held up, but each range costs a partial micro-panel at its
 * edge (and a copy of a stored B, below): two ranges per thread measured 5-10% slower on the
 * MiniLM shapes.
 */
#define TASKS_PER_THREAD 1

/*
 * The granularity of a row split, in rows. Row ranges of MR multiples would leave one thread
 * 70 rows and the other 58 of m = 128 (MR = 14); an even split into multiples of 4 costs a
 * partial micro-panel per range instead, which with 4 or more rows still keeps the FMA pipes
 * full (4 rows x 2 vectors = 8 accumulators cover a 4-cycle latency on two pipes); it measured
 * 5% faster on the MiniLM shapes.
 */
#define ROW_UNIT 4

/* `units` units of `unit` rows or columns (the last unit may be short) cut evenly into `parts` ranges. */
typedef struct split {
    size_t unit, units, parts;
} split;

static void split_range(const split *s, size_t part, size_t total, size_t *lo, size_t *hi) {
    size_t end = (part + 1) * s->units / s->parts * s->unit;
    *lo = part * s->units / s->parts * s->unit;
    *hi = end < total ? end : total;
}

/* The longest range of a split. */
static size_t split_max(const split *s) { return (s->units + s->parts - 1) / s->parts * s->unit; }

/* One parallel multiply, shared read-only by its tasks. */
typedef struct par_gemm {
    const sgemm_arch *ar;
    size_t m, n, k0, k1;
    float alpha, beta;
    const float *a;
    size_t lda;
    int trans_a;
    const float *b; /* stored op(B), when not packed */
    size_t ldb;
    int trans_b;
    const float *packed; /* op(B) packed from depth k0 on: a tsk_packed_b's data, or `chunk` */
    size_t n_panels;
    float *chunk; /* depth blocks [k0, k1) of a stored op(B), packed by pack_task */
    float *c;
    size_t ldc;
    const float *bias;
    const epilogue *act; /* only while [k0, k1) ends at the full depth */
    int by_rows;
    split tiles, packs;
    /* Scratch per slot: a depth block of B (column ranges of a stored B), then an A block. */
    float *scratch;
    size_t slot_floats, slot_b_floats;
    /* Column ranges: all of op(A), every depth block, packed once before the fork. */
    const float *packed_a;
} par_gemm;

/* Packs one range of NR-wide column panels of op(B), for every depth block of [k0, k1). */
static void pack_task(void *ctx, size_t task, size_t slot) {
    (void)slot;
    const par_gemm *g = ctx;
    const sgemm_arch *ar = g->ar;
    size_t lo, hi;
    split_range(&g->packs, task, g->n, &lo, &hi);
    for (size_t pc = g->k0; pc < g->k1; pc += ar->kc) {
        size_t kcb = g->k1 - pc < ar->kc ? g->k1 - pc : ar->kc;
        const float *src = g->trans_b ? g->b + lo * g->ldb + pc : g->b + pc * g->ldb + lo;
        /* B packers write only inside their panels, so adjacent ranges can pack at once. */
        ar->pack_b(ar->nr, kcb, hi - lo, src, g->ldb, g->trans_b,
                   g->chunk + (pc - g->k0) * g->n_panels * ar->nr + lo / ar->nr * kcb * ar->nr);
    }
}

/* Computes one range of rows, or of NR-wide column panels, of C over depths [k0, k1). */
static void tile_task(void *ctx, size_t task, size_t slot) {
    const par_gemm *g = ctx;
    float *work = g->scratch + slot * g->slot_floats;
    size_t lo, hi;
    if (g->by_rows) {
        split_range(&g->tiles, task, g->m, &lo, &hi);
        if (lo >= hi) return;
        b_source bs = {g->packed, g->n_panels, 0, g->k0, g->b, g->ldb, g->trans_b, work};
        drive(g->ar, hi - lo, g->n, g->k0, g->k1, g->alpha, g->trans_a ? g->a + lo : g->a + lo * g->lda, g->lda,
              g->trans_a, &bs, g->beta, g->c + lo * g->ldc, g->ldc, g->bias, g->act, work + g->slot_b_floats, NULL);
    } else {
        split_range(&g->tiles, task, g->n, &lo, &hi);
        if (lo >= hi) return;
        b_source bs = {g->packed, g->n_panels, lo / g->ar->nr, g->k0,
                       g->trans_b ? g->b + lo * g->ldb : g->b + lo, g->ldb, g->trans_b, work};
        drive(g->ar, g->m, hi - lo, g->k0, g->k1, g->alpha, g->a, g->lda, g->trans_a, &bs, g->beta, g->c + lo,
              g->ldc, g->bias ? g->bias + lo : NULL, g->act, work + g->slot_b_floats, g->packed_a);
    }
}

/*
 * drive() over the worker pool, for B stored (b) or packed (packed); m, n, k > 0. M is cut
 * into row ranges or, when it is too small to share (m <= 2 * MR: the batch-1 case), N into
 * ranges of whole NR-wide panels, which is how a prepacked B can be split. Each range runs
 * drive() on its own scratch slot, all of them allocated before the fork, so a failed
 * allocation leaves C untouched. A stored B is packed by each column range for its own
 * columns; by each row range whole, when there is one range per thread; and otherwise by all
 * threads together, as many depth blocks as fit in one cached workspace buffer at a time,
 * before the row ranges use them.
 * Returns -1 if the call is too small to split (run it serially), 0 if the buffer could not
 * be allocated (nothing was written), 1 when done.
 */
static int drive_parallel(const sgemm_arch *ar, size_t m, size_t n, size_t k, float alpha, const float *a,
                          size_t lda, int trans_a, const float *b, size_t ldb, int trans_b,
                          const tsk_packed_b *packed, float beta, float *c, size_t ldc, const float *bias,
                          const epilogue *act) {
    const size_t threads = tsk_pool_threads();
    if (threads < 2 || (double)m * (double)n * (double)k < PARALLEL_MIN_MNK) return -1;
    const size_t nr = ar->nr, n_panels = (n + nr - 1) / nr;
    par_gemm g = {ar, m, n, 0, k, alpha, beta, a, lda, trans_a, b, ldb, trans_b, NULL, 0, NULL, c, ldc, bias, act,
                  m > 2 * ar->mr, {0, 0, 0}, {0, 0, 0}, NULL, 0, 0};
    g.tiles = g.by_rows ? (split){ROW_UNIT, (m + ROW_UNIT - 1) / ROW_UNIT, 0} : (split){nr, n_panels, 0};
    size_t parts = threads * TASKS_PER_THREAD;
    if (g.by_rows) {
        /* Ranges of at most mc rows: a longer one would end in a thin row block that streams
         * all of B past a few rows. */
        size_t blocks = (m + ar->mc - 1) / ar->mc;
        if (blocks > parts) parts = (blocks + threads - 1) / threads * threads;
    }
    g.tiles.parts = parts < g.tiles.units ? parts : g.tiles.units;
    if (g.tiles.parts < 2) return -1;
    const size_t width = threads < g.tiles.parts ? threads : g.tiles.parts;

    /* With one row range per thread, each packing its own copy of a stored B measured 7-10%
     * faster than packing it together (no barrier, and no half of B fetched from the other
     * core's cache). A fork that finds the pool busy runs its ranges inline and then packs B
     * once per range: a few percent, in a process that is already using every core. */
    const int share_b = !packed && g.by_rows && g.tiles.parts > width;
    g.slot_b_floats = packed || share_b ? 0 : b_block_floats(ar, g.by_rows ? n : split_max(&g.tiles), k);
    g.slot_floats = g.slot_b_floats + (g.by_rows ? a_block_floats(ar, split_max(&g.tiles), k) : 0);
    /* Column ranges share one packing of A (m <= 2 * MR rows, all depths): packed per range,
     * the same few rows were packed once per range, a tenth of a batch-1 run. */
    const size_t a_rows = (m + ar->mr - 1) / ar->mr * ar->mr;
    const size_t shared_a_floats = g.by_rows ? 0 : bytes_for(a_rows * k + 16) / sizeof(float);
    size_t chunk_k = k, chunk_floats = 0;
    if (share_b) {
        /* Depth blocks that fit in one cached buffer beside the slots (at least one). */
        const size_t block = ar->kc * n_panels * nr, slots = width * g.slot_floats;
        const size_t budget = WORKSPACE_MAX_BYTES / sizeof(float);
        const size_t blocks = budget > slots + block ? (budget - slots) / block : 1;
        if (blocks * ar->kc < k) chunk_k = blocks * ar->kc;
        chunk_floats = bytes_for(chunk_k * n_panels * nr) / sizeof(float);
    }
    size_t bytes;
    float *work = workspace_get(chunk_floats + shared_a_floats + width * g.slot_floats, &bytes);
    if (!work) return 0;
    g.scratch = work + chunk_floats + shared_a_floats;
    if (shared_a_floats) {
        float *pa = work + chunk_floats;
        for (size_t pc = 0; pc < k; pc += ar->kc) {
            size_t kcb = k - pc < ar->kc ? k - pc : ar->kc;
            ar->pack_a(ar->mr, m, kcb, trans_a ? a + pc * lda : a + pc, lda, trans_a, pa + pc * a_rows);
        }
        g.packed_a = pa;
    }
    if (packed) {
        g.packed = packed->data;
        g.n_panels = packed->n_panels;
        tsk_pool_run(g.tiles.parts, width, tile_task, &g);
    } else if (share_b) {
        g.packed = g.chunk = work;
        g.n_panels = n_panels;
        g.packs = (split){nr, n_panels, n_panels < 4 * width ? n_panels : 4 * width};
        for (size_t k0 = 0; k0 < k; k0 += chunk_k) {
            g.k0 = k0;
            g.k1 = k - k0 < chunk_k ? k : k0 + chunk_k;
            g.act = g.k1 == k ? act : NULL;
            tsk_pool_run(g.packs.parts, width, pack_task, &g);
            tsk_pool_run(g.tiles.parts, width, tile_task, &g);
        }
    } else {
        tsk_pool_run(g.tiles.parts, width, tile_task, &g);
    }
    workspace_put(work, bytes);
    return 1;
}

/* ---------------------------------------------------------------- public entry points */

int tsk_sgemm(tsk_variant variant, int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
              const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc) {
    const sgemm_arch *ar = arch_for(variant);
    if (!ar) return 0;
    if (alpha == 0.0f) k = 0; /* C = beta * C without reading A or B */
    if (m && n && k) {
        int done = drive_parallel(ar, m, n, k, alpha, a, lda, trans_a, b, ldb, trans_b, NULL, beta, c, ldc, NULL,
                                  NULL);
        if (done >= 0) return done;
    }
    b_source bs = {NULL, 0, 0, 0, b, ldb, trans_b, NULL};
    return drive_alloc(ar, m, n, k, alpha, a, lda, trans_a, &bs, beta, c, ldc, NULL, NULL);
}

/* The blocking `packed` was built for, if `variant` (AUTO: that one) names it and can run here. */
static const sgemm_arch *packed_arch(tsk_variant variant, const tsk_packed_b *packed) {
    const sgemm_arch *ar = arch_for(variant == TSK_VARIANT_AUTO ? packed->arch->variant : variant);
    return ar == packed->arch ? ar : NULL;
}

/* The rows [m0, m1) of a packed multiply, on the calling thread. */
static int packed_rows(const sgemm_arch *ar, size_t m0, size_t m1, const float *a, size_t lda, const tsk_packed_b *b,
                       float beta, float *c, size_t ldc, const float *bias, const epilogue *act) {
    if (m1 <= m0) return 1;
    b_source bs = {b->data, b->n_panels, 0, 0, NULL, 0, 0, NULL};
    return drive_alloc(ar, m1 - m0, b->n, b->k, 1.0f, a + m0 * lda, lda, 0, &bs, beta, c + m0 * ldc, ldc, bias, act);
}

/* A packed multiply over the pool when it is large enough, else on the calling thread. */
static int packed_all(const sgemm_arch *ar, size_t m, const float *a, size_t lda, const tsk_packed_b *b,
                      float beta, float *c, size_t ldc, const float *bias, const epilogue *act) {
    if (m && b->n && b->k) {
        int done = drive_parallel(ar, m, b->n, b->k, 1.0f, a, lda, 0, NULL, 0, 0, b, beta, c, ldc, bias, act);
        if (done >= 0) return done;
    }
    return packed_rows(ar, 0, m, a, lda, b, beta, c, ldc, bias, act);
}

int tsk_sgemm_packed_rows(tsk_variant variant, size_t m0, size_t m1, const float *a, size_t lda,
                          const tsk_packed_b *b, float beta, float *c, size_t ldc, const float *bias) {
    const sgemm_arch *ar = packed_arch(variant, b);
    return ar ? packed_rows(ar, m0, m1, a, lda, b, beta, c, ldc, bias, NULL) : 0;
}

int tsk_sgemm_packed(tsk_variant variant, size_t m, const float *a, size_t lda, const tsk_packed_b *b,
                     float beta, float *c, size_t ldc, const float *bias) {
    const sgemm_arch *ar = packed_arch(variant, b);
    return ar ? packed_all(ar, m, a, lda, b, beta, c, ldc, bias, NULL) : 0;
}

int tsk_sgemm_packed_unary(tsk_variant variant, size_t m, const float *a, size_t lda, const tsk_packed_b *b,
                           float beta, float *c, size_t ldc, const float *bias, tsk_unary_op op) {
    const sgemm_arch *ar = packed_arch(variant, b);
    if (!ar || (unsigned)op > TSK_UNARY_GELU_TANH) return 0;
    const epilogue act = {tsk_vmath_wide_resolve(TSK_VARIANT_AUTO), op};
    return packed_all(ar, m, a, lda, b, beta, c, ldc, bias, &act);
}

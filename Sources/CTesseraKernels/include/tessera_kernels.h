/*
 * CTesseraKernels — the engine's hot loops in C, compiled with per-function target
 * attributes and chosen at run time from the CPU's features (no global -m flags, so the
 * package stays usable as a dependency).
 */
#ifndef TESSERA_KERNELS_H
#define TESSERA_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** CPU feature bits reported by tsk_cpu_features(). */
#define TSK_CPU_SSE42 0x01u
#define TSK_CPU_AVX 0x02u
#define TSK_CPU_AVX2 0x04u
#define TSK_CPU_FMA 0x08u
#define TSK_CPU_AVX512F 0x10u
#define TSK_CPU_AVX512VNNI 0x20u
#define TSK_CPU_NEON 0x40u
#define TSK_CPU_AVX512BW 0x80u
#define TSK_CPU_AMX_INT8 0x100u /* AMX tiles with int8, enabled by the OS (using them still needs Linux's permission: tsk_igemm asks) */

/** The features of the CPU this process runs on (detected once; any thread). */
uint32_t tsk_cpu_features(void);

/**
 * Kernel variants; TSK_VARIANT_AUTO picks the best the CPU supports for each kernel family.
 * Not every family has every variant: a function given a variant it lacks, or one this CPU
 * cannot run, returns 0 (tsk_sdot has GENERIC and AVX2; tsk_sgemm GENERIC, AVX2, AVX512 and
 * NEON; tsk_igemm GENERIC, AVX2, AVX512_VNNI and AMX_INT8).
 */
typedef enum tsk_variant {
    TSK_VARIANT_AUTO = 0,
    TSK_VARIANT_GENERIC = 1,
    TSK_VARIANT_AVX2 = 2,   /* x86-64 with AVX2 and FMA */
    TSK_VARIANT_AVX512 = 3, /* x86-64 with AVX-512F */
    TSK_VARIANT_NEON = 4,   /* AArch64 */
    /* x86-64 with AVX-512F, AVX-512BW and AVX-512 VNNI (vpdpbusd); tsk_igemm only. A value of
     * its own because it needs more than TSK_VARIANT_AVX512 does: a CPU may run one and not
     * the other. */
    TSK_VARIANT_AVX512_VNNI = 5,
    /* x86-64 with AMX-TILE, AMX-INT8 and AVX-512BW (tdpbusd on tiles); tsk_igemm only. */
    TSK_VARIANT_AMX_INT8 = 6,
} tsk_variant;

/** Name of the variant TSK_VARIANT_AUTO resolves to for tsk_sdot on this CPU ("generic", "avx2+fma"). */
const char *tsk_variant_name(tsk_variant variant);

/**
 * Dot product of two float vectors, accumulated in float.
 * Returns 0 and leaves *out alone if `variant` is not supported on this CPU.
 */
int tsk_sdot(tsk_variant variant, const float *a, const float *b, size_t n, float *out);

/* ================================================================ Worker pool
 *
 * One process-wide pool of persistent threads (thread_pool.c) that the kernels split large
 * calls over. Its size counts the calling thread: the default is the CPUs this process may run
 * on, or TESSERA_NUM_THREADS if that is set to a positive integer (read on first use); 1 means
 * no worker threads. Workers are created on the first fork that needs them and stay, spinning
 * for ~50 us after each fork and then sleeping, so forks a few microseconds apart cost about a
 * microsecond and an idle pool costs nothing.
 */

/** The number of threads forks use, the caller included (>= 1). [any-thread] */
size_t tsk_pool_threads(void);

/**
 * Sets the number of threads forks use, the caller included: 1 runs everything on the calling
 * thread; 0 restores the default. Clamped to [1, 256]; returns the value now in effect.
 * A fork in flight keeps its threads; surplus workers exit now, or at the next fork if one is
 * in flight. [any-thread]
 */
size_t tsk_pool_set_threads(size_t threads);

/**
 * Runs fn(ctx, task) once for every task in [0, tasks), spread over the calling thread and
 * the pool's workers, and returns when all have returned; their writes are then visible to the
 * caller. Tasks are claimed one at a time as threads free up, in no fixed order, so fn must not
 * depend on which thread runs which task, and tasks should be coarse (microseconds or more).
 * When the pool is already running another thread's fork, or when called from inside a task,
 * the caller runs all the tasks itself, in order (so it does too for more than 2^32 - 1
 * tasks): concurrent callers never block each other and never oversubscribe the cores.
 * `ctx` is borrowed for the duration of the call.
 * [any-thread] fn runs on the calling thread and on pool threads, concurrently.
 */
void tsk_parallel_for(size_t tasks, void (*fn)(void *ctx, size_t task), void *ctx);

/* ================================================================ SGEMM
 *
 * Single-precision matrix multiply, row-major throughout: element (i, j) of a matrix X with
 * leading dimension ldx is X[i * ldx + j], and ldx must be at least the row width as stored
 * (for op(A) = A^T that is m, for op(B) = B^T it is k). Matrices are read only; C must not
 * overlap A or B. beta == 0 means C is written without being read (NaN/Inf in C are ignored).
 *
 * Threads: tsk_sgemm and tsk_sgemm_packed split calls of at least 2^17 multiply-adds
 * (m * n * k) over the worker pool (tsk_parallel_for): M into row ranges, or, for m <= 2 * MR
 * (the batch-1 case), N into ranges of whole micro-panels. Every element of C is summed in
 * the same order whatever the split, so results are bit-identical for every thread count.
 *
 * Memory: a call needs one packing buffer: the packed block of A (at most mc x kc floats,
 * about 380 KiB) plus, for tsk_sgemm, one depth block of op(B) (kc x n floats, kc <= 384); a
 * call split over the pool needs one A block per thread plus, for tsk_sgemm, as many depth
 * blocks of op(B) as fit in 8 MiB (at least one). Buffers come
 * from a process-wide cache of 4 (each at most 8 MiB; larger ones are aligned_alloc'ed and
 * freed per call) guarded by a lock, so steady-state calls do not allocate;
 * tsk_sgemm_trim_workspace frees the cache. That cache and the worker pool are the only global
 * mutable state: all functions are [any-thread] and may run concurrently, including on one
 * tsk_packed_b. They return 0, having written nothing, if `variant` cannot run on this CPU or
 * an allocation fails; 1 on success.
 */

/**
 * C = alpha * op(A) * op(B) + beta * C, with op(A) m x k, op(B) k x n, C m x n.
 * trans_a / trans_b: 0 means op(X) = X, 1 means op(X) = X^T (so A is stored k x m when
 * trans_a). k == 0 or alpha == 0 leaves C = beta * C without reading A or B.
 * [any-thread] Runs on the calling thread, and on the worker pool too when large enough.
 */
int tsk_sgemm(tsk_variant variant, int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
              const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc);

/** Name of the variant `variant` resolves to for SGEMM on this CPU ("generic", "avx2+fma", "avx512f", "neon"). */
const char *tsk_sgemm_variant_name(tsk_variant variant);

/** Frees the cached packing buffers (they are re-created on demand). [any-thread] */
void tsk_sgemm_trim_workspace(void);

/**
 * op(B) packed once (weights at model load) into the panel layout of one variant, then
 * reused by every tsk_sgemm_packed* call. Opaque; immutable once built.
 */
typedef struct tsk_packed_b tsk_packed_b;

/**
 * Packs op(B) (k x n; B stored n x k when trans_b) for `variant` (AUTO: the best for this
 * CPU). The caller owns the result (free with tsk_packed_b_free) and may free `b` at once.
 * Returns NULL if the variant cannot run here or memory runs out.
 * [any-thread] Single-threaded.
 */
tsk_packed_b *tsk_pack_b(tsk_variant variant, int trans_b, size_t k, size_t n, const float *b, size_t ldb);

/** Frees a packed B (NULL is ignored). [any-thread], once no call is using it. */
void tsk_packed_b_free(tsk_packed_b *packed);

/** The k and n a packed B was built for. [any-thread] */
size_t tsk_packed_b_k(const tsk_packed_b *packed);
size_t tsk_packed_b_n(const tsk_packed_b *packed);

/**
 * C = A * B + beta * C + bias, with A m x k (not transposed, row-major with lda), B the packed
 * k x n, C m x n, and bias NULL or n floats added to every row.
 * `variant` must be AUTO or the variant `b` was packed for; otherwise returns 0.
 * [any-thread] Runs on the calling thread, and on the worker pool too when large enough.
 */
int tsk_sgemm_packed(tsk_variant variant, size_t m, const float *a, size_t lda, const tsk_packed_b *b,
                     float beta, float *c, size_t ldc, const float *bias);

/**
 * The rows [m0, m1) of tsk_sgemm_packed: `a` and `c` still point at row 0 of the whole
 * matrices, and only rows m0..m1-1 of C are read or written. For callers that do their own
 * threading: calls may run in parallel on disjoint row ranges (sharing one packed B, read
 * only); any split gives the same bits as one call over [0, m).
 * [any-thread] Single-threaded: never uses the worker pool; concurrent calls must not overlap
 * in rows of C.
 */
int tsk_sgemm_packed_rows(tsk_variant variant, size_t m0, size_t m1, const float *a, size_t lda,
                          const tsk_packed_b *b, float beta, float *c, size_t ldc, const float *bias);

/* ================================================================ Integer GEMM
 *
 * ONNX MatMulInteger: C = (A - a_zero) * (B - b_zero) in int32, with A m x k and B k x n of
 * 8-bit integers, each uint8 or int8 (`a_signed`, `b_signed`), row-major (element (i, j) of X
 * at X[i * ldx + j]); C m x n int32, written without being read. Results are exact: sums wrap
 * modulo 2^32, so every element whose true value fits in int32 is right, and no input or zero
 * point is saturated or rounded on the way (the AVX2 kernel widens to int16 before vpmaddwd
 * rather than using vpmaddubsw, whose int16 sums saturate).
 *
 * Zero points are int32, any value (usually 0..255 or -128..127, the type of their matrix):
 * row i of A has a_zero[i * a_zero_step] and column j of B b_zero[j * b_zero_step], so step 0
 * is one zero point per matrix (ONNX per-tensor) and step 1 one per row of A / column of B
 * (per-channel); NULL means 0. They cost nothing in the inner loop: the kernels multiply raw
 * bytes and correct each tile with A's row sums and B's column sums afterwards.
 *
 * Variants: GENERIC (portable C), AVX2 (x86-64 with AVX2; int16 pairs through vpmaddwd),
 * AVX512_VNNI (vpdpbusd, 64 multiply-adds per instruction) and AMX_INT8 (tdpbusd on 16 x 64
 * byte tiles, 16384 per instruction). TSK_VARIANT_AVX512 is not an integer GEMM variant (it
 * returns 0): AVX-512F alone has no VNNI. AUTO picks AMX_INT8, then AVX512_VNNI, then AVX2,
 * then GENERIC. Every function given a variant it lacks or this CPU cannot run returns 0 (or
 * NULL) having written nothing. On Linux the first use of AMX_INT8 (including AUTO on a CPU
 * with AMX) asks the kernel for this process's permission to use the tile data
 * (arch_prctl ARCH_REQ_XCOMP_PERM), once; that enlarges the process's signal frames by the
 * 8 KiB of tile state. If the permission is refused, AMX_INT8 is not supported.
 *
 * Threads: calls of at least 2^19 multiply-adds are split over the worker pool
 * (tsk_parallel_for): M into ranges of whole micro-panels, or B's column panels when M is
 * one or two micro-panels. Integer sums are exact, so results are identical for every
 * thread count. A call takes its packing buffer for A (about 200 KiB per thread) from the
 * same cache as SGEMM's (tsk_sgemm_trim_workspace frees it). All functions are [any-thread]
 * and may run concurrently, including on one packed B.
 */

/** B packed once (weights) with its column zero points and sums, for one variant. Opaque; immutable. */
typedef struct tsk_igemm_packed_b tsk_igemm_packed_b;

/**
 * Packs B (k x n, row-major with ldb; int8 if b_signed, else uint8) and its zero points for
 * `variant` (AUTO: the best for this CPU). The caller owns the result (free with
 * tsk_igemm_packed_b_free) and may free `b` and `b_zero` at once. NULL if the variant cannot
 * run here or memory runs out. [any-thread] Single-threaded.
 */
tsk_igemm_packed_b *tsk_igemm_pack_b(tsk_variant variant, size_t k, size_t n, const void *b, size_t ldb,
                                     int b_signed, const int32_t *b_zero, size_t b_zero_step);

/** Frees a packed B (NULL is ignored). [any-thread], once no call is using it. */
void tsk_igemm_packed_b_free(tsk_igemm_packed_b *packed);

/** The k and n a packed B was built for. [any-thread] */
size_t tsk_igemm_packed_b_k(const tsk_igemm_packed_b *packed);
size_t tsk_igemm_packed_b_n(const tsk_igemm_packed_b *packed);

/**
 * C = (A - a_zero) * (B - b_zero) with B packed: A m x k (int8 if a_signed, else uint8),
 * C m x n. `variant` must be AUTO or the one `b` was packed for; otherwise returns 0.
 * Returns 1 on success, 0 if the A packing buffer could not be allocated (C untouched).
 * [any-thread] Runs on the calling thread, and on the worker pool too when large enough.
 */
int tsk_igemm_packed(tsk_variant variant, size_t m, const void *a, size_t lda, int a_signed, const int32_t *a_zero,
                     size_t a_zero_step, const tsk_igemm_packed_b *b, int32_t *c, size_t ldc);

/**
 * tsk_igemm_packed with B as stored: packs it (allocating k x n bytes or more) for this call
 * only. For B that changes every call; constant B should be packed once.
 * [any-thread] Runs on the calling thread, and on the worker pool too when large enough.
 */
int tsk_igemm(tsk_variant variant, size_t m, size_t n, size_t k, const void *a, size_t lda, int a_signed,
              const int32_t *a_zero, size_t a_zero_step, const void *b, size_t ldb, int b_signed,
              const int32_t *b_zero, size_t b_zero_step, int32_t *c, size_t ldc);

/** Name of the variant `variant` resolves to for the integer GEMM on this CPU ("generic", "avx2", "avx512-vnni", "amx-int8"). */
const char *tsk_igemm_variant_name(tsk_variant variant);

/* ================================================================ Executor kernels
 *
 * Owned by the graph executor (elementwise.c, softmax.c, permute.c). Float loops for the ops
 * the executor runs element by element. `variant` is AUTO (the best this CPU runs), GENERIC
 * or AVX2, and for tsk_unary_f32 and tsk_softmax_f32 also AVX512 (AVX-512F, 16 lanes at a
 * time; for tsk_unary_f32 the AVX2 variant's results bit for bit, NaN payloads aside); a variant the family lacks or the CPU cannot run returns 0 having written nothing,
 * success returns 1. No allocation. Counts are in elements, not bytes.
 *
 * Threads: tsk_binary_f32, tsk_unary_f32 and tsk_softmax_f32 (and tsk_layernorm_f32,
 * tsk_where and tsk_isnan_f32 below) split a call over the worker pool (tsk_parallel_for)
 * when it holds at least two tasks' worth, a task being enough elements to take tens of
 * microseconds on one core: 2^16 for the cheap ops (binary, Relu, Where, IsNaN), 2^15 for the
 * other unary ops and layer normalization, 2^14 for softmax; softmax and layer normalization
 * split by whole rows. Each element, and each row's reduction, is computed the same way
 * whatever the split, so results are bit-identical for every thread count. Smaller calls run
 * on the calling thread only.
 */

/** Binary float operations for tsk_binary_f32. */
typedef enum tsk_binary_op {
    TSK_BINARY_ADD = 0,
    TSK_BINARY_SUB = 1,
    TSK_BINARY_MUL = 2,
    TSK_BINARY_DIV = 3,
} tsk_binary_op;

/**
 * out[i] = a[i * a_step] op b[i * b_step] for i in [0, n). Each step is 0 (repeat one value:
 * the broadcast case) or 1 (walk the vector). `out` may alias an input whose step is 1.
 * [any-thread] Runs on the calling thread, and on the worker pool too when large enough.
 */
int tsk_binary_f32(tsk_variant variant, tsk_binary_op op, size_t n, const float *a, size_t a_step, const float *b,
                   size_t b_step, float *out);

/** Unary float operations for tsk_unary_f32. */
typedef enum tsk_unary_op {
    TSK_UNARY_RELU = 0,
    TSK_UNARY_SIGMOID = 1,
    TSK_UNARY_TANH = 2,
    TSK_UNARY_ERF = 3,
    TSK_UNARY_GELU_ERF = 4,  /* x * (1 + erf(x / sqrt 2)) / 2 */
    TSK_UNARY_GELU_TANH = 5, /* x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))) / 2 */
} tsk_unary_op;

/**
 * y[i] = op(x[i]) for i in [0, n); y may equal x. NaN in gives NaN out.
 * The AVX2 variant's erf is within 3 ulp of the exact value over all floats (erf(+-inf) =
 * +-1), and its GELU_ERF within 7 ulp wherever the result is a normal float: for x < 0 it
 * uses erfc(-x / sqrt 2) rather than 1 + erf, so the far negative tail (x = -13 gives about
 * -1e-37) keeps its relative accuracy. GENERIC calls the C library's erff / erfcf.
 * [any-thread] Runs on the calling thread, and on the worker pool too when large enough.
 */
int tsk_unary_f32(tsk_variant variant, tsk_unary_op op, size_t n, const float *x, float *y);

/**
 * tsk_sgemm_packed (SGEMM section above) followed by the activation `op` on every element
 * of C, with the bits tsk_unary_f32(TSK_VARIANT_AUTO, op, ...) would give on the finished C. The activation is
 * applied to each block of C as soon as its last depth pass has written it, while the block is
 * still in cache, rather than in a second sweep. Returns 0 for an unknown op.
 * [any-thread] Runs on the calling thread, and on the worker pool too when large enough.
 */
int tsk_sgemm_packed_unary(tsk_variant variant, size_t m, const float *a, size_t lda, const tsk_packed_b *b,
                           float beta, float *c, size_t ldc, const float *bias, tsk_unary_op op);

/**
 * Softmax (log_softmax == 0) or log-softmax (1) over the middle axis of x viewed as
 * [outer, n, inner]: for each (o, i), y[o, :, i] = softmax(x[o, :, i]), computed as
 * exp(x - max) / sum so that large magnitudes neither overflow nor underflow to NaN.
 * y may equal x.
 * [any-thread] Runs on the calling thread, and on the worker pool too when large enough.
 */
int tsk_softmax_f32(tsk_variant variant, int log_softmax, size_t outer, size_t n, size_t inner, const float *x, float *y);

/**
 * Permutes the axes of a dense row-major array: dst has shape [shape[perm[0]], ...,
 * shape[perm[rank - 1]]] and dst[i0, ..., ir] = src[j] with j[perm[d]] = i[d].
 * elem_size is 1, 2, 4 or 8 bytes; rank <= 16. src and dst must not overlap.
 * Returns 0, having written nothing, if elem_size or rank is out of range; 1 on success.
 * [any-thread] Runs on the calling thread, and on the worker pool too when large enough (by
 * runs of the output's last axis, at least 256 KiB of output per task).
 */
int tsk_permute(size_t elem_size, size_t rank, const size_t *shape, const size_t *perm, const void *src, void *dst);

/* ================================================================ Attention
 *
 * Owned by the graph executor (attention.c): the fused attention node. [any-thread] Runs on
 * the calling thread, and on the worker pool too: one task per problem.
 */

/**
 * For each of `batch` independent problems b: S = scale * Q_b K_b + M_b (s x t), P = softmax
 * of each row of S (NaN results set to 0 when zero_nan), O_b = P V_b (s x e). Q_b is s x d at
 * q + b*s*d, K_b d x t at k + b*d*t, V_b t x e at v + b*t*e, O_b s x e at out + b*s*e, all
 * dense row-major. mask is NULL or M_b's row i, column j is
 * mask[mask_offsets[b] + i * mask_row_stride + j * mask_col_stride] (strides 0 broadcast).
 * Each task allocates its s x t scores; returns 0 if an allocation failed (out is then
 * incomplete), 1 on success.
 */
int tsk_attention_f32(size_t batch, size_t s, size_t t, size_t d, size_t e, float scale, const float *q,
                      const float *k, const float *v, const float *mask, const size_t *mask_offsets,
                      size_t mask_row_stride, size_t mask_col_stride, int zero_nan, float *out);

/* ================================================================ Layer normalization
 *
 * Owned by the graph executor (layernorm.c). Same conventions as the executor kernels above:
 * `variant` is AUTO, GENERIC or AVX2 (x86-64 with AVX2 and FMA); a variant this CPU cannot
 * run returns 0 having written nothing, success returns 1. No allocation; threads as for the
 * executor kernels above.
 */

/**
 * ONNX LayerNormalization over rows: x is `outer` contiguous rows of n floats, and for each
 * row y = (x - mean) / sqrt(var + epsilon) * scale + bias, with the (biased) variance taken
 * about the mean in a second pass and sums accumulated in double. scale has n floats, bias
 * n floats or NULL. y may equal x.
 * [any-thread] Runs on the calling thread, and on the worker pool too when large enough.
 */
int tsk_layernorm_f32(tsk_variant variant, size_t outer, size_t n, const float *x, const float *scale,
                      const float *bias, float epsilon, float *y);

/* ================================================================ Selection
 *
 * Owned by the graph executor (select.c): Where and IsNaN for the common case where every
 * operand is either as long as the output or one repeated value. Same conventions and
 * threads as the executor kernels above. A BOOL is one byte, 0 false, anything else true.
 */

/**
 * out[i] = condition[i * condition_step] ? x[i * x_step] : y[i * y_step] for i in [0, n), each
 * step 0 (repeat one value) or 1 (walk the vector). Elements of elem_size bytes (4 or 8;
 * other sizes return 0 having written nothing) are copied bit for bit. `out` must not
 * overlap the inputs unless it equals one whose step is 1.
 * [any-thread] Runs on the calling thread, and on the worker pool too when large enough.
 */
int tsk_where(tsk_variant variant, size_t elem_size, size_t n, const uint8_t *condition, size_t condition_step,
              const void *x, size_t x_step, const void *y, size_t y_step, void *out);

/**
 * out[i] = 1 if x[i] is a NaN, else 0, for i in [0, n).
 * [any-thread] Runs on the calling thread, and on the worker pool too when large enough.
 */
int tsk_isnan_f32(tsk_variant variant, size_t n, const float *x, uint8_t *out);

#ifdef __cplusplus
}
#endif

#endif

/*
 * Integer GEMM (ONNX MatMulInteger): C = (A - a_zero) * (B - b_zero) in exact int32. Public
 * entry points, variant dispatch, packing, the blocked and parallel drivers and the generic
 * micro-kernel; the x86 kernels (AVX2, AVX-512 VNNI, AMX) live in igemm_x86.c.
 *
 * Every variant multiplies unsigned bytes of A by signed bytes of B, the operand types of
 * vpdpbusd. Other signednesses are moved into that range while packing (x ^ 0x80 is x - 128
 * for int8 read as uint8, x + 128 the other way) and the zero points adjusted to match, so
 * (A - a_zero) and (B - b_zero) are unchanged. The zero points themselves stay out of the k
 * loop: (A - za)(B - zb) = AB - zb * rowsum(A) - za * colsum(B) + k * za * zb, with the
 * column sums taken when B is packed and the row sums when A is (igemm_internal.h).
 *
 * Blocking follows sgemm.c: B is packed once into depth blocks of NR-wide panels; each MC-row
 * block of A is packed into MR-row panels; each A micro-panel (in L1) sweeps the B panels of
 * an NC-wide slice (in L2).
 */
#include "tessera_kernels.h"
#include "igemm_internal.h"
#include "thread_pool_internal.h"
#include "workspace_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- variants and blocking */

/*
 * Depths are in elements of k and multiples of every step (64 for AMX). The VNNI kernel's A
 * micro-panel is 8 x kc bytes (12 KiB at kc = 1536, which covers MiniLM's FFN depth in one
 * pass) and its B slice kc x nc bytes (720 KiB); the int16 kernel's are twice as wide per
 * element, hence its shallower kc. The AMX kernel's A micro-panel is 32 x kc bytes (48 KiB),
 * read as tiles from L1/L2. These are first choices, not tuned.
 */
typedef struct igemm_arch {
    tsk_variant variant;
    size_t mr, nr;
    size_t ga, gb; /* depth groups of the A and B layouts (igemm_internal.h) */
    size_t step;   /* depth of one kernel step: panels are zero padded to a multiple of it */
    size_t elem;   /* bytes per packed element: 1, or 2 for int16 */
    size_t kc, mc, nc;
    tsk_igemm_kernel_fn kernel;
    void (*begin)(void), (*end)(void); /* around each drive() on its thread, when set (AMX tile state) */
} igemm_arch;

#define GENERIC_MR 4
#define GENERIC_NR 16

static void kernel_generic(size_t groups, const void *a, const void *b, int32_t *c, size_t ldc, size_t mr,
                           size_t nr, const tsk_igemm_epilogue *e);

static const igemm_arch arch_generic = {TSK_VARIANT_GENERIC, GENERIC_MR, GENERIC_NR, 4, 4, 4, 1, 1024, 64, 256,
                                        kernel_generic, NULL, NULL};
#if defined(__x86_64__)
static const igemm_arch arch_avx2 = {TSK_VARIANT_AVX2, TSK_IGEMM_AVX2_MR, TSK_IGEMM_AVX2_NR, 2, 2, 2, 2, 768, 128, 512,
                                     tsk_igemm_kernel_avx2, NULL, NULL};
static const igemm_arch arch_vnni = {TSK_VARIANT_AVX512_VNNI, TSK_IGEMM_VNNI_MR, TSK_IGEMM_VNNI_NR, 4, 4, 4, 1, 1536,
                                     128, 480, tsk_igemm_kernel_vnni, NULL, NULL};
/* A in 64-byte rows (one tile row), B in byte quads: the operand layouts of tdpbusd. */
static const igemm_arch arch_amx = {TSK_VARIANT_AMX_INT8, TSK_IGEMM_AMX_MR, TSK_IGEMM_AMX_NR, 64, 4, 64, 1, 1536,
                                    128, 512, tsk_igemm_kernel_amx, tsk_igemm_amx_begin, tsk_igemm_amx_end};
#endif

static int supports(tsk_variant variant) {
    uint32_t f = tsk_cpu_features();
    switch (variant) {
    case TSK_VARIANT_GENERIC: return 1;
#if defined(__x86_64__)
    case TSK_VARIANT_AVX2: return (f & TSK_CPU_AVX2) != 0;
    case TSK_VARIANT_AVX512_VNNI:
        return (f & TSK_CPU_AVX512F) && (f & TSK_CPU_AVX512BW) && (f & TSK_CPU_AVX512VNNI);
    case TSK_VARIANT_AMX_INT8: return (f & TSK_CPU_AMX_INT8) && (f & TSK_CPU_AVX512BW) && tsk_igemm_amx_enable();
#endif
    default: (void)f; return 0;
    }
}

static tsk_variant igemm_resolve(tsk_variant variant) {
    if (variant != TSK_VARIANT_AUTO) return variant;
    if (supports(TSK_VARIANT_AMX_INT8)) return TSK_VARIANT_AMX_INT8;
    if (supports(TSK_VARIANT_AVX512_VNNI)) return TSK_VARIANT_AVX512_VNNI;
    if (supports(TSK_VARIANT_AVX2)) return TSK_VARIANT_AVX2;
    return TSK_VARIANT_GENERIC;
}

static const igemm_arch *arch_for(tsk_variant variant) {
    variant = igemm_resolve(variant);
    if (!supports(variant)) return NULL;
    switch (variant) {
    case TSK_VARIANT_GENERIC: return &arch_generic;
#if defined(__x86_64__)
    case TSK_VARIANT_AVX2: return &arch_avx2;
    case TSK_VARIANT_AVX512_VNNI: return &arch_vnni;
    case TSK_VARIANT_AMX_INT8: return &arch_amx;
#endif
    default: return NULL;
    }
}

const char *tsk_igemm_variant_name(tsk_variant variant) {
    switch (igemm_resolve(variant)) {
    case TSK_VARIANT_GENERIC: return "generic";
    case TSK_VARIANT_AVX2: return "avx2";
    case TSK_VARIANT_AVX512_VNNI: return "avx512-vnni";
    case TSK_VARIANT_AMX_INT8: return "amx-int8";
    default: return "unknown";
    }
}

/* ---------------------------------------------------------------- epilogue and generic kernel */

void tsk_igemm_store_tile(const int32_t *tile, size_t stride, int32_t *c, size_t ldc, size_t mr, size_t nr,
                          const tsk_igemm_epilogue *e) {
    for (size_t i = 0; i < mr; i++) {
        int32_t *cr = c + i * ldc;
        for (size_t j = 0; j < nr; j++) {
            uint32_t v = (uint32_t)tile[i * stride + j];
            if (e->accumulate) v += (uint32_t)cr[j];
            else if (e->za) v += (uint32_t)e->za[i] * (uint32_t)e->d[j];
            if (e->zb) v -= (uint32_t)e->rs[i] * (uint32_t)e->zb[j];
            cr[j] = (int32_t)v;
        }
    }
}

/* 4 x 16 over groups of 4 bytes: the layout of the VNNI kernel, in portable C. */
static void kernel_generic(size_t groups, const void *ap, const void *bp, int32_t *c, size_t ldc, size_t mr,
                           size_t nr, const tsk_igemm_epilogue *e) {
    enum { MR = GENERIC_MR, NR = GENERIC_NR };
    const uint8_t *a = ap;
    const int8_t *b = bp;
    /* A group's 4 products sum to at most 4 * 255 * 128; the running sums wrap like the SIMD ones. */
    uint32_t tile[MR][NR] = {{0}};
    for (size_t q = 0; q < groups; q++) {
        for (int i = 0; i < MR; i++) {
            const uint8_t *ai = a + i * 4;
            for (int j = 0; j < NR; j++) {
                const int8_t *bj = b + j * 4;
                int32_t s = ai[0] * bj[0] + ai[1] * bj[1] + ai[2] * bj[2] + ai[3] * bj[3];
                tile[i][j] += (uint32_t)s;
            }
        }
        a += MR * 4;
        b += NR * 4;
    }
    tsk_igemm_store_tile((const int32_t *)&tile[0][0], NR, c, ldc, mr, nr, e);
}

/* ---------------------------------------------------------------- packing */

static size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }

static size_t cache_lines(size_t bytes) { return round_up(bytes ? bytes : 1, 64); }

static void put_elem(void *dst, size_t index, size_t elem, int value) {
    if (elem == 1) ((uint8_t *)dst)[index] = (uint8_t)value;
    else ((int16_t *)dst)[index] = (int16_t)value;
}

/*
 * Rows [0, kcb) of B (the depth block, `b` at its first row), all n columns, into n_panels
 * panels of round_up(kcb, G) x NR elements. `flip` 0x80 turns uint8 into int8.
 */
static void pack_b_block(const igemm_arch *ar, size_t kcb, size_t n, size_t n_panels, const uint8_t *b, size_t ldb,
                         uint8_t flip, uint8_t *dst) {
    const size_t nr = ar->nr, g = ar->gb, kpad = round_up(kcb, ar->step);
    for (size_t jp = 0; jp < n_panels; jp++, dst += kpad * nr * ar->elem) {
        const size_t j0 = jp * nr;
        for (size_t p = 0; p < kpad; p++) {
            const size_t base = p / g * nr * g + p % g;
            for (size_t j = 0; j < nr; j++) {
                int v = p < kcb && j0 + j < n ? (int8_t)(b[p * ldb + j0 + j] ^ flip) : 0;
                put_elem(dst, base + j * g, ar->elem, v);
            }
        }
    }
}

/*
 * The sum of n bytes (each XORed with `flip`), eight at a time in 16-bit lanes of a 64-bit
 * word: a byte at a time, they took about a fifth of a 128 x 384 x 384 multiply (VNNI).
 */
static uint32_t byte_sum(const uint8_t *p, size_t n, uint8_t flip) {
    const uint64_t low = 0x00FF00FF00FF00FFull, flip8 = flip * 0x0101010101010101ull;
    uint64_t total = 0;
    size_t i = 0;
    while (n - i >= 8) {
        /* Each lane gains at most 2 * 255 per word, so 128 words fit in 16 bits. */
        const size_t words = (n - i) / 8 < 128 ? (n - i) / 8 : 128;
        uint64_t lanes = 0;
        for (size_t w = 0; w < words; w++, i += 8) {
            uint64_t x;
            memcpy(&x, p + i, 8);
            x ^= flip8;
            lanes += (x & low) + (x >> 8 & low);
        }
        total += (lanes & 0xFFFF) + (lanes >> 16 & 0xFFFF) + (lanes >> 32 & 0xFFFF) + (lanes >> 48);
    }
    for (; i < n; i++) total += (uint8_t)(p[i] ^ flip);
    return (uint32_t)total;
}

/*
 * Rows [0, rows) x depth [0, kcb) of A into MR-row panels of round_up(kcb, G) x MR elements,
 * zero padded; `flip` 0x80 turns int8 into uint8. With `rs`, also the row sums (of the
 * packed values) into rs[0, rows).
 */
static void pack_a_block(const igemm_arch *ar, size_t rows, size_t kcb, const uint8_t *a, size_t lda, uint8_t flip,
                         void *dst, int32_t *rs) {
    const size_t mr = ar->mr, g = ar->ga, kpad = round_up(kcb, ar->step), groups = kpad / g;
    const size_t full = kcb / g; /* groups with no depth padding */
    for (size_t i0 = 0; i0 < rows; i0 += mr) {
        uint8_t *panel = (uint8_t *)dst + i0 * kpad * ar->elem;
        for (size_t i = 0; i < mr; i++) {
            if (i0 + i >= rows) {
                for (size_t q = 0; q < groups; q++) memset(panel + (q * mr + i) * g * ar->elem, 0, g * ar->elem);
                continue;
            }
            const uint8_t *src = a + (i0 + i) * lda;
            if (ar->elem == 1 && g == 4) {
                /* One 32-bit move per group; the flip is a XOR of all four bytes at once. */
                const uint32_t flip4 = flip * 0x01010101u;
                for (size_t q = 0; q < full; q++) {
                    uint32_t w;
                    memcpy(&w, src + q * 4, 4);
                    w ^= flip4;
                    memcpy(panel + (q * mr + i) * 4, &w, 4);
                }
            } else if (ar->elem == 1) {
                /* Groups of a multiple of 8 bytes (AMX tile rows), 64 bits at a time. */
                const uint64_t flip8 = flip * 0x0101010101010101ull;
                for (size_t q = 0; q < full; q++)
                    for (size_t r = 0; r < g; r += 8) {
                        uint64_t w;
                        memcpy(&w, src + q * g + r, 8);
                        w ^= flip8;
                        memcpy(panel + (q * mr + i) * g + r, &w, 8);
                    }
            } else {
                int16_t *p16 = (int16_t *)panel;
                for (size_t q = 0; q < full; q++)
                    for (size_t r = 0; r < g; r++) p16[(q * mr + i) * g + r] = (uint8_t)(src[q * g + r] ^ flip);
            }
            for (size_t q = full; q < groups; q++)
                for (size_t r = 0; r < g; r++) {
                    size_t p = q * g + r;
                    put_elem(panel, (q * mr + i) * g + r, ar->elem, p < kcb ? (uint8_t)(src[p] ^ flip) : 0);
                }
            if (rs) rs[i0 + i] = (int32_t)byte_sum(src, kcb, flip);
        }
    }
}

/* ---------------------------------------------------------------- packed B */

/*
 * Depth block pc (a multiple of kc) starts at data + pc * n_panels * NR elements, since every
 * block before it is full depth and kc is a multiple of G; within it, panel jp starts at
 * jp * round_up(kcb, G) * NR elements.
 */
struct tsk_igemm_packed_b {
    const igemm_arch *arch;
    size_t k, n, n_panels;
    uint8_t *data;
    int32_t *d;  /* n_panels * NR: k * zb[j] - colsum[j] (wrapping) */
    int32_t *zb; /* n_panels * NR column zero points, or NULL when all are 0 */
};

void tsk_igemm_packed_b_free(tsk_igemm_packed_b *packed) {
    if (!packed) return;
    free(packed->data);
    free(packed->d);
    free(packed->zb);
    free(packed);
}

size_t tsk_igemm_packed_b_k(const tsk_igemm_packed_b *packed) { return packed->k; }
size_t tsk_igemm_packed_b_n(const tsk_igemm_packed_b *packed) { return packed->n; }

tsk_igemm_packed_b *tsk_igemm_pack_b(tsk_variant variant, size_t k, size_t n, const void *b, size_t ldb,
                                     int b_signed, const int32_t *b_zero, size_t b_zero_step) {
    const igemm_arch *ar = arch_for(variant);
    if (!ar) return NULL;
    tsk_igemm_packed_b *pb = calloc(1, sizeof *pb);
    if (!pb) return NULL;
    const size_t cols = round_up(n ? n : 1, ar->nr);
    pb->arch = ar;
    pb->k = k;
    pb->n = n;
    pb->n_panels = cols / ar->nr;
    pb->data = aligned_alloc(64, cache_lines(round_up(k, ar->step) * cols * ar->elem));
    pb->d = calloc(cols, sizeof(int32_t));
    const uint8_t flip = b_signed ? 0 : 0x80;
    /* uint8 B is packed as B - 128, so its zero points move down by 128 too. */
    int any_zb = !b_signed;
    for (size_t j = 0; j < n && b_zero && !any_zb; j++) any_zb = b_zero[j * b_zero_step] != 0;
    if (any_zb) pb->zb = calloc(cols, sizeof(int32_t));
    if (!pb->data || !pb->d || (any_zb && !pb->zb)) {
        tsk_igemm_packed_b_free(pb);
        return NULL;
    }
    const uint8_t *src = b;
    for (size_t pc = 0; pc < k; pc += ar->kc) {
        size_t kcb = k - pc < ar->kc ? k - pc : ar->kc;
        pack_b_block(ar, kcb, n, pb->n_panels, src + pc * ldb, ldb, flip, pb->data + pc * cols * ar->elem);
    }
    for (size_t j = 0; j < n; j++) {
        uint32_t zb = (uint32_t)(b_zero ? b_zero[j * b_zero_step] : 0) - (b_signed ? 0u : 128u);
        uint32_t sum = 0;
        for (size_t p = 0; p < k; p++) sum += (uint32_t)(int32_t)(int8_t)(src[p * ldb + j] ^ flip);
        pb->d[j] = (int32_t)((uint32_t)k * zb - sum);
        if (pb->zb) pb->zb[j] = (int32_t)zb;
    }
    return pb;
}

/* ---------------------------------------------------------------- driver */

/* What a call multiplies; shared read only by its tasks. */
typedef struct igemm_call {
    const igemm_arch *ar;
    const tsk_igemm_packed_b *b;
    size_t m;
    const uint8_t *a;
    size_t lda;
    uint8_t flip;           /* 0x80 when A is int8 */
    const int32_t *a_zero;  /* NULL: 0 */
    size_t a_zero_step;
    int32_t *c;
    size_t ldc;
} igemm_call;

/* Bytes of one thread's scratch: a packed A block of up to `rows` rows, its row sums and zero points. */
static size_t slot_bytes(const igemm_arch *ar, size_t rows, size_t k) {
    size_t mrows = round_up(rows < ar->mc ? rows : ar->mc, ar->mr);
    size_t depth = round_up(k < ar->kc ? k : ar->kc, ar->step);
    return cache_lines(mrows * depth * ar->elem) + cache_lines(2 * mrows * sizeof(int32_t));
}

/*
 * Rows [r0, r1) and B panels [p0, p1) of C, every depth block, on the calling thread with
 * `work` (slot_bytes for r1 - r0 rows) as scratch.
 */
static void drive(const igemm_call *call, size_t r0, size_t r1, size_t p0, size_t p1, uint8_t *work) {
    const igemm_arch *ar = call->ar;
    const tsk_igemm_packed_b *b = call->b;
    const size_t mr = ar->mr, nr = ar->nr, step = ar->step, elem = ar->elem, k = b->k, n = b->n;
    const size_t mrows = round_up(r1 - r0 < ar->mc ? r1 - r0 : ar->mc, mr);
    const size_t depth = round_up(k < ar->kc ? k : ar->kc, step);
    int32_t *rs = (int32_t *)(work + cache_lines(mrows * depth * elem));
    int32_t *za = rs + mrows;
    const size_t panel_step = ar->nc / nr;
    if (ar->begin) ar->begin();
    for (size_t pc = 0; pc < k; pc += ar->kc) {
        const size_t kcb = k - pc < ar->kc ? k - pc : ar->kc, kpad = round_up(kcb, step);
        const uint8_t *bdepth = b->data + pc * b->n_panels * nr * elem;
        for (size_t ic = r0; ic < r1; ic += ar->mc) {
            const size_t mcb = r1 - ic < ar->mc ? r1 - ic : ar->mc;
            pack_a_block(ar, mcb, kcb, call->a + ic * call->lda + pc, call->lda, call->flip, work,
                         b->zb ? rs : NULL);
            /* Row zero points (shifted with A), applied with the first depth block only. */
            int any_za = 0;
            if (pc == 0) {
                for (size_t i = 0; i < mcb; i++) {
                    uint32_t z = call->a_zero ? (uint32_t)call->a_zero[(ic + i) * call->a_zero_step] : 0u;
                    za[i] = (int32_t)(z + (call->flip ? 128u : 0u));
                    any_za |= za[i] != 0;
                }
                for (size_t i = mcb; i < round_up(mcb, mr); i++) za[i] = 0;
            }
            for (size_t jc = p0; jc < p1; jc += panel_step) {
                const size_t jend = p1 - jc < panel_step ? p1 : jc + panel_step;
                for (size_t ir = 0; ir < mcb; ir += mr) {
                    const size_t h = mcb - ir < mr ? mcb - ir : mr;
                    const uint8_t *ap = work + ir * kpad * elem;
                    tsk_igemm_epilogue e = {pc > 0, any_za ? za + ir : NULL, NULL, rs + ir, NULL};
                    int32_t *crow = call->c + (ic + ir) * call->ldc;
                    for (size_t jp = jc; jp < jend; jp++) {
                        const size_t col = jp * nr, w = n - col < nr ? n - col : nr;
                        e.d = b->d + col;
                        e.zb = b->zb ? b->zb + col : NULL;
                        ar->kernel(kpad / step, ap, bdepth + jp * kpad * nr * elem, crow + col, call->ldc, h, w, &e);
                    }
                }
            }
        }
    }
    if (ar->end) ar->end();
}

/* k == 0: every product is empty, so C = 0 whatever the zero points. */
static void zero_rows(size_t m, size_t n, int32_t *c, size_t ldc) {
    for (size_t i = 0; i < m; i++) memset(c + i * ldc, 0, n * sizeof(int32_t));
}

/* ---------------------------------------------------------------- parallel driver */

/*
 * Calls of at least this many multiply-adds are split over the worker pool. A two-thread
 * fork costs about a microsecond (benchmarks/pool); the VNNI kernel does ~2^18 multiply-adds
 * in that time on one core, four times SGEMM's threshold, as it does four per lane.
 */
#define PARALLEL_MIN_MNK ((double)(1 << 19))

typedef struct igemm_par {
    const igemm_call *call;
    int by_rows;
    size_t units, parts; /* rows in MR units, or B panels, cut evenly into parts */
    uint8_t *scratch;
    size_t slot;
} igemm_par;

static void range_of(const igemm_par *p, size_t part, size_t *lo, size_t *hi) {
    *lo = part * p->units / p->parts;
    *hi = (part + 1) * p->units / p->parts;
}

static void par_task(void *ctx, size_t task, size_t slot) {
    const igemm_par *p = ctx;
    const igemm_call *call = p->call;
    size_t lo, hi;
    range_of(p, task, &lo, &hi);
    if (lo >= hi) return;
    uint8_t *work = p->scratch + slot * p->slot;
    if (p->by_rows) {
        const size_t mr = call->ar->mr;
        drive(call, lo * mr, hi * mr < call->m ? hi * mr : call->m, 0, call->b->n_panels, work);
    } else {
        drive(call, 0, call->m, lo, hi, work);
    }
}

/*
 * Cuts M into ranges of whole micro-panels, one per thread (more when a range would exceed
 * mc rows), or, when M is two micro-panels or fewer (the batch-1 case), B's panels.
 * Integer sums are exact, so every split gives the same result. 0 on allocation failure.
 */
static int run(const igemm_call *call) {
    const igemm_arch *ar = call->ar;
    const tsk_igemm_packed_b *b = call->b;
    const size_t m = call->m;
    if (m == 0 || b->n == 0) return 1;
    if (b->k == 0) {
        zero_rows(m, b->n, call->c, call->ldc);
        return 1;
    }
    const size_t threads = tsk_pool_threads();
    igemm_par p = {call, m > 2 * ar->mr, 0, 1, NULL, 0};
    p.units = p.by_rows ? (m + ar->mr - 1) / ar->mr : b->n_panels;
    if (threads >= 2 && (double)m * (double)b->n * (double)b->k >= PARALLEL_MIN_MNK) {
        size_t parts = threads;
        if (p.by_rows) {
            size_t blocks = (m + ar->mc - 1) / ar->mc;
            if (blocks > parts) parts = (blocks + threads - 1) / threads * threads;
        }
        p.parts = parts < p.units ? parts : p.units;
    }
    const size_t width = threads < p.parts ? threads : p.parts;
    p.slot = slot_bytes(ar, p.by_rows ? (p.units + p.parts - 1) / p.parts * ar->mr : m, b->k);
    size_t got;
    p.scratch = tsk_workspace_get(width * p.slot, &got);
    if (!p.scratch) return 0;
    if (p.parts < 2) par_task(&p, 0, 0);
    else tsk_pool_run(p.parts, width, par_task, &p);
    tsk_workspace_put(p.scratch, got);
    return 1;
}

/* ---------------------------------------------------------------- public entry points */

int tsk_igemm_packed(tsk_variant variant, size_t m, const void *a, size_t lda, int a_signed, const int32_t *a_zero,
                     size_t a_zero_step, const tsk_igemm_packed_b *b, int32_t *c, size_t ldc) {
    const igemm_arch *ar = arch_for(variant == TSK_VARIANT_AUTO ? b->arch->variant : variant);
    if (!ar || ar != b->arch) return 0;
    igemm_call call = {ar, b, m, a, lda, a_signed ? 0x80 : 0, a_zero, a_zero_step, c, ldc};
    return run(&call);
}

int tsk_igemm(tsk_variant variant, size_t m, size_t n, size_t k, const void *a, size_t lda, int a_signed,
              const int32_t *a_zero, size_t a_zero_step, const void *b, size_t ldb, int b_signed,
              const int32_t *b_zero, size_t b_zero_step, int32_t *c, size_t ldc) {
    if (!arch_for(variant)) return 0;
    if (m == 0 || n == 0) return 1;
    if (k == 0) {
        zero_rows(m, n, c, ldc);
        return 1;
    }
    tsk_igemm_packed_b *packed = tsk_igemm_pack_b(variant, k, n, b, ldb, b_signed, b_zero, b_zero_step);
    if (!packed) return 0;
    int done = tsk_igemm_packed(variant, m, a, lda, a_signed, a_zero, a_zero_step, packed, c, ldc);
    tsk_igemm_packed_b_free(packed);
    return done;
}

/*
 * gguf_handover.h — hands each tensor to the host: a view into the mapping for the types the
 * host has (zero-copy, reference-counted), or FP32 dequantized into a malloc'ed buffer for
 * Q8_0. GGUF lists dimensions innermost first; the host's shapes are row-major, outermost
 * first, so the dimensions are reversed.
 *
 * Private to gguf.c, which includes it exactly once (all definitions are static).
 */
#ifndef TESSERA_GGUF_HANDOVER_H
#define TESSERA_GGUF_HANDOVER_H

#include "gguf_layout.h"

/** Elements in one Q8_0 block: a float16 scale, then 32 int8 quants (34 bytes). */
#define Q8_0_BLOCK 32

/** Dequantizes `blocks` Q8_0 blocks at `in` to FP32: value = scale × quant, rounded once. */
static void dequantize_q8_0(const unsigned char *in, uint64_t blocks, float *out)
{
    for (uint64_t b = 0; b < blocks; b++) {
        const unsigned char *block = in + b * 34;
        float scale = tsp_half_to_float(tsp_read_le16(block));
        for (int j = 0; j < Q8_0_BLOCK; j++) {
            out[b * Q8_0_BLOCK + (uint64_t)j] = scale * (float)(int8_t)block[2 + j];
        }
    }
}

/** Counts of what load() did, for the summary line. */
typedef struct handover_stats {
    uint64_t zero_copy;   /**< views into the mapping */
    uint64_t copied;      /**< views at an address not aligned to the element size: the host copies them */
    uint64_t dequantized; /**< Q8_0 tensors dequantized to FP32 */
    uint64_t skipped;     /**< unsupported tensors left out (skip_unsupported) */
} handover_stats;

/**
 * Adds tensor `t` (whose type is one load() handles) as an initializer. `data` is the start of
 * the data section inside mapping `m`.
 */
static int hand_over(gguf_cursor *c, tsr_graph *graph, tsp_mapping *m, const unsigned char *data, const gguf_tensor *t,
                     handover_stats *stats)
{
    const tsr_host_api *api = c->api;
    char *name = malloc((size_t)t->name.length + 1);
    if (name == NULL) return cursor_fail(c, TSR_ERR_OUT_OF_MEMORY, "out of memory handing over a tensor");
    memcpy(name, t->name.data, (size_t)t->name.length);
    name[t->name.length] = '\0';

    int64_t shape[TESSERA_GGUF_MAX_DIMS];
    for (uint32_t k = 0; k < t->ndim; k++) shape[k] = (int64_t)t->dims[t->ndim - 1 - k];
    tsr_tensor_view view;
    memset(&view, 0, sizeof view);
    view.struct_size = (uint32_t)sizeof view;
    view.dtype = t->type->dtype;
    view.ndim = t->ndim;
    view.shape = t->ndim > 0 ? shape : NULL;
    tsr_release release = {(uint32_t)sizeof(tsr_release), NULL, NULL};
    const tsr_release *passed = NULL;

    if (t->type->handling == HANDLE_DEQUANT_Q8_0) {
        view.byte_size = t->elements * sizeof(float);
        if (t->elements > 0) {
            float *values = t->elements <= SIZE_MAX / sizeof(float) ? malloc((size_t)t->elements * sizeof(float)) : NULL;
            if (values == NULL) {
                cursor_fail(c, TSR_ERR_OUT_OF_MEMORY, "out of memory dequantizing tensor '%s' (%" PRIu64 " bytes of FP32)", name,
                            view.byte_size);
                free(name);
                return 0;
            }
            dequantize_q8_0(data + t->offset, t->elements / Q8_0_BLOCK, values);
            view.data = values;
            release.release = tsp_release_free;
            release.context = values;
            passed = &release;
        }
        stats->dequantized++;
    } else {
        view.byte_size = t->bytes;
        if (t->bytes > 0) {
            view.data = (void *)(data + t->offset);
            /* A view the host can read as its element type must be aligned to it; a file with a
               smaller general.alignment can place one elsewhere, and then the host copies it. */
            if ((uintptr_t)view.data % t->type->type_size == 0) {
                tsp_mapping_hold_view(m, view.data, (size_t)t->bytes, &release);
                passed = &release;
                stats->zero_copy++;
            } else {
                stats->copied++;
            }
        }
    }
    /* With a release, the host calls it exactly once, also when this fails. */
    tsr_status *added = api->graph_add_initializer(graph, name, &view, passed);
    int ok = 1;
    if (added != NULL) {
        ok = cursor_fail(c, api->status_code(added), "adding tensor '%s' failed: %s", name, api->status_message(added));
        api->status_release(added);
    }
    free(name);
    return ok;
}

#endif /* TESSERA_GGUF_HANDOVER_H */

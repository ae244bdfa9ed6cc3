/*
 * hf_weights.h — finding the encoder's tensors in model.safetensors, checking them against
 * the config, and handing them to the host.
 *
 * Checkpoints name the tensors either as BertModel does ("embeddings.word_embeddings.weight")
 * or under the "bert." prefix of the task models (BertForMaskedLM, ...). Every tensor the
 * graph needs is looked up, and its dtype and shape checked, before anything reaches the
 * host; other tensors (pooler, heads, position_ids) are left in the file. In the graph the
 * tensors carry the BertModel names whatever the prefix.
 *
 * F32 tensors are handed over as views into the file's mapping (zero-copy); F16 and BF16
 * ones are widened to F32 into a malloc'ed buffer the host frees.
 *
 * Private to hf_bert.c, which includes it exactly once: every definition is static.
 */
#ifndef TESSERA_HF_WEIGHTS_H
#define TESSERA_HF_WEIGHTS_H

#include "hf_config.h"

/** Tensors per encoder layer and in the embeddings. */
#define LAYER_TENSORS 16
#define EMBEDDING_TENSORS 5

/** Longest tensor name the graph uses ("encoder.layer.1023.attention.output.LayerNorm.weight"). */
#define NAME_SIZE 128

/** One tensor of the graph: its BertModel name and where it is in the file. */
typedef struct weight {
    char name[NAME_SIZE];
    const tsp_st_tensor *tensor;
} weight;

/** The suffix and shape of one tensor of a layer or the embeddings; cols 0 means 1-D. */
typedef struct expected_tensor {
    const char *suffix;
    int64_t rows;
    int64_t cols;
} expected_tensor;

static int compare_tensor_names(const void *a, const void *b)
{
    return strcmp((*(const tsp_st_tensor *const *)a)->name, (*(const tsp_st_tensor *const *)b)->name);
}

static const tsp_st_tensor *find_tensor(const tsp_st_tensor *const *sorted, size_t count, const char *name)
{
    size_t low = 0, high = count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int order = strcmp(sorted[middle]->name, name);
        if (order == 0) return sorted[middle];
        if (order < 0) low = middle + 1;
        else high = middle;
    }
    return NULL;
}

/** Checks one tensor's presence, dtype and shape; `layer` is -1 for the embeddings. */
static tsr_status *check_tensor(const tsr_host_api *api, const char *path, const bert_config *config,
                                const tsp_st_tensor *const *sorted, size_t count, const char *prefix, int64_t layer,
                                const expected_tensor *expected, weight *out)
{
    if (layer < 0) snprintf(out->name, sizeof out->name, "embeddings.%s", expected->suffix);
    else snprintf(out->name, sizeof out->name, "encoder.layer.%" PRId64 ".%s", layer, expected->suffix);
    char full[NAME_SIZE + 8];
    snprintf(full, sizeof full, "%s%s", prefix, out->name);
    const tsp_st_tensor *t = find_tensor(sorted, count, full);
    if (t == NULL) {
        if (layer >= 0) {
            return tsp_fail(api, TSR_ERR_NOT_FOUND, PLUGIN_NAME,
                            "'%s' has no tensor '%s', which layer %" PRId64 " of the %" PRId64
                            " (num_hidden_layers in config.json) needs",
                            path, full, layer, config->num_hidden_layers);
        }
        return tsp_fail(api, TSR_ERR_NOT_FOUND, PLUGIN_NAME, "'%s' has no tensor '%s', which the embeddings need", path, full);
    }
    tsr_dtype dtype = t->dtype->dtype;
    if (dtype != TSR_DTYPE_FP32 && dtype != TSR_DTYPE_FP16 && dtype != TSR_DTYPE_BF16) {
        return tsp_fail(api, TSR_ERR_UNSUPPORTED, PLUGIN_NAME,
                        "'%s': tensor '%s' is %s; hf-bert reads F32, F16 and BF16 weights", path, full, t->dtype->name);
    }
    int64_t shape[2] = {expected->rows, expected->cols};
    uint32_t ndim = expected->cols > 0 ? 2 : 1;
    int same = t->ndim == ndim;
    for (uint32_t d = 0; same && d < ndim; d++) same = t->shape[d] == shape[d];
    if (!same) {
        char found[16 * 24 + 8], needed[64];
        tsp_format_shape(found, sizeof found, t->shape, t->ndim);
        tsp_format_shape(needed, sizeof needed, shape, ndim);
        return tsp_fail(api, TSR_ERR_CORRUPT_DATA, PLUGIN_NAME,
                        "'%s': tensor '%s' has shape %s, but config.json (hidden_size %" PRId64 ", intermediate_size %" PRId64
                        ", vocab_size %" PRId64 ", max_position_embeddings %" PRId64 ", type_vocab_size %" PRId64
                        ") needs %s; the config and the weights do not belong together",
                        path, full, found, config->hidden_size, config->intermediate_size, config->vocab_size,
                        config->max_position_embeddings, config->type_vocab_size, needed);
    }
    out->tensor = t;
    return NULL;
}

/** How many tensors the graph needs. */
static size_t weight_count(const bert_config *config)
{
    return EMBEDDING_TENSORS + LAYER_TENSORS * (size_t)config->num_hidden_layers;
}

/**
 * Finds and checks every tensor the graph needs, in the order embeddings, then layer by
 * layer; out has weight_count(config) entries.
 */
static tsr_status *resolve_weights(const tsr_host_api *api, const char *path, const bert_config *config,
                                   const tsp_st_file *file, weight *out)
{
    const int64_t h = config->hidden_size, inner = config->intermediate_size;
    const expected_tensor embeddings[EMBEDDING_TENSORS] = {
        {"word_embeddings.weight", config->vocab_size, h},
        {"position_embeddings.weight", config->max_position_embeddings, h},
        {"token_type_embeddings.weight", config->type_vocab_size, h},
        {"LayerNorm.weight", h, 0},
        {"LayerNorm.bias", h, 0},
    };
    const expected_tensor layer[LAYER_TENSORS] = {
        {"attention.self.query.weight", h, h},     {"attention.self.query.bias", h, 0},
        {"attention.self.key.weight", h, h},       {"attention.self.key.bias", h, 0},
        {"attention.self.value.weight", h, h},     {"attention.self.value.bias", h, 0},
        {"attention.output.dense.weight", h, h},   {"attention.output.dense.bias", h, 0},
        {"attention.output.LayerNorm.weight", h, 0}, {"attention.output.LayerNorm.bias", h, 0},
        {"intermediate.dense.weight", inner, h},   {"intermediate.dense.bias", inner, 0},
        {"output.dense.weight", h, inner},         {"output.dense.bias", h, 0},
        {"output.LayerNorm.weight", h, 0},         {"output.LayerNorm.bias", h, 0},
    };

    const tsp_st_tensor **sorted = malloc((file->count ? file->count : 1) * sizeof *sorted);
    if (sorted == NULL) return tsp_fail(api, TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME, "out of memory indexing '%s'", path);
    for (size_t i = 0; i < file->count; i++) sorted[i] = &file->tensors[i];
    qsort(sorted, file->count, sizeof *sorted, compare_tensor_names);

    const char *prefix = NULL;
    if (find_tensor(sorted, file->count, "embeddings.word_embeddings.weight") != NULL) prefix = "";
    else if (find_tensor(sorted, file->count, "bert.embeddings.word_embeddings.weight") != NULL) prefix = "bert.";
    tsr_status *status = NULL;
    if (prefix == NULL) {
        status = tsp_fail(api, TSR_ERR_NOT_FOUND, PLUGIN_NAME,
                          "'%s' has neither 'embeddings.word_embeddings.weight' nor 'bert.embeddings.word_embeddings.weight' "
                          "among its %zu tensors: it is not a BERT checkpoint, or one that names its tensors another way",
                          path, file->count);
    }
    size_t at = 0;
    for (size_t i = 0; i < EMBEDDING_TENSORS && status == NULL; i++) {
        status = check_tensor(api, path, config, sorted, file->count, prefix, -1, &embeddings[i], &out[at++]);
    }
    for (int64_t l = 0; l < config->num_hidden_layers && status == NULL; l++) {
        for (size_t i = 0; i < LAYER_TENSORS && status == NULL; i++) {
            status = check_tensor(api, path, config, sorted, file->count, prefix, l, &layer[i], &out[at++]);
        }
    }
    free(sorted);
    return status;
}

/* ------------------------------------------------------------------------------------------ */
/* Handing tensors to the host                                                                */
/* ------------------------------------------------------------------------------------------ */

/** Adds one checked tensor to the graph as an FP32 initializer named weight->name. */
static tsr_status *add_weight(const tsr_host_api *api, tsr_graph *graph, const weight *w, const tsp_st_file *file)
{
    const tsp_st_tensor *t = w->tensor;
    const unsigned char *bytes = file->data + t->begin;
    uint64_t elements = 1;
    for (uint32_t d = 0; d < t->ndim; d++) elements *= (uint64_t)t->shape[d];

    tsr_tensor_view view;
    memset(&view, 0, sizeof view);
    view.struct_size = (uint32_t)sizeof view;
    view.dtype = TSR_DTYPE_FP32;
    view.ndim = t->ndim;
    view.shape = t->shape;
    view.byte_size = elements * sizeof(float);
    tsr_release release = {(uint32_t)sizeof(tsr_release), NULL, NULL};

    if (t->dtype->dtype == TSR_DTYPE_FP32) {
        view.data = (void *)bytes;
        /* The engine reads floats in place, so only an aligned view is lent; the host copies the rest. */
        if ((uintptr_t)bytes % sizeof(float) == 0) tsp_mapping_hold_view(file->mapping, bytes, (size_t)view.byte_size, &release);
    } else {
        if (elements > SIZE_MAX / sizeof(float)) {
            return tsp_fail(api, TSR_ERR_UNSUPPORTED, PLUGIN_NAME, "tensor '%s' is too large to widen to F32", t->name);
        }
        float *wide = malloc(elements > 0 ? (size_t)elements * sizeof(float) : 1);
        if (wide == NULL) {
            return tsp_fail(api, TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME, "out of memory widening tensor '%s' (%s) to F32", t->name,
                            t->dtype->name);
        }
        int half = t->dtype->dtype == TSR_DTYPE_FP16;
        for (uint64_t i = 0; i < elements; i++) {
            uint16_t bits = tsp_read_le16(bytes + 2 * i);
            wide[i] = half ? tsp_half_to_float(bits) : tsp_bfloat16_to_float(bits);
        }
        view.data = wide;
        release.release = tsp_release_free;
        release.context = wide;
    }
    /* With a release, the host calls it exactly once, also when this fails. */
    tsr_status *added = api->graph_add_initializer(graph, w->name, &view, release.release != NULL ? &release : NULL);
    if (added != NULL) return tsp_wrap_host_error(api, added, PLUGIN_NAME, "adding tensor", w->name);
    return NULL;
}

#endif /* TESSERA_HF_WEIGHTS_H */

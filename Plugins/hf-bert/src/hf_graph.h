/*
 * hf_graph.h — the BERT encoder as a graph of ONNX ops, built through the host API.
 *
 * The hidden state stays 2-D, [batch * sequence, hidden], between the embeddings and the end
 * of the last layer, so every Linear is one Gemm with transB = 1 on the checkpoint's
 * [out, in] weight (which the engine packs once, with the bias fused), and only attention
 * reshapes to [batch, heads, sequence, head_size]. The query Gemm has alpha = beta =
 * 1/sqrt(head_size), which scales Q instead of the scores: the same product, one Div fewer.
 *
 * Each node's single output is named like the node, after the transformers module it
 * computes ("encoder.layer.3.attention.self.query"); constants are small initializers
 * named "const.*".
 *
 * Private to hf_bert.c, which includes it exactly once: every definition is static.
 */
#ifndef TESSERA_HF_GRAPH_H
#define TESSERA_HF_GRAPH_H

#include "hf_weights.h"

#include <float.h>

/** Builds a graph; after the first failure every call does nothing, so callers check once. */
typedef struct builder {
    const tsr_host_api *api;
    tsr_graph *graph;
    tsr_status *status;
} builder;

/** Adds node `name` computing value `name` from up to four inputs (NULL-terminated). */
static void node(builder *b, const char *op, const char *name, const char *const inputs[4], const tsr_attribute *attributes,
                 size_t attribute_count)
{
    if (b->status != NULL) return;
    size_t count = 0;
    while (count < 4 && inputs[count] != NULL) count++;
    const char *outputs[1] = {name};
    tsr_status *status = b->api->graph_add_node(b->graph, op, name, inputs, count, outputs, 1, attributes, attribute_count);
    if (status != NULL) b->status = tsp_wrap_host_error(b->api, status, PLUGIN_NAME, "adding node", name);
}

#define NODE(b, op, name, ...) node((b), (op), (name), (const char *const[4]){__VA_ARGS__, NULL}, NULL, 0)
#define NODE_ATTRS(b, op, name, attrs, ...) \
    node((b), (op), (name), (const char *const[4]){__VA_ARGS__, NULL}, (attrs), sizeof(attrs) / sizeof((attrs)[0]))

/** Adds a small constant (copied by the host: release NULL). */
static void constant(builder *b, const char *name, tsr_dtype dtype, const void *data, uint64_t byte_size, uint32_t ndim,
                     const int64_t *shape)
{
    if (b->status != NULL) return;
    tsr_tensor_view view;
    memset(&view, 0, sizeof view);
    view.struct_size = (uint32_t)sizeof view;
    view.dtype = dtype;
    view.ndim = ndim;
    view.shape = shape;
    view.data = (void *)data;
    view.byte_size = byte_size;
    tsr_status *status = b->api->graph_add_initializer(b->graph, name, &view, NULL);
    if (status != NULL) b->status = tsp_wrap_host_error(b->api, status, PLUGIN_NAME, "adding constant", name);
}

static void constant_ints(builder *b, const char *name, const int64_t *values, int64_t count)
{
    constant(b, name, TSR_DTYPE_INT64, values, (uint64_t)count * sizeof(int64_t), 1, &count);
}

static void constant_int(builder *b, const char *name, int64_t value)
{
    constant(b, name, TSR_DTYPE_INT64, &value, sizeof value, 0, NULL);
}

static void constant_float(builder *b, const char *name, float value)
{
    constant(b, name, TSR_DTYPE_FP32, &value, sizeof value, 0, NULL);
}

static void declare_value(builder *b, int output, const char *name, tsr_dtype dtype, uint32_t ndim, const int64_t *shape)
{
    if (b->status != NULL) return;
    tsr_value_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = (uint32_t)sizeof info;
    info.dtype = dtype;
    info.name = name;
    info.ndim = ndim;
    info.shape = shape;
    tsr_status *status = output ? b->api->graph_add_output(b->graph, &info) : b->api->graph_add_input(b->graph, &info);
    if (status != NULL) b->status = tsp_wrap_host_error(b->api, status, PLUGIN_NAME, output ? "declaring output" : "declaring input", name);
}

/* ------------------------------------------------------------------------------------------ */
/* The parts of the encoder                                                                   */
/* ------------------------------------------------------------------------------------------ */

/** Inputs, shared constants, the shape values reshapes need, and the additive attention mask. */
static void build_inputs(builder *b, const bert_config *c)
{
    const int64_t dynamic[2] = {TSR_DIM_DYNAMIC, TSR_DIM_DYNAMIC};
    declare_value(b, 0, "input_ids", TSR_DTYPE_INT64, 2, dynamic);
    declare_value(b, 0, "attention_mask", TSR_DTYPE_INT64, 2, dynamic);
    declare_value(b, 0, "token_type_ids", TSR_DTYPE_INT64, 2, dynamic);

    const int64_t heads_tail[2] = {c->num_attention_heads, c->head_size};
    const int64_t rows[2] = {-1, c->hidden_size};
    const int64_t axes_1_2[2] = {1, 2}, axis_1 = 1, axis_2 = 2;
    constant_int(b, "const.int64.0", 0);
    constant_int(b, "const.int64.1", 1);
    constant_ints(b, "const.axes.1", &axis_1, 1);
    constant_ints(b, "const.axes.2", &axis_2, 1);
    constant_ints(b, "const.axes.1_2", axes_1_2, 2);
    constant_ints(b, "const.heads", heads_tail, 2);
    constant_ints(b, "const.hidden", &c->hidden_size, 1);
    constant_ints(b, "const.rows", rows, 2);
    constant_float(b, "const.float.1", 1.0f);
    /* What transformers adds for a masked key: the most negative float (torch.finfo(float32).min). */
    constant_float(b, "const.float.mask", -FLT_MAX);

    /* [batch, sequence], then the targets of the reshapes into heads and back to 3-D. */
    NODE(b, "Shape", "input_shape", "input_ids");
    const tsr_attribute axis_0[] = {tsp_attr_int("axis", 0)};
    NODE_ATTRS(b, "Concat", "input_shape.heads", axis_0, "input_shape", "const.heads");
    NODE_ATTRS(b, "Concat", "input_shape.hidden", axis_0, "input_shape", "const.hidden");

    /* (1 - mask) * min, as [batch, 1, 1, sequence]: added to every head's scores. */
    const tsr_attribute to_float[] = {tsp_attr_int("to", 1)};
    NODE_ATTRS(b, "Cast", "attention_mask.float", to_float, "attention_mask");
    NODE(b, "Sub", "attention_mask.inverted", "const.float.1", "attention_mask.float");
    NODE(b, "Mul", "attention_mask.bias", "attention_mask.inverted", "const.float.mask");
    NODE(b, "Unsqueeze", "attention_mask.extended", "attention_mask.bias", "const.axes.1_2");
}

/** Word + token type + position embeddings, LayerNorm, as [batch * sequence, hidden]: "embeddings.output". */
static void build_embeddings(builder *b, const bert_config *c)
{
    NODE(b, "Gather", "embeddings.word_embeddings", "embeddings.word_embeddings.weight", "input_ids");
    NODE(b, "Gather", "embeddings.token_type_embeddings", "embeddings.token_type_embeddings.weight", "token_type_ids");
    NODE(b, "Gather", "embeddings.sequence_length", "input_shape", "const.int64.1");
    NODE(b, "Range", "embeddings.position_ids", "const.int64.0", "embeddings.sequence_length", "const.int64.1");
    NODE(b, "Gather", "embeddings.position_embeddings", "embeddings.position_embeddings.weight", "embeddings.position_ids");
    /* transformers' order: (words + token types) + positions. */
    NODE(b, "Add", "embeddings.sum", "embeddings.word_embeddings", "embeddings.token_type_embeddings");
    NODE(b, "Add", "embeddings.sum_positions", "embeddings.sum", "embeddings.position_embeddings");
    const tsr_attribute norm[] = {tsp_attr_int("axis", -1), tsp_attr_float("epsilon", c->layer_norm_eps)};
    NODE_ATTRS(b, "LayerNormalization", "embeddings.LayerNorm", norm, "embeddings.sum_positions", "embeddings.LayerNorm.weight",
               "embeddings.LayerNorm.bias");
    NODE(b, "Reshape", "embeddings.output", "embeddings.LayerNorm", "const.rows");
}

/**
 * The square root of a positive `x` by Newton's iteration, which ends within an ulp: the
 * plugin links libc only (the host loads it with RTLD_NOW), so no libm sqrt.
 */
static double square_root(double x)
{
    double root = x > 1 ? x : 1;
    for (int i = 0; i < 200; i++) {
        double next = 0.5 * (root + x / root);
        if (next >= root) break; /* from above, the iteration decreases until it converges */
        root = next;
    }
    return root;
}

/** "<prefix><suffix>" into out. */
static const char *name_of(char out[NAME_SIZE], const char *prefix, const char *suffix)
{
    snprintf(out, NAME_SIZE, "%s%s", prefix, suffix);
    return out;
}

/** Linear layer `module` (weights "<module>.weight" [out, in] and "<module>.bias") as Gemm transB = 1. */
static void linear(builder *b, const char *module, const char *input, double scale)
{
    char weight_name[NAME_SIZE], bias_name[NAME_SIZE];
    const tsr_attribute attributes[] = {tsp_attr_int("transB", 1), tsp_attr_float("alpha", scale), tsp_attr_float("beta", scale)};
    node(b, "Gemm", module,
         (const char *const[4]){input, name_of(weight_name, module, ".weight"), name_of(bias_name, module, ".bias"), NULL},
         attributes, scale == 1.0 ? 1 : 3);
}

/** Encoder layer `l` from value `input` ([batch * sequence, hidden]); its output is "encoder.layer.<l>.output.LayerNorm". */
static void build_layer(builder *b, const bert_config *c, int64_t l, const char *input)
{
    char p[NAME_SIZE];
    snprintf(p, sizeof p, "encoder.layer.%" PRId64 ".", l);
    char q[NAME_SIZE], k[NAME_SIZE], v[NAME_SIZE], qh[NAME_SIZE], kh[NAME_SIZE], vh[NAME_SIZE], qt[NAME_SIZE], kt[NAME_SIZE],
        vt[NAME_SIZE], scores[NAME_SIZE], masked[NAME_SIZE], probs[NAME_SIZE], context[NAME_SIZE], context_t[NAME_SIZE],
        merged[NAME_SIZE], attention[NAME_SIZE], residual1[NAME_SIZE], norm1[NAME_SIZE], inner[NAME_SIZE], act[NAME_SIZE],
        output[NAME_SIZE], residual2[NAME_SIZE], norm2[NAME_SIZE];

    /* Q (pre-scaled by 1/sqrt(head_size)), K, V: [B*S, H] -> [B, S, heads, dh] -> [B, heads, S, dh] (K: [B, heads, dh, S]). */
    linear(b, name_of(q, p, "attention.self.query"), input, 1.0 / square_root((double)c->head_size));
    linear(b, name_of(k, p, "attention.self.key"), input, 1.0);
    linear(b, name_of(v, p, "attention.self.value"), input, 1.0);
    NODE(b, "Reshape", name_of(qh, q, ".heads"), q, "input_shape.heads");
    NODE(b, "Reshape", name_of(kh, k, ".heads"), k, "input_shape.heads");
    NODE(b, "Reshape", name_of(vh, v, ".heads"), v, "input_shape.heads");
    const int64_t heads_first[4] = {0, 2, 1, 3}, keys_transposed[4] = {0, 2, 3, 1};
    const tsr_attribute perm_heads[] = {tsp_attr_ints("perm", heads_first, 4)};
    const tsr_attribute perm_keys[] = {tsp_attr_ints("perm", keys_transposed, 4)};
    NODE_ATTRS(b, "Transpose", name_of(qt, q, ".transpose"), perm_heads, qh);
    NODE_ATTRS(b, "Transpose", name_of(kt, k, ".transpose"), perm_keys, kh);
    NODE_ATTRS(b, "Transpose", name_of(vt, v, ".transpose"), perm_heads, vh);

    /* softmax(Q Kᵀ / sqrt(dh) + mask) V, heads merged back into [B*S, H]. */
    NODE(b, "MatMul", name_of(scores, p, "attention.self.scores"), qt, kt);
    NODE(b, "Add", name_of(masked, p, "attention.self.scores.masked"), scores, "attention_mask.extended");
    const tsr_attribute last_axis[] = {tsp_attr_int("axis", -1)};
    NODE_ATTRS(b, "Softmax", name_of(probs, p, "attention.self.probs"), last_axis, masked);
    NODE(b, "MatMul", name_of(context, p, "attention.self.context"), probs, vt);
    NODE_ATTRS(b, "Transpose", name_of(context_t, p, "attention.self.context.transpose"), perm_heads, context);
    NODE(b, "Reshape", name_of(merged, p, "attention.self.context.merged"), context_t, "const.rows");

    const tsr_attribute norm[] = {tsp_attr_int("axis", -1), tsp_attr_float("epsilon", c->layer_norm_eps)};
    char gamma[NAME_SIZE], beta[NAME_SIZE];
    linear(b, name_of(attention, p, "attention.output.dense"), merged, 1.0);
    NODE(b, "Add", name_of(residual1, p, "attention.output.residual"), attention, input);
    NODE_ATTRS(b, "LayerNormalization", name_of(norm1, p, "attention.output.LayerNorm"), norm, residual1,
               name_of(gamma, norm1, ".weight"), name_of(beta, norm1, ".bias"));

    linear(b, name_of(inner, p, "intermediate.dense"), norm1, 1.0);
    const tsr_attribute gelu[] = {tsp_attr_string("approximate", c->gelu_tanh ? "tanh" : "none")};
    NODE_ATTRS(b, "Gelu", name_of(act, p, "intermediate.act"), gelu, inner);
    linear(b, name_of(output, p, "output.dense"), act, 1.0);
    NODE(b, "Add", name_of(residual2, p, "output.residual"), output, norm1);
    NODE_ATTRS(b, "LayerNormalization", name_of(norm2, p, "output.LayerNorm"), norm, residual2, name_of(gamma, norm2, ".weight"),
               name_of(beta, norm2, ".bias"));
}

/**
 * "sentence_embedding": the mean of last_hidden_state over the tokens whose mask is 1, then
 * L2-normalized, as sentence-transformers computes it (the token count clamped to at least
 * 1e-9, the norm to at least 1e-12).
 */
static void build_mean_pooling(builder *b)
{
    constant_float(b, "const.float.count_min", 1e-9f);
    constant_float(b, "const.float.norm_min", 1e-12f);
    const tsr_attribute drop[] = {tsp_attr_int("keepdims", 0)};
    const tsr_attribute keep[] = {tsp_attr_int("keepdims", 1)};
    NODE(b, "Unsqueeze", "pooling.mask", "attention_mask.float", "const.axes.2");
    NODE(b, "Mul", "pooling.masked", "last_hidden_state", "pooling.mask");
    NODE_ATTRS(b, "ReduceSum", "pooling.sum", drop, "pooling.masked", "const.axes.1");
    NODE_ATTRS(b, "ReduceSum", "pooling.count", drop, "pooling.mask", "const.axes.1");
    NODE(b, "Less", "pooling.count.small", "pooling.count", "const.float.count_min");
    NODE(b, "Where", "pooling.count.clamped", "pooling.count.small", "const.float.count_min", "pooling.count");
    NODE(b, "Div", "pooling.mean", "pooling.sum", "pooling.count.clamped");
    NODE(b, "Mul", "pooling.square", "pooling.mean", "pooling.mean");
    NODE_ATTRS(b, "ReduceSum", "pooling.square_sum", keep, "pooling.square", "const.axes.1");
    NODE(b, "Sqrt", "pooling.norm", "pooling.square_sum");
    NODE(b, "Less", "pooling.norm.small", "pooling.norm", "const.float.norm_min");
    NODE(b, "Where", "pooling.norm.clamped", "pooling.norm.small", "const.float.norm_min", "pooling.norm");
    NODE(b, "Div", "sentence_embedding", "pooling.mean", "pooling.norm.clamped");
}

/** The whole encoder, after its weights were added; with `mean_pooling`, sentence_embedding too. */
static tsr_status *build_graph(const tsr_host_api *api, tsr_graph *graph, const bert_config *c, int mean_pooling)
{
    builder b = {api, graph, NULL};
    build_inputs(&b, c);
    build_embeddings(&b, c);
    char hidden[NAME_SIZE] = "embeddings.output";
    for (int64_t l = 0; l < c->num_hidden_layers; l++) {
        build_layer(&b, c, l, hidden);
        snprintf(hidden, sizeof hidden, "encoder.layer.%" PRId64 ".output.LayerNorm", l);
    }
    NODE(&b, "Reshape", "last_hidden_state", hidden, "input_shape.hidden");
    const int64_t hidden_shape[3] = {TSR_DIM_DYNAMIC, TSR_DIM_DYNAMIC, c->hidden_size};
    declare_value(&b, 1, "last_hidden_state", TSR_DTYPE_FP32, 3, hidden_shape);
    if (mean_pooling) {
        build_mean_pooling(&b);
        const int64_t embedding_shape[2] = {TSR_DIM_DYNAMIC, c->hidden_size};
        declare_value(&b, 1, "sentence_embedding", TSR_DTYPE_FP32, 2, embedding_shape);
    }
    return b.status;
}

#endif /* TESSERA_HF_GRAPH_H */

/*
 * hf_config.h — reading a transformers BertConfig from config.json.
 *
 * The sizes are required (transformers always writes them); hidden_act, layer_norm_eps and
 * position_embedding_type default as in BertConfig. Anything the graph cannot reproduce
 * (another architecture, an activation or position embedding it lacks, a decoder) is
 * TSR_ERR_UNSUPPORTED; a missing or malformed field is TSR_ERR_INVALID_ARGUMENT; text that is
 * not JSON is TSR_ERR_CORRUPT_DATA. Every message names the file and the field.
 *
 * Private to hf_bert.c, which includes it exactly once: every definition is static.
 */
#ifndef TESSERA_HF_CONFIG_H
#define TESSERA_HF_CONFIG_H

#include "hf_json.h"

/** What the graph needs from config.json. */
typedef struct bert_config {
    int64_t hidden_size;
    int64_t num_hidden_layers;
    int64_t num_attention_heads;
    int64_t intermediate_size;
    int64_t vocab_size;
    int64_t max_position_embeddings;
    int64_t type_vocab_size;
    int64_t head_size;     /**< hidden_size / num_attention_heads */
    double layer_norm_eps;
    int gelu_tanh;         /**< hidden_act is GELU's tanh approximation (else the exact, erf form) */
} bert_config;

/**
 * 1 when `root` describes a BERT: model_type "bert", or no model_type and "BertModel" among
 * the architectures. A model_type that is present and different wins over architectures.
 */
static int config_is_bert(const json_value *root)
{
    const json_value *model_type = json_get(root, "model_type");
    if (model_type != NULL) return model_type->kind == JSON_STRING && strcmp(model_type->string, "bert") == 0;
    const json_value *architectures = json_get(root, "architectures");
    if (architectures == NULL || architectures->kind != JSON_ARRAY) return 0;
    for (size_t i = 0; i < architectures->count; i++) {
        const json_value *name = &architectures->items[i];
        if (name->kind == JSON_STRING && strcmp(name->string, "BertModel") == 0) return 1;
    }
    return 0;
}

/** Reads and parses `path`; a status naming the file, the line and the column on bad JSON. */
static tsr_status *read_json_file(const tsr_host_api *api, const char *path, json_value *root)
{
    unsigned char *text;
    size_t length;
    tsr_status *status = read_small_file(api, path, TESSERA_HF_BERT_MAX_CONFIG, &text, &length);
    if (status != NULL) return status;
    json_error error;
    if (!json_parse(text, length, root, &error)) {
        size_t line, column;
        json_line_column(text, error.offset, &line, &column);
        status = error.out_of_memory
                     ? tsp_fail(api, TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME, "out of memory parsing '%s'", path)
                     : tsp_fail(api, TSR_ERR_CORRUPT_DATA, PLUGIN_NAME,
                                "'%s' is not valid JSON: %s at line %zu, column %zu (byte %zu)", path, error.message, line,
                                column, error.offset);
    } else if (root->kind != JSON_OBJECT) {
        status = tsp_fail(api, TSR_ERR_CORRUPT_DATA, PLUGIN_NAME, "'%s' must hold a JSON object, but it holds %s", path,
                          json_kind_description(root));
        json_free(root);
    }
    free(text);
    return status;
}

/** Reads the required integer `key`, which must lie in [min, max]. */
static tsr_status *config_int(const tsr_host_api *api, const char *path, const json_value *root, const char *key,
                              int64_t min, int64_t max, int64_t *out)
{
    const json_value *value = json_get(root, key);
    if (value == NULL) {
        return tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME,
                        "'%s' has no '%s'; a BERT config needs it (an integer, as transformers writes it)", path, key);
    }
    if (value->kind != JSON_NUMBER || !value->integral) {
        return tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME, "'%s': '%s' must be an integer, but it is %s", path, key,
                        json_kind_description(value));
    }
    if (value->integer < min || value->integer > max) {
        return tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME,
                        "'%s': '%s' is %" PRId64 "; it must be between %" PRId64 " and %" PRId64, path, key,
                        value->integer, min, max);
    }
    *out = value->integer;
    return NULL;
}

/** The optional string `key`, or `fallback` when absent; a status when it is not a string. */
static tsr_status *config_string(const tsr_host_api *api, const char *path, const json_value *root, const char *key,
                                 const char *fallback, const char **out)
{
    const json_value *value = json_get(root, key);
    *out = fallback;
    if (value == NULL) return NULL;
    if (value->kind != JSON_STRING) {
        return tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME, "'%s': '%s' must be a string, but it is %s", path, key,
                        json_kind_description(value));
    }
    *out = value->string;
    return NULL;
}

/** Checks that `root` is a BERT this plugin can build and fills *config. */
static tsr_status *parse_config(const tsr_host_api *api, const char *path, const json_value *root, bert_config *config)
{
    memset(config, 0, sizeof *config);
    if (!config_is_bert(root)) {
        const json_value *model_type = json_get(root, "model_type");
        if (model_type != NULL && model_type->kind == JSON_STRING) {
            return tsp_fail(api, TSR_ERR_UNSUPPORTED, PLUGIN_NAME,
                            "'%s' has model_type '%s'; the hf-bert format loads BERT encoders only (model_type \"bert\"). "
                            "Export the model to ONNX and load it with the 'onnx' format instead",
                            path, model_type->string);
        }
        return tsp_fail(api, TSR_ERR_UNSUPPORTED, PLUGIN_NAME,
                        "'%s' has %s model_type and no \"BertModel\" among its architectures; the hf-bert format loads "
                        "BERT encoders only (model_type \"bert\")",
                        path, model_type == NULL ? "no" : "a non-string");
    }
    const int64_t max = TESSERA_HF_BERT_MAX_DIMENSION;
    tsr_status *status = NULL;
    if (status == NULL) status = config_int(api, path, root, "hidden_size", 1, max, &config->hidden_size);
    if (status == NULL) status = config_int(api, path, root, "num_hidden_layers", 0, TESSERA_HF_BERT_MAX_LAYERS, &config->num_hidden_layers);
    if (status == NULL) status = config_int(api, path, root, "num_attention_heads", 1, config->hidden_size, &config->num_attention_heads);
    if (status == NULL) status = config_int(api, path, root, "intermediate_size", 1, max, &config->intermediate_size);
    if (status == NULL) status = config_int(api, path, root, "vocab_size", 1, max, &config->vocab_size);
    if (status == NULL) status = config_int(api, path, root, "max_position_embeddings", 1, max, &config->max_position_embeddings);
    if (status == NULL) status = config_int(api, path, root, "type_vocab_size", 1, max, &config->type_vocab_size);
    if (status != NULL) return status;
    if (config->hidden_size % config->num_attention_heads != 0) {
        return tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME,
                        "'%s': 'hidden_size' (%" PRId64 ") is not a multiple of 'num_attention_heads' (%" PRId64 ")", path,
                        config->hidden_size, config->num_attention_heads);
    }
    config->head_size = config->hidden_size / config->num_attention_heads;

    const char *act;
    status = config_string(api, path, root, "hidden_act", "gelu", &act);
    if (status != NULL) return status;
    if (strcmp(act, "gelu") == 0) {
        config->gelu_tanh = 0;
    } else if (strcmp(act, "gelu_new") == 0 || strcmp(act, "gelu_pytorch_tanh") == 0) {
        config->gelu_tanh = 1;
    } else {
        return tsp_fail(api, TSR_ERR_UNSUPPORTED, PLUGIN_NAME,
                        "'%s': hidden_act '%s' is not supported; hf-bert builds \"gelu\" (exact, with erf) and "
                        "\"gelu_new\" or \"gelu_pytorch_tanh\" (the tanh approximation)",
                        path, act);
    }

    const char *positions;
    status = config_string(api, path, root, "position_embedding_type", "absolute", &positions);
    if (status != NULL) return status;
    if (strcmp(positions, "absolute") != 0) {
        return tsp_fail(api, TSR_ERR_UNSUPPORTED, PLUGIN_NAME,
                        "'%s': position_embedding_type '%s' is not supported; hf-bert builds \"absolute\" position "
                        "embeddings only",
                        path, positions);
    }

    const json_value *decoder = json_get(root, "is_decoder");
    if (decoder != NULL && decoder->kind == JSON_TRUE) {
        return tsp_fail(api, TSR_ERR_UNSUPPORTED, PLUGIN_NAME,
                        "'%s': is_decoder is true (causal self-attention); hf-bert builds bidirectional encoders only", path);
    }

    const json_value *eps = json_get(root, "layer_norm_eps");
    config->layer_norm_eps = 1e-12; /* BertConfig's default */
    if (eps != NULL) {
        if (eps->kind != JSON_NUMBER) {
            return tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME, "'%s': 'layer_norm_eps' must be a number, but it is %s",
                            path, json_kind_description(eps));
        }
        if (!(eps->number >= 0 && eps->number <= 1)) {
            return tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME, "'%s': 'layer_norm_eps' is %g; it must be between 0 and 1",
                            path, eps->number);
        }
        config->layer_norm_eps = eps->number;
    }
    return NULL;
}

#endif /* TESSERA_HF_CONFIG_H */

/*
 * hf-bert — a Tessera format plugin for BERT encoders in the Hugging Face folder layout:
 * config.json (a transformers BertConfig) beside model.safetensors (the weights).
 *
 * probe() reads config.json only. load() reads the config (hf_config.h, with the small strict
 * JSON parser of hf_json.h), opens model.safetensors with the safetensors reader shared with
 * the safetensors plugin (Plugins/support: a strict header parser, layout checks and a
 * reference-counted read-only mapping), checks every tensor the encoder needs against the
 * config (hf_weights.h) and only then builds the graph (hf_graph.h): weights are handed to the
 * host as views into the mapping, without copying, and the encoder is expressed in ONNX ops
 * the engine runs (Gather, LayerNormalization, Gemm, MatMul, Softmax, Gelu, ...).
 *
 * Inputs input_ids, attention_mask and token_type_ids (INT64 [batch, sequence]); output
 * last_hidden_state (FP32 [batch, sequence, hidden_size]) and, with the setting
 * pooling = "mean", sentence_embedding (FP32 [batch, hidden_size]), mean-pooled over the mask
 * and L2-normalized as sentence-transformers does. Read-only: save is NULL.
 *
 * One translation unit (this file and the private hf_*.h files it includes once), so that
 * everything except tsr_plugin_entry is static, and the shared tsp_* helpers (Plugins/support)
 * are declared hidden: the library exports one symbol even when built without
 * -fvisibility=hidden.
 */
#define _POSIX_C_SOURCE 200809L

#include <tessera/tessera.h>

#include "tessera_hf_bert.h"

#include "hf_support.h" /* includes, paths, reading a small file */
#include "hf_json.h"    /* the JSON parser for config.json */
#include "hf_config.h"  /* config.json -> bert_config */
#include "hf_weights.h" /* finding, checking and handing over the tensors */
#include "hf_graph.h"   /* the encoder graph */

/* ------------------------------------------------------------------------------------------ */
/* Instance                                                                                   */
/* ------------------------------------------------------------------------------------------ */

typedef struct hf_bert {
    const tsr_host_api *api;
    tsr_host *host;
    int mean_pooling; /**< setting pooling = "mean" */
} hf_bert;

static const tsp_setting_spec k_settings[] = {
    {"pooling", TSR_SETTING_STRING, "pooling = \"mean\""},
};

static tsr_status *hf_bert_create(const tsr_host_api *api, tsr_host *host, void **instance)
{
    tsr_status *status;
    if (!tsp_create_begin(api, instance, PLUGIN_NAME, TSP_SIZE_THROUGH(tsr_host_api, graph_add_node), &status)) {
        return status;
    }
    status = tsp_check_settings(api, host, PLUGIN_NAME, k_settings, sizeof k_settings / sizeof k_settings[0]);
    if (status != NULL) return status;
    int mean_pooling = 0;
    const char *pooling = api->setting_string(host, "pooling");
    if (pooling != NULL && strcmp(pooling, "mean") == 0) {
        mean_pooling = 1;
    } else if (pooling != NULL && strcmp(pooling, "none") != 0) {
        return tsp_fail(api, TSR_ERR_INVALID_SETTING, PLUGIN_NAME,
                        "setting 'pooling' must be \"none\" (only last_hidden_state) or \"mean\" (also sentence_embedding), "
                        "but it is \"%s\"",
                        pooling);
    }
    hf_bert *self = calloc(1, sizeof *self);
    if (self == NULL) return api->status_create(TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME ": out of memory creating the instance");
    self->api = api;
    self->host = host;
    self->mean_pooling = mean_pooling;
    *instance = self;
    return NULL;
}

static tsr_status *hf_bert_activate(void *instance)
{
    hf_bert *self = instance;
    if (!tsp_host_is_little_endian()) {
        return self->api->status_create(TSR_ERR_UNSUPPORTED,
                                        PLUGIN_NAME ": safetensors data is little-endian and this plugin does not byte-swap; "
                                        "it cannot run on a big-endian machine");
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* probe                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static tsr_status *hf_bert_probe(void *instance, const char *path, float *confidence)
{
    hf_bert *self = instance;
    const tsr_host_api *api = self->api;
    if (confidence == NULL) {
        return api->status_create(TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME ": probe() was given a NULL confidence pointer");
    }
    *confidence = 0.0f;
    if (path == NULL || !is_directory(path)) return NULL;
    char *config_path = join_path(path, TESSERA_HF_BERT_CONFIG_FILE);
    char *weights_path = join_path(path, TESSERA_HF_BERT_WEIGHTS_FILE);
    json_value root;
    memset(&root, 0, sizeof root);
    /* An unreadable or invalid config is "not mine" here; load() says what is wrong with it. */
    tsr_status *status = config_path && weights_path ? read_json_file(api, config_path, &root) : NULL;
    if (status != NULL) {
        api->status_release(status);
    } else if (config_path && weights_path && config_is_bert(&root) && is_regular_file(weights_path)) {
        *confidence = TESSERA_HF_BERT_CONFIDENCE;
    }
    json_free(&root);
    free(config_path);
    free(weights_path);
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* load                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/** Reads config.json into *config. */
static tsr_status *load_config(const tsr_host_api *api, const char *config_path, bert_config *config)
{
    json_value root;
    tsr_status *status = read_json_file(api, config_path, &root);
    if (status != NULL) return status;
    status = parse_config(api, config_path, &root, config);
    json_free(&root);
    return status;
}

static tsr_status *hf_bert_load(void *instance, const char *path, tsr_graph *graph)
{
    hf_bert *self = instance;
    const tsr_host_api *api = self->api;
    if (path == NULL || graph == NULL) {
        return api->status_create(TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME ": load() needs a path and a graph, got NULL");
    }
    if (!is_directory(path)) {
        return tsp_fail(api, is_regular_file(path) ? TSR_ERR_INVALID_ARGUMENT : TSR_ERR_NOT_FOUND, PLUGIN_NAME,
                        "'%s' is not a folder; give the Hugging Face model folder that holds " TESSERA_HF_BERT_CONFIG_FILE
                        " and " TESSERA_HF_BERT_WEIGHTS_FILE,
                        path);
    }
    char *config_path = join_path(path, TESSERA_HF_BERT_CONFIG_FILE);
    char *weights_path = join_path(path, TESSERA_HF_BERT_WEIGHTS_FILE);
    weight *weights = NULL;
    tsp_st_file file;
    memset(&file, 0, sizeof file);
    bert_config config;
    tsr_status *status = NULL;
    if (config_path == NULL || weights_path == NULL) {
        status = tsp_fail(api, TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME, "out of memory loading '%s'", path);
    }
    if (status == NULL) status = load_config(api, config_path, &config);
    if (status == NULL) status = tsp_st_open(api, PLUGIN_NAME, weights_path, &file);
    if (status == NULL) {
        weights = calloc(weight_count(&config), sizeof *weights);
        if (weights == NULL) status = tsp_fail(api, TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME, "out of memory loading '%s'", path);
    }
    /* Everything is checked before the graph gets its first initializer. */
    if (status == NULL) status = resolve_weights(api, weights_path, &config, &file, weights);
    for (size_t i = 0; status == NULL && i < weight_count(&config); i++) status = add_weight(api, graph, &weights[i], &file);
    if (status == NULL) status = build_graph(api, graph, &config, self->mean_pooling);
    if (file.mapping != NULL) tsp_st_close(&file); /* the host's tensors keep the mapping alive */
    free(weights);
    free(config_path);
    free(weights_path);
    return status;
}

/* ------------------------------------------------------------------------------------------ */
/* Descriptor                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static const tsr_format_vtable k_format = {
    .struct_size = (uint32_t)sizeof(tsr_format_vtable),
    .format_name = TESSERA_HF_BERT_FORMAT_NAME,
    .extensions = NULL, /* a folder, not a file */
    .probe = hf_bert_probe,
    .load = hf_bert_load,
    .save = NULL, /* read-only: export with the safetensors or onnx format */
};

static const void *hf_bert_get_capability(void *instance, const char *capability_id)
{
    (void)instance;
    if (capability_id != NULL && strcmp(capability_id, TSR_CAP_FORMAT) == 0) return &k_format;
    return NULL;
}

static const char *const k_capabilities[] = {TSR_CAP_FORMAT, NULL};

static const tsr_plugin_descriptor k_descriptor = {
    .struct_size = (uint32_t)sizeof(tsr_plugin_descriptor),
    .abi_major = TSR_ABI_MAJOR,
    .abi_minor = TSR_ABI_MINOR,
    .min_abi_minor = 0,
    .fingerprint = TSR_ABI_FINGERPRINT_INIT,
    .id = TESSERA_HF_BERT_ID,
    .name = PLUGIN_NAME,
    .version = "0.1.0",
    .vendor = "Tessera",
    .description = "Loads Hugging Face BERT encoders (config.json + model.safetensors) as a runnable graph, weights zero-copy.",
    .capabilities = k_capabilities,
    .create = hf_bert_create,
    .get_capability = hf_bert_get_capability,
    .activate = hf_bert_activate,
    .deactivate = tsp_deactivate_nothing,
    .destroy = tsp_destroy_free,
};

TSR_EXPORT const tsr_plugin_descriptor *tsr_plugin_entry(void)
{
    return &k_descriptor;
}

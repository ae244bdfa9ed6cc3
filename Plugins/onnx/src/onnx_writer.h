/*
 * onnx_writer.h — writes a host graph as an ONNX ModelProto (save()), atomically.
 *
 * The model is IR version TESSERA_ONNX_SAVE_IR_VERSION with one opset import, the default
 * domain at TESSERA_ONNX_SAVE_OPSET (20, with IR version 9, when the graph uses Gelu, which
 * opset 20 introduced), and producer_name "tessera". Nodes, inputs and outputs
 * are encoded in memory; initializers are written as raw_data straight from the graph's
 * buffers, so saving a large model does not copy its weights. Message lengths are computed
 * before anything is written (protobuf puts each length in front of its message).
 *
 * Private to onnx.c, which includes it exactly once (all definitions are static).
 */
#ifndef TESSERA_ONNX_WRITER_H
#define TESSERA_ONNX_WRITER_H

#include "onnx_model.h"

/* ------------------------------------------------------------------------------------------ */
/* An output buffer with protobuf encoders                                                    */
/* ------------------------------------------------------------------------------------------ */

/** Growable bytes; once an allocation fails, out_of_memory is set and appends do nothing. */
typedef struct obuf {
    unsigned char *data;
    size_t length, capacity;
    int out_of_memory;
} obuf;

static void ob_append(obuf *b, const void *bytes, size_t count)
{
    if (b->out_of_memory || count == 0) return;
    if (b->capacity - b->length < count) {
        size_t capacity = b->capacity ? b->capacity : 256;
        while (capacity - b->length < count) {
            if (capacity > SIZE_MAX / 2) {
                b->out_of_memory = 1;
                return;
            }
            capacity *= 2;
        }
        unsigned char *grown = realloc(b->data, capacity);
        if (grown == NULL) {
            b->out_of_memory = 1;
            return;
        }
        b->data = grown;
        b->capacity = capacity;
    }
    memcpy(b->data + b->length, bytes, count);
    b->length += count;
}

static void ob_free(obuf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

static void ob_varint(obuf *b, uint64_t value)
{
    unsigned char bytes[10];
    size_t n = 0;
    do {
        unsigned char byte = (unsigned char)(value & 0x7F);
        value >>= 7;
        bytes[n++] = (unsigned char)(byte | (value ? 0x80 : 0));
    } while (value);
    ob_append(b, bytes, n);
}

static void ob_tag(obuf *b, uint32_t field, uint32_t wire)
{
    ob_varint(b, (uint64_t)field << 3 | wire);
}

static void ob_varint_field(obuf *b, uint32_t field, uint64_t value)
{
    ob_tag(b, field, PB_VARINT);
    ob_varint(b, value);
}

static void ob_bytes_field(obuf *b, uint32_t field, const void *bytes, size_t count)
{
    ob_tag(b, field, PB_LEN);
    ob_varint(b, count);
    ob_append(b, bytes, count);
}

static void ob_string_field(obuf *b, uint32_t field, const char *s)
{
    if (s == NULL) s = "";
    ob_bytes_field(b, field, s, strlen(s));
}

/** Appends `sub` as a length-delimited field. */
static void ob_message_field(obuf *b, uint32_t field, const obuf *sub)
{
    if (sub->out_of_memory) {
        b->out_of_memory = 1;
        return;
    }
    ob_bytes_field(b, field, sub->data, sub->length);
}

static void ob_fixed32(obuf *b, uint32_t value)
{
    unsigned char bytes[4] = {(unsigned char)value, (unsigned char)(value >> 8), (unsigned char)(value >> 16),
                              (unsigned char)(value >> 24)};
    ob_append(b, bytes, 4);
}

/* ------------------------------------------------------------------------------------------ */
/* Encoding the graph's parts                                                                 */
/* ------------------------------------------------------------------------------------------ */

typedef struct saver {
    const tsr_host_api *api;
    const tsr_graph *graph;
    const char *path;
    tsr_status *status;
    int64_t opset;                 /**< the opset to declare: raised by ops newer than the default */
} saver;

static int saver_fail(saver *s, tsr_status_code code, const char *format, ...) __attribute__((format(printf, 3, 4)));

/** Records "onnx: cannot save '<path>': <message>" (the first error wins); returns 0. */
static int saver_fail(saver *s, tsr_status_code code, const char *format, ...)
{
    if (s->status != NULL) return 0;
    char message[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    s->status = tsp_fail(s->api, code, PLUGIN_NAME, "cannot save '%s': %s", s->path, message);
    return 0;
}

/** Wraps a status from a graph reader; returns 0. */
static int saver_host_failed(saver *s, tsr_status *status, const char *what, size_t index)
{
    if (s->status == NULL) {
        s->status = tsp_fail(s->api, s->api->status_code(status), PLUGIN_NAME, "cannot save '%s': reading %s %zu failed: %s",
                             s->path, what, index, s->api->status_message(status));
    }
    s->api->status_release(status);
    return 0;
}

/** The ONNX data type of a Tessera dtype, or NULL (recorded error). */
static const onnx_dtype *onnx_type_of(saver *s, tsr_dtype dtype, const char *what, const char *name)
{
    const onnx_dtype *type = onnx_dtype_by_tsr(dtype);
    if (type == NULL) {
        saver_fail(s, TSR_ERR_INVALID_ARGUMENT, "%s '%s' has dtype %d, which has no ONNX equivalent", what, name ? name : "",
                   (int)dtype);
    }
    return type;
}

/** ValueInfoProto of a graph input or output; dynamic dimensions get dim_param "d<i>". */
static int encode_value_info(saver *s, const tsr_value_info *info, const char *what, uint32_t field, obuf *out)
{
    const onnx_dtype *type_info = onnx_type_of(s, info->dtype, what, info->name);
    if (type_info == NULL) return 0;
    int32_t elem_type = type_info->code;
    if (info->ndim > TSR_MAX_RANK || (info->ndim > 0 && info->shape == NULL)) {
        return saver_fail(s, TSR_ERR_INVALID_ARGUMENT, "%s '%s' has an invalid shape (rank %u)", what, info->name ? info->name : "",
                          (unsigned)info->ndim);
    }
    obuf shape = {0}, tensor = {0}, type = {0};
    for (uint32_t i = 0; i < info->ndim; i++) {
        obuf dim = {0};
        if (info->shape[i] < 0) {
            char param[16];
            snprintf(param, sizeof param, "d%u", (unsigned)i);
            ob_string_field(&dim, DIM_PARAM, param);
        } else {
            ob_varint_field(&dim, DIM_VALUE, (uint64_t)info->shape[i]);
        }
        ob_message_field(&shape, SHAPE_DIM, &dim);
        ob_free(&dim);
    }
    ob_varint_field(&tensor, TYPE_TENSOR_ELEM_TYPE, (uint64_t)elem_type);
    ob_message_field(&tensor, TYPE_TENSOR_SHAPE, &shape);
    ob_message_field(&type, TYPE_TENSOR, &tensor);
    obuf value = {0};
    ob_string_field(&value, VALUE_INFO_NAME, info->name);
    ob_message_field(&value, VALUE_INFO_TYPE, &type);
    ob_message_field(out, field, &value);
    ob_free(&shape);
    ob_free(&tensor);
    ob_free(&type);
    ob_free(&value);
    return 1;
}

/** A one-element TensorProto (dims [1]) for ConstantOfShape's `value`. */
static void encode_scalar_tensor(obuf *out, const tsr_attribute *attribute)
{
    obuf tensor = {0};
    ob_varint_field(&tensor, TENSOR_DIMS, 1);
    unsigned char raw[8];
    if (attribute->kind == TSR_ATTR_FLOAT || attribute->kind == TSR_ATTR_FLOATS) {
        double value = attribute->kind == TSR_ATTR_FLOAT ? attribute->f : attribute->floats[0];
        uint32_t bits = bits_from_float((float)value);
        for (int i = 0; i < 4; i++) raw[i] = (unsigned char)(bits >> (8 * i));
        ob_varint_field(&tensor, TENSOR_DATA_TYPE, 1); /* FLOAT */
        ob_bytes_field(&tensor, TENSOR_RAW_DATA, raw, 4);
    } else {
        int64_t value = attribute->kind == TSR_ATTR_INT ? attribute->i : attribute->ints[0];
        uint64_t bits = (uint64_t)value;
        for (int i = 0; i < 8; i++) raw[i] = (unsigned char)(bits >> (8 * i));
        ob_varint_field(&tensor, TENSOR_DATA_TYPE, 7); /* INT64 */
        ob_bytes_field(&tensor, TENSOR_RAW_DATA, raw, 8);
    }
    ob_message_field(out, ATTR_T, &tensor);
    ob_free(&tensor);
}

static int encode_attribute(saver *s, const char *op_type, const char *node_name, const tsr_attribute *attribute, obuf *out)
{
    const char *name = attribute->name ? attribute->name : "";
    if ((attribute->kind == TSR_ATTR_INTS && attribute->count > 0 && attribute->ints == NULL) ||
        (attribute->kind == TSR_ATTR_FLOATS && attribute->count > 0 && attribute->floats == NULL)) {
        return saver_fail(s, TSR_ERR_INVALID_ARGUMENT, "attribute '%s' of node '%s' has %zu values but no array", name, node_name,
                          attribute->count);
    }
    obuf a = {0};
    ob_string_field(&a, ATTR_NAME, name);
    int64_t type;
    int scalar_list = (attribute->kind == TSR_ATTR_INTS || attribute->kind == TSR_ATTR_FLOATS) && attribute->count == 1;
    if (strcmp(op_type, "ConstantOfShape") == 0 && strcmp(name, "value") == 0 &&
        (attribute->kind == TSR_ATTR_FLOAT || attribute->kind == TSR_ATTR_INT || scalar_list)) {
        /* ONNX wants a one-element tensor here; the host keeps a number (see load). */
        encode_scalar_tensor(&a, attribute);
        type = ATYPE_TENSOR;
    } else {
        switch (attribute->kind) {
        case TSR_ATTR_INT:
            ob_varint_field(&a, ATTR_I, (uint64_t)attribute->i);
            type = ATYPE_INT;
            break;
        case TSR_ATTR_FLOAT:
            ob_tag(&a, ATTR_F, PB_FIXED32);
            ob_fixed32(&a, bits_from_float((float)attribute->f));
            type = ATYPE_FLOAT;
            break;
        case TSR_ATTR_STRING:
            ob_string_field(&a, ATTR_S, attribute->s);
            type = ATYPE_STRING;
            break;
        case TSR_ATTR_INTS: {
            obuf packed = {0};
            for (size_t i = 0; i < attribute->count; i++) ob_varint(&packed, (uint64_t)attribute->ints[i]);
            if (attribute->count > 0) ob_message_field(&a, ATTR_INTS, &packed);
            ob_free(&packed);
            type = ATYPE_INTS;
            break;
        }
        case TSR_ATTR_FLOATS: {
            obuf packed = {0};
            for (size_t i = 0; i < attribute->count; i++) ob_fixed32(&packed, bits_from_float((float)attribute->floats[i]));
            if (attribute->count > 0) ob_message_field(&a, ATTR_FLOATS, &packed);
            ob_free(&packed);
            type = ATYPE_FLOATS;
            break;
        }
        default:
            ob_free(&a);
            return saver_fail(s, TSR_ERR_INVALID_ARGUMENT, "attribute '%s' of node '%s' has unknown kind %d", name, node_name,
                              (int)attribute->kind);
        }
    }
    ob_varint_field(&a, ATTR_TYPE, (uint64_t)type);
    ob_message_field(out, NODE_ATTRIBUTE, &a);
    ob_free(&a);
    return 1;
}

static int encode_node(saver *s, size_t index, obuf *out)
{
    tsr_node_info node;
    memset(&node, 0, sizeof node);
    node.struct_size = (uint32_t)sizeof node;
    tsr_status *status = s->api->graph_node(s->graph, index, &node);
    if (status != NULL) return saver_host_failed(s, status, "node", index);
    const char *op_type = node.op_type ? node.op_type : "";
    const char *name = node.name ? node.name : "";
    if (op_type[0] == '\0') return saver_fail(s, TSR_ERR_INVALID_ARGUMENT, "node %zu ('%s') has no op_type", index, name);
    obuf n = {0};
    for (size_t i = 0; i < node.input_count; i++) ob_string_field(&n, NODE_INPUT, node.inputs ? node.inputs[i] : NULL);
    for (size_t i = 0; i < node.output_count; i++) ob_string_field(&n, NODE_OUTPUT, node.outputs ? node.outputs[i] : NULL);
    if (name[0] != '\0') ob_string_field(&n, NODE_NAME, name);
    ob_string_field(&n, NODE_OP_TYPE, op_type);
    /* Gelu entered the default domain in opset 20; declaring 17 would make the file invalid. */
    if (strcmp(op_type, "Gelu") == 0 && s->opset < 20) s->opset = 20;
    for (size_t i = 0; i < node.attribute_count; i++) {
        tsr_attribute attribute;
        memset(&attribute, 0, sizeof attribute);
        attribute.struct_size = (uint32_t)sizeof attribute;
        status = s->api->graph_node_attribute(s->graph, index, i, &attribute);
        if (status != NULL) {
            ob_free(&n);
            return saver_host_failed(s, status, "an attribute of node", index);
        }
        if (!encode_attribute(s, op_type, name, &attribute, &n)) {
            ob_free(&n);
            return 0;
        }
    }
    ob_message_field(out, GRAPH_NODE, &n);
    ob_free(&n);
    return 1;
}

/** One initializer: its TensorProto without the raw bytes, and where those are. */
typedef struct saved_tensor {
    size_t header_at, header_length; /**< in the shared header buffer: dims, data_type, name, raw_data key+length */
    const void *data;
    uint64_t byte_size;
} saved_tensor;

static int encode_initializer(saver *s, size_t index, obuf *headers, saved_tensor *out)
{
    const char *name = NULL;
    tsr_tensor_view view;
    memset(&view, 0, sizeof view);
    view.struct_size = (uint32_t)sizeof view;
    tsr_status *status = s->api->graph_initializer(s->graph, index, &name, &view);
    if (status != NULL) return saver_host_failed(s, status, "initializer", index);
    if (name == NULL || name[0] == '\0') return saver_fail(s, TSR_ERR_INVALID_ARGUMENT, "initializer %zu has no name", index);
    const onnx_dtype *type = onnx_type_of(s, view.dtype, "initializer", name);
    if (type == NULL) return 0;
    int32_t data_type = type->code;
    if (view.ndim > TSR_MAX_RANK || (view.ndim > 0 && view.shape == NULL)) {
        return saver_fail(s, TSR_ERR_INVALID_ARGUMENT, "initializer '%s' has an invalid shape (rank %u)", name, (unsigned)view.ndim);
    }
    /* The element count as the host and the loader compute it (in order, bounded by INT64_MAX),
       then the bytes: a running product of bytes would refuse shapes such as [2^61, 0] of
       DOUBLE, which the loader accepts (found by fuzz/). */
    uint64_t count = 1;
    for (uint32_t d = 0; d < view.ndim; d++) {
        if (view.shape[d] < 0 || (view.shape[d] != 0 && count > (uint64_t)INT64_MAX / (uint64_t)view.shape[d])) {
            return saver_fail(s, TSR_ERR_INVALID_ARGUMENT, "initializer '%s' has an invalid dimension %" PRId64, name, view.shape[d]);
        }
        count *= (uint64_t)view.shape[d];
    }
    if (count > UINT64_MAX / type->size) {
        return saver_fail(s, TSR_ERR_INVALID_ARGUMENT, "initializer '%s' has %" PRIu64 " elements, too many to store", name, count);
    }
    uint64_t bytes = count * type->size;
    if (bytes != view.byte_size || (bytes > 0 && view.data == NULL)) {
        return saver_fail(s, TSR_ERR_INVALID_ARGUMENT, "initializer '%s' has byte_size %" PRIu64 " but its dtype and shape need %" PRIu64,
                          name, view.byte_size, bytes);
    }
    obuf header = {0};
    for (uint32_t d = 0; d < view.ndim; d++) ob_varint_field(&header, TENSOR_DIMS, (uint64_t)view.shape[d]);
    ob_varint_field(&header, TENSOR_DATA_TYPE, (uint64_t)data_type);
    ob_string_field(&header, TENSOR_NAME, name);
    ob_tag(&header, TENSOR_RAW_DATA, PB_LEN);
    ob_varint(&header, bytes);
    /* The TensorProto field of the graph: key, length, header, then the raw bytes. */
    out->header_at = headers->length;
    ob_tag(headers, GRAPH_INITIALIZER, PB_LEN);
    ob_varint(headers, (uint64_t)header.length + bytes);
    ob_append(headers, header.data, header.length);
    out->header_length = headers->length - out->header_at;
    out->data = view.data;
    out->byte_size = bytes;
    int ok = !header.out_of_memory;
    ob_free(&header);
    if (!ok) headers->out_of_memory = 1;
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Writing the file                                                                           */
/* ------------------------------------------------------------------------------------------ */

/** The pieces of the file, in order. */
typedef struct model_parts {
    obuf head;          /**< ModelProto fields before the graph, and the graph's key and length */
    obuf nodes;         /**< GraphProto: nodes and name */
    obuf headers;       /**< GraphProto: each initializer up to its raw bytes */
    saved_tensor *tensors;
    size_t tensor_count;
    obuf values;        /**< GraphProto: inputs and outputs */
    obuf tail;          /**< ModelProto fields after the graph: opset_import */
} model_parts;

static void free_parts(model_parts *p)
{
    ob_free(&p->head);
    ob_free(&p->nodes);
    ob_free(&p->headers);
    ob_free(&p->values);
    ob_free(&p->tail);
    free(p->tensors);
}

static int encode_model(saver *s, model_parts *p, uint64_t *total)
{
    tsr_graph_summary summary;
    memset(&summary, 0, sizeof summary);
    summary.struct_size = (uint32_t)sizeof summary;
    tsr_status *status = s->api->graph_summary(s->graph, &summary);
    if (status != NULL) return saver_host_failed(s, status, "the graph summary", 0);

    for (size_t i = 0; i < summary.node_count; i++) {
        if (!encode_node(s, i, &p->nodes)) return 0;
    }
    ob_string_field(&p->nodes, GRAPH_NAME, "tessera");

    p->tensors = calloc(summary.initializer_count > 0 ? summary.initializer_count : 1, sizeof *p->tensors);
    if (p->tensors == NULL) return saver_fail(s, TSR_ERR_OUT_OF_MEMORY, "out of memory listing %zu initializers", summary.initializer_count);
    for (size_t i = 0; i < summary.initializer_count; i++) {
        if (!encode_initializer(s, i, &p->headers, &p->tensors[i])) return 0;
        p->tensor_count++;
    }

    for (size_t i = 0; i < summary.input_count + summary.output_count; i++) {
        int is_input = i < summary.input_count;
        size_t index = is_input ? i : i - summary.input_count;
        tsr_value_info info;
        memset(&info, 0, sizeof info);
        info.struct_size = (uint32_t)sizeof info;
        status = is_input ? s->api->graph_input(s->graph, index, &info) : s->api->graph_output(s->graph, index, &info);
        if (status != NULL) return saver_host_failed(s, status, is_input ? "graph input" : "graph output", index);
        if (!encode_value_info(s, &info, is_input ? "graph input" : "graph output", is_input ? GRAPH_INPUT : GRAPH_OUTPUT,
                               &p->values)) {
            return 0;
        }
    }

    uint64_t graph_size = (uint64_t)p->nodes.length + p->headers.length + p->values.length;
    for (size_t i = 0; i < p->tensor_count; i++) graph_size += p->tensors[i].byte_size;

    /* IR version 9 is the first that may import opset 19 and later. */
    ob_varint_field(&p->head, MODEL_IR_VERSION, s->opset >= 19 ? 9 : TESSERA_ONNX_SAVE_IR_VERSION);
    ob_string_field(&p->head, MODEL_PRODUCER_NAME, "tessera");
    if (s->api->host_version != NULL && s->api->host_version[0] != '\0') {
        ob_string_field(&p->head, MODEL_PRODUCER_VERSION, s->api->host_version);
    }
    ob_tag(&p->head, MODEL_GRAPH, PB_LEN);
    ob_varint(&p->head, graph_size);

    obuf opset = {0};
    ob_string_field(&opset, OPSET_DOMAIN, "");
    ob_varint_field(&opset, OPSET_VERSION, (uint64_t)s->opset);
    ob_message_field(&p->tail, MODEL_OPSET_IMPORT, &opset);
    ob_free(&opset);

    if (p->head.out_of_memory || p->nodes.out_of_memory || p->headers.out_of_memory || p->values.out_of_memory ||
        p->tail.out_of_memory) {
        return saver_fail(s, TSR_ERR_OUT_OF_MEMORY, "out of memory encoding the model");
    }
    *total = (uint64_t)p->head.length + graph_size + p->tail.length;
    if (*total > TESSERA_ONNX_MAX_SAVE_BYTES) {
        return saver_fail(s, TSR_ERR_UNSUPPORTED,
                          "the model would be %" PRIu64 " bytes; protobuf (and so ONNX) cannot read a single file of 2 GiB "
                          "or more, and this plugin does not write external data",
                          *total);
    }
    return 1;
}

static tsr_status *write_onnx(const tsr_host_api *api, const tsr_graph *graph, const char *path)
{
    if (graph == NULL || path == NULL || path[0] == '\0') {
        return api->status_create(TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME ": save() needs a graph and a path, got NULL or empty");
    }
    saver s = {api, graph, path, NULL, TESSERA_ONNX_SAVE_OPSET};
    model_parts parts;
    memset(&parts, 0, sizeof parts);
    uint64_t total = 0;
    if (!encode_model(&s, &parts, &total)) {
        free_parts(&parts);
        return s.status != NULL ? s.status : tsp_fail(api, TSR_ERR_INTERNAL, PLUGIN_NAME, "cannot save '%s' (no reason recorded)", path);
    }

    tsp_save save;
    tsp_save_begin(&save, path);
    tsp_save_write(&save, parts.head.data, parts.head.length);
    tsp_save_write(&save, parts.nodes.data, parts.nodes.length);
    for (size_t i = 0; i < parts.tensor_count; i++) {
        const saved_tensor *t = &parts.tensors[i];
        tsp_save_write(&save, parts.headers.data + t->header_at, t->header_length);
        tsp_save_write(&save, t->data, t->byte_size);
    }
    tsp_save_write(&save, parts.values.data, parts.values.length);
    tsp_save_write(&save, parts.tail.data, parts.tail.length);
    tsr_status *status = tsp_save_finish(&save, api, PLUGIN_NAME);
    free_parts(&parts);
    return status;
}

#endif /* TESSERA_ONNX_WRITER_H */

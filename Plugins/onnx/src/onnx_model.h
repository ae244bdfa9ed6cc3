/*
 * onnx_model.h — decodes the part of onnx.proto that load() needs, on top of onnx_wire.h.
 *
 * Every decoded struct points into the file mapping (pb_slice); nothing is copied here.
 * Repeated sub-messages (a graph's nodes, initializers, inputs and outputs) are kept as
 * slices and decoded one at a time when the graph is built, and repeated scalars (dims, ints,
 * float_data ...) are counted here and read with pb_repeated later. A message that
 * appears where the schema has a singular message field more than once is refused rather than
 * merged (no ONNX writer produces that).
 *
 * Field numbers are those of onnx.proto (ONNX IR version 10/11).
 *
 * Private to onnx.c, which includes it exactly once (all definitions are static).
 */
#ifndef TESSERA_ONNX_MODEL_H
#define TESSERA_ONNX_MODEL_H

#include "onnx_wire.h"

/* ModelProto */
enum { MODEL_IR_VERSION = 1, MODEL_PRODUCER_NAME = 2, MODEL_PRODUCER_VERSION = 3, MODEL_GRAPH = 7, MODEL_OPSET_IMPORT = 8,
       MODEL_METADATA_PROPS = 14, MODEL_FUNCTIONS = 25 };
/* OperatorSetIdProto */
enum { OPSET_DOMAIN = 1, OPSET_VERSION = 2 };
/* GraphProto */
enum { GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INITIALIZER = 5, GRAPH_INPUT = 11, GRAPH_OUTPUT = 12, GRAPH_SPARSE_INITIALIZER = 15 };
/* NodeProto */
enum { NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP_TYPE = 4, NODE_ATTRIBUTE = 5, NODE_DOMAIN = 7 };
/* AttributeProto */
enum { ATTR_NAME = 1, ATTR_F = 2, ATTR_I = 3, ATTR_S = 4, ATTR_T = 5, ATTR_G = 6, ATTR_FLOATS = 7, ATTR_INTS = 8,
       ATTR_STRINGS = 9, ATTR_TENSORS = 10, ATTR_GRAPHS = 11, ATTR_TP = 14, ATTR_TYPE_PROTOS = 15, ATTR_TYPE = 20,
       ATTR_REF_ATTR_NAME = 21, ATTR_SPARSE_TENSOR = 22, ATTR_SPARSE_TENSORS = 23 };
/* AttributeProto.AttributeType */
enum { ATYPE_UNDEFINED = 0, ATYPE_FLOAT = 1, ATYPE_INT = 2, ATYPE_STRING = 3, ATYPE_TENSOR = 4, ATYPE_GRAPH = 5,
       ATYPE_FLOATS = 6, ATYPE_INTS = 7, ATYPE_STRINGS = 8, ATYPE_TENSORS = 9, ATYPE_GRAPHS = 10, ATYPE_SPARSE_TENSOR = 11,
       ATYPE_SPARSE_TENSORS = 12, ATYPE_TYPE_PROTO = 13, ATYPE_TYPE_PROTOS = 14 };
/* TensorProto */
enum { TENSOR_DIMS = 1, TENSOR_DATA_TYPE = 2, TENSOR_SEGMENT = 3, TENSOR_FLOAT_DATA = 4, TENSOR_INT32_DATA = 5,
       TENSOR_STRING_DATA = 6, TENSOR_INT64_DATA = 7, TENSOR_NAME = 8, TENSOR_RAW_DATA = 9, TENSOR_DOUBLE_DATA = 10,
       TENSOR_UINT64_DATA = 11, TENSOR_EXTERNAL_DATA = 13, TENSOR_DATA_LOCATION = 14 };
/* TensorProto.DataLocation */
enum { LOCATION_DEFAULT = 0, LOCATION_EXTERNAL = 1 };
/* StringStringEntryProto */
enum { ENTRY_KEY = 1, ENTRY_VALUE = 2 };
/* ValueInfoProto, TypeProto, TypeProto.Tensor, TensorShapeProto, TensorShapeProto.Dimension */
enum { VALUE_INFO_NAME = 1, VALUE_INFO_TYPE = 2 };
enum { TYPE_TENSOR = 1, TYPE_SEQUENCE = 4, TYPE_MAP = 5, TYPE_OPAQUE = 7, TYPE_SPARSE_TENSOR = 8, TYPE_OPTIONAL = 9 };
enum { TYPE_TENSOR_ELEM_TYPE = 1, TYPE_TENSOR_SHAPE = 2 };
enum { SHAPE_DIM = 1 };
enum { DIM_VALUE = 1, DIM_PARAM = 2 };

/** Ranks above this are not merely unsupported but implausible, and reported as corrupt. */
#define MAX_PLAUSIBLE_RANK 64

/** Refuses a second occurrence of a singular message field. */
static int take_once(decoder *d, const pb_reader *r, const pb_field *f, int *seen, const char *name)
{
    if (!pb_expect(d, r, f, PB_LEN, name)) return 0;
    if (*seen) {
        return decoder_corrupt(d, f->start, r->what, "message field '%s' appears twice (merged messages are not supported)",
                               name);
    }
    *seen = 1;
    return 1;
}

/** Reads a varint field as int64 (two's complement, as protobuf encodes negative int64/int32). */
static int64_t as_int64(uint64_t value)
{
    return value <= (uint64_t)INT64_MAX ? (int64_t)value : -(int64_t)(~value) - 1;
}

/* ------------------------------------------------------------------------------------------ */
/* StringStringEntryProto                                                                     */
/* ------------------------------------------------------------------------------------------ */

static int decode_entry(decoder *d, pb_slice message, int depth, pb_slice *key, pb_slice *value)
{
    pb_reader r;
    if (!pb_open(d, &r, message, "StringStringEntryProto", depth)) return 0;
    key->data = value->data = message.data;
    key->size = value->size = 0;
    pb_field f;
    int more;
    while ((more = pb_next(d, &r, &f)) > 0) {
        if (f.number == ENTRY_KEY && !pb_expect_string(d, &r, &f, "key", key)) return 0;
        if (f.number == ENTRY_VALUE && !pb_expect_string(d, &r, &f, "value", value)) return 0;
    }
    return more == 0;
}

/* ------------------------------------------------------------------------------------------ */
/* ModelProto                                                                                 */
/* ------------------------------------------------------------------------------------------ */

typedef struct onnx_model {
    int has_ir_version;
    int64_t ir_version;
    pb_slice producer_name, producer_version;
    int has_graph;
    pb_slice graph;
    int has_opset;
    int64_t opset;             /**< version of the default domain ("" or "ai.onnx") */
    size_t opset_entries;
    size_t metadata_count;
    size_t function_count;
} onnx_model;

/** Reads one OperatorSetIdProto; keeps the default domain's version. */
static int decode_opset(decoder *d, pb_slice message, int depth, onnx_model *m)
{
    pb_reader r;
    if (!pb_open(d, &r, message, "OperatorSetIdProto", depth)) return 0;
    pb_slice domain = {message.data, 0};
    int64_t version = 0;
    pb_field f;
    int more;
    while ((more = pb_next(d, &r, &f)) > 0) {
        if (f.number == OPSET_DOMAIN && !pb_expect_string(d, &r, &f, "domain", &domain)) return 0;
        if (f.number == OPSET_VERSION) {
            if (!pb_expect(d, &r, &f, PB_VARINT, "version")) return 0;
            version = as_int64(f.value);
        }
    }
    if (more < 0) return 0;
    m->opset_entries++;
    if (domain.size == 0 || slice_equals(domain, "ai.onnx")) {
        if (m->has_opset) {
            return decoder_bad(d, message.data,
                               "the default ONNX domain is listed twice (opset %" PRId64 " and %" PRId64 ")", m->opset,
                               version);
        }
        m->has_opset = 1;
        m->opset = version;
    }
    return 1;
}

static int decode_model(decoder *d, pb_slice file, onnx_model *m)
{
    memset(m, 0, sizeof *m);
    pb_reader r;
    if (!pb_open(d, &r, file, "ModelProto", 1)) return 0;
    pb_field f;
    int more;
    while ((more = pb_next(d, &r, &f)) > 0) {
        switch (f.number) {
        case MODEL_IR_VERSION:
            if (!pb_expect(d, &r, &f, PB_VARINT, "ir_version")) return 0;
            m->has_ir_version = 1;
            m->ir_version = as_int64(f.value);
            break;
        case MODEL_PRODUCER_NAME:
            if (!pb_expect_string(d, &r, &f, "producer_name", &m->producer_name)) return 0;
            break;
        case MODEL_PRODUCER_VERSION:
            if (!pb_expect_string(d, &r, &f, "producer_version", &m->producer_version)) return 0;
            break;
        case MODEL_GRAPH:
            if (!take_once(d, &r, &f, &m->has_graph, "graph")) return 0;
            m->graph = f.bytes;
            break;
        case MODEL_OPSET_IMPORT:
            if (!pb_expect(d, &r, &f, PB_LEN, "opset_import") || !decode_opset(d, f.bytes, r.depth + 1, m)) return 0;
            break;
        case MODEL_METADATA_PROPS: {
            pb_slice key, value;
            if (!pb_expect(d, &r, &f, PB_LEN, "metadata_props") || !decode_entry(d, f.bytes, r.depth + 1, &key, &value)) return 0;
            m->metadata_count++;
            break;
        }
        case MODEL_FUNCTIONS:
            if (!pb_expect(d, &r, &f, PB_LEN, "functions")) return 0;
            m->function_count++;
            break;
        default:
            break; /* doc_string, domain, model_version, training_info, ...: not needed */
        }
    }
    return more == 0;
}

/* ------------------------------------------------------------------------------------------ */
/* GraphProto                                                                                 */
/* ------------------------------------------------------------------------------------------ */

/** A growable array of slices. */
typedef struct slice_list {
    pb_slice *items;
    size_t count;
} slice_list;

typedef struct onnx_graph {
    pb_slice name;
    slice_list nodes, initializers, inputs, outputs;
    size_t sparse_initializer_count;
    int depth;               /**< of the GraphProto reader; its children are one deeper */
} onnx_graph;

static void free_graph(onnx_graph *g)
{
    free(g->nodes.items);
    free(g->initializers.items);
    free(g->inputs.items);
    free(g->outputs.items);
    memset(g, 0, sizeof *g);
}

/** Two passes: count each repeated message, allocate exactly, then record the slices. */
static int decode_graph(decoder *d, pb_slice message, int depth, onnx_graph *g)
{
    memset(g, 0, sizeof *g);
    g->depth = depth;
    g->name.data = message.data;
    pb_reader r;
    if (!pb_open(d, &r, message, "GraphProto", depth)) return 0;
    size_t counts[4] = {0, 0, 0, 0};
    pb_field f;
    int more;
    while ((more = pb_next(d, &r, &f)) > 0) {
        switch (f.number) {
        case GRAPH_NODE:
            if (!pb_expect(d, &r, &f, PB_LEN, "node")) return 0;
            counts[0]++;
            break;
        case GRAPH_INITIALIZER:
            if (!pb_expect(d, &r, &f, PB_LEN, "initializer")) return 0;
            counts[1]++;
            break;
        case GRAPH_INPUT:
            if (!pb_expect(d, &r, &f, PB_LEN, "input")) return 0;
            counts[2]++;
            break;
        case GRAPH_OUTPUT:
            if (!pb_expect(d, &r, &f, PB_LEN, "output")) return 0;
            counts[3]++;
            break;
        case GRAPH_NAME:
            if (!pb_expect_string(d, &r, &f, "name", &g->name)) return 0;
            break;
        case GRAPH_SPARSE_INITIALIZER:
            if (!pb_expect(d, &r, &f, PB_LEN, "sparse_initializer")) return 0;
            g->sparse_initializer_count++;
            break;
        default:
            break; /* value_info, doc_string, quantization_annotation, metadata_props */
        }
    }
    if (more < 0) return 0;
    slice_list *lists[4] = {&g->nodes, &g->initializers, &g->inputs, &g->outputs};
    for (int i = 0; i < 4; i++) {
        lists[i]->items = calloc(counts[i] > 0 ? counts[i] : 1, sizeof(pb_slice));
        if (lists[i]->items == NULL) {
            return decoder_fail(d, TSR_ERR_OUT_OF_MEMORY, "out of memory listing %zu graph entries", counts[i]);
        }
    }
    if (!pb_open(d, &r, message, "GraphProto", depth)) return 0;
    while ((more = pb_next(d, &r, &f)) > 0) {
        int which = f.number == GRAPH_NODE ? 0 : f.number == GRAPH_INITIALIZER ? 1 : f.number == GRAPH_INPUT ? 2
                  : f.number == GRAPH_OUTPUT ? 3 : -1;
        if (which < 0) continue;
        lists[which]->items[lists[which]->count++] = f.bytes;
    }
    return more == 0;
}

/* ------------------------------------------------------------------------------------------ */
/* TensorProto                                                                                */
/* ------------------------------------------------------------------------------------------ */

typedef struct onnx_tensor {
    pb_reader message;          /**< for the second pass over typed data */
    const unsigned char *start;
    pb_slice name;
    int has_data_type;
    int64_t data_type;
    uint64_t rank;              /**< dims seen; only the first TSR_MAX_RANK are stored */
    int64_t dims[TSR_MAX_RANK];
    int has_raw;
    pb_slice raw;
    uint64_t typed_count[12];   /**< elements per typed field, indexed by field number */
    int64_t data_location;
    int has_segment;
    int has_location, has_offset, has_length;
    pb_slice location, offset, length;
} onnx_tensor;

/** Reads an external_data entry; refuses a key listed twice. */
static int decode_external_entry(decoder *d, const pb_reader *r, const pb_field *f, onnx_tensor *t)
{
    pb_slice key, value;
    if (!pb_expect(d, r, f, PB_LEN, "external_data") || !decode_entry(d, f->bytes, r->depth + 1, &key, &value)) return 0;
    int *seen = NULL;
    pb_slice *slot = NULL;
    if (slice_equals(key, "location")) {
        seen = &t->has_location;
        slot = &t->location;
    } else if (slice_equals(key, "offset")) {
        seen = &t->has_offset;
        slot = &t->offset;
    } else if (slice_equals(key, "length")) {
        seen = &t->has_length;
        slot = &t->length;
    } else {
        return 1; /* "checksum" and others: not needed */
    }
    if (*seen) {
        return decoder_bad(d, f->start, "external_data lists the key '%.*s' twice", slice_print_length(key),
                           (const char *)key.data);
    }
    *seen = 1;
    *slot = value;
    return 1;
}

static int decode_tensor(decoder *d, pb_slice message, int depth, onnx_tensor *t)
{
    memset(t, 0, sizeof *t);
    t->start = message.data;
    t->name.data = message.data;
    if (!pb_open(d, &t->message, message, "TensorProto", depth)) return 0;
    pb_reader r = t->message;
    pb_field f;
    int more;
    while ((more = pb_next(d, &r, &f)) > 0) {
        switch (f.number) {
        case TENSOR_DIMS: {
            if (f.wire == PB_VARINT) {
                if (t->rank < TSR_MAX_RANK) t->dims[t->rank] = as_int64(f.value);
                t->rank++;
                break;
            }
            if (!pb_expect(d, &r, &f, PB_LEN, "dims")) return 0;
            const unsigned char *at = f.bytes.data, *end = f.bytes.data + f.bytes.size;
            while (at < end) {
                uint64_t value;
                const unsigned char *element = at;
                int error = pb_read_varint(&at, end, &value);
                if (error != VARINT_OK) return varint_error(d, element, r.what, "dims", error);
                if (t->rank < TSR_MAX_RANK) t->dims[t->rank] = as_int64(value);
                t->rank++;
            }
            break;
        }
        case TENSOR_DATA_TYPE:
            if (!pb_expect(d, &r, &f, PB_VARINT, "data_type")) return 0;
            t->has_data_type = 1;
            t->data_type = as_int64(f.value);
            break;
        case TENSOR_SEGMENT:
            if (!pb_expect(d, &r, &f, PB_LEN, "segment")) return 0;
            t->has_segment = 1;
            break;
        case TENSOR_FLOAT_DATA:
            if (!pb_count_repeated(d, &r, &f, PB_FIXED32, "float_data", &t->typed_count[f.number])) return 0;
            break;
        case TENSOR_INT32_DATA:
            if (!pb_count_repeated(d, &r, &f, PB_VARINT, "int32_data", &t->typed_count[f.number])) return 0;
            break;
        case TENSOR_INT64_DATA:
            if (!pb_count_repeated(d, &r, &f, PB_VARINT, "int64_data", &t->typed_count[f.number])) return 0;
            break;
        case TENSOR_DOUBLE_DATA:
            if (!pb_count_repeated(d, &r, &f, PB_FIXED64, "double_data", &t->typed_count[f.number])) return 0;
            break;
        case TENSOR_UINT64_DATA:
            if (!pb_count_repeated(d, &r, &f, PB_VARINT, "uint64_data", &t->typed_count[f.number])) return 0;
            break;
        case TENSOR_STRING_DATA:
            if (!pb_expect(d, &r, &f, PB_LEN, "string_data")) return 0;
            t->typed_count[f.number]++;
            break;
        case TENSOR_NAME:
            if (!pb_expect_string(d, &r, &f, "name", &t->name)) return 0;
            break;
        case TENSOR_RAW_DATA:
            if (!pb_expect(d, &r, &f, PB_LEN, "raw_data")) return 0;
            t->has_raw = 1;
            t->raw = f.bytes; /* a scalar bytes field: the last one wins */
            break;
        case TENSOR_EXTERNAL_DATA:
            if (!decode_external_entry(d, &r, &f, t)) return 0;
            break;
        case TENSOR_DATA_LOCATION:
            if (!pb_expect(d, &r, &f, PB_VARINT, "data_location")) return 0;
            t->data_location = as_int64(f.value);
            break;
        default:
            break; /* doc_string, metadata_props */
        }
    }
    return more == 0;
}

/* ------------------------------------------------------------------------------------------ */
/* AttributeProto                                                                             */
/* ------------------------------------------------------------------------------------------ */

typedef struct onnx_attribute {
    pb_reader message;           /**< for the second pass over floats/ints */
    const unsigned char *start;
    pb_slice name;
    int64_t type;                /**< as declared; 0 when absent (see attribute_kind) */
    float f;
    int64_t i;
    pb_slice s, t;
    int has_f, has_i, has_s, has_t, has_g, has_tp, has_sparse, has_ref;
    uint64_t floats, ints, strings, tensors, graphs, sparse_tensors, type_protos;
} onnx_attribute;

static int decode_attribute(decoder *d, pb_slice message, int depth, onnx_attribute *a)
{
    memset(a, 0, sizeof *a);
    a->start = message.data;
    a->name.data = a->s.data = message.data;
    if (!pb_open(d, &a->message, message, "AttributeProto", depth)) return 0;
    pb_reader r = a->message;
    pb_field f;
    int more;
    while ((more = pb_next(d, &r, &f)) > 0) {
        switch (f.number) {
        case ATTR_NAME:
            if (!pb_expect_string(d, &r, &f, "name", &a->name)) return 0;
            break;
        case ATTR_TYPE:
            if (!pb_expect(d, &r, &f, PB_VARINT, "type")) return 0;
            a->type = as_int64(f.value);
            break;
        case ATTR_F:
            if (!pb_expect(d, &r, &f, PB_FIXED32, "f")) return 0;
            a->has_f = 1;
            a->f = float_from_bits((uint32_t)f.value);
            break;
        case ATTR_I:
            if (!pb_expect(d, &r, &f, PB_VARINT, "i")) return 0;
            a->has_i = 1;
            a->i = as_int64(f.value);
            break;
        case ATTR_S:
            if (!pb_expect(d, &r, &f, PB_LEN, "s")) return 0;
            a->has_s = 1;
            a->s = f.bytes;
            break;
        case ATTR_T:
            if (!take_once(d, &r, &f, &a->has_t, "t")) return 0;
            a->t = f.bytes;
            break;
        case ATTR_G:
            if (!pb_expect(d, &r, &f, PB_LEN, "g")) return 0;
            a->has_g = 1; /* never entered: subgraphs are not supported */
            break;
        case ATTR_TP:
            if (!pb_expect(d, &r, &f, PB_LEN, "tp")) return 0;
            a->has_tp = 1;
            break;
        case ATTR_SPARSE_TENSOR:
            if (!pb_expect(d, &r, &f, PB_LEN, "sparse_tensor")) return 0;
            a->has_sparse = 1;
            break;
        case ATTR_REF_ATTR_NAME:
            if (!pb_expect(d, &r, &f, PB_LEN, "ref_attr_name")) return 0;
            a->has_ref = 1;
            break;
        case ATTR_FLOATS:
            if (!pb_count_repeated(d, &r, &f, PB_FIXED32, "floats", &a->floats)) return 0;
            break;
        case ATTR_INTS:
            if (!pb_count_repeated(d, &r, &f, PB_VARINT, "ints", &a->ints)) return 0;
            break;
        case ATTR_STRINGS:
            if (!pb_expect(d, &r, &f, PB_LEN, "strings")) return 0;
            a->strings++;
            break;
        case ATTR_TENSORS:
            if (!pb_expect(d, &r, &f, PB_LEN, "tensors")) return 0;
            a->tensors++;
            break;
        case ATTR_GRAPHS:
            if (!pb_expect(d, &r, &f, PB_LEN, "graphs")) return 0;
            a->graphs++;
            break;
        case ATTR_SPARSE_TENSORS:
            if (!pb_expect(d, &r, &f, PB_LEN, "sparse_tensors")) return 0;
            a->sparse_tensors++;
            break;
        case ATTR_TYPE_PROTOS:
            if (!pb_expect(d, &r, &f, PB_LEN, "type_protos")) return 0;
            a->type_protos++;
            break;
        default:
            break; /* doc_string */
        }
    }
    return more == 0;
}

/** The attribute's type: as declared, or (for old files without `type`) the field that is set. */
static int64_t attribute_kind(const onnx_attribute *a)
{
    if (a->type != ATYPE_UNDEFINED) return a->type;
    if (a->has_f) return ATYPE_FLOAT;
    if (a->has_i) return ATYPE_INT;
    if (a->has_s) return ATYPE_STRING;
    if (a->has_t) return ATYPE_TENSOR;
    if (a->has_g) return ATYPE_GRAPH;
    if (a->has_sparse) return ATYPE_SPARSE_TENSOR;
    if (a->has_tp) return ATYPE_TYPE_PROTO;
    if (a->floats) return ATYPE_FLOATS;
    if (a->ints) return ATYPE_INTS;
    if (a->strings) return ATYPE_STRINGS;
    if (a->tensors) return ATYPE_TENSORS;
    if (a->graphs) return ATYPE_GRAPHS;
    if (a->sparse_tensors) return ATYPE_SPARSE_TENSORS;
    if (a->type_protos) return ATYPE_TYPE_PROTOS;
    return ATYPE_UNDEFINED;
}

static const char *attribute_kind_name(int64_t kind)
{
    switch (kind) {
    case ATYPE_FLOAT: return "FLOAT";
    case ATYPE_INT: return "INT";
    case ATYPE_STRING: return "STRING";
    case ATYPE_TENSOR: return "TENSOR";
    case ATYPE_GRAPH: return "GRAPH";
    case ATYPE_FLOATS: return "FLOATS";
    case ATYPE_INTS: return "INTS";
    case ATYPE_STRINGS: return "STRINGS";
    case ATYPE_TENSORS: return "TENSORS";
    case ATYPE_GRAPHS: return "GRAPHS";
    case ATYPE_SPARSE_TENSOR: return "SPARSE_TENSOR";
    case ATYPE_SPARSE_TENSORS: return "SPARSE_TENSORS";
    case ATYPE_TYPE_PROTO: return "TYPE_PROTO";
    case ATYPE_TYPE_PROTOS: return "TYPE_PROTOS";
    default: return "UNDEFINED";
    }
}

/* ------------------------------------------------------------------------------------------ */
/* NodeProto                                                                                  */
/* ------------------------------------------------------------------------------------------ */

typedef struct onnx_node {
    pb_reader message;           /**< for collecting inputs, outputs and attributes */
    const unsigned char *start;
    pb_slice name, op_type, domain;
    size_t input_count, output_count, attribute_count;
} onnx_node;

static int decode_node(decoder *d, pb_slice message, int depth, onnx_node *n)
{
    memset(n, 0, sizeof *n);
    n->start = message.data;
    n->name.data = n->op_type.data = n->domain.data = message.data;
    if (!pb_open(d, &n->message, message, "NodeProto", depth)) return 0;
    pb_reader r = n->message;
    pb_field f;
    int more;
    pb_slice ignored;
    while ((more = pb_next(d, &r, &f)) > 0) {
        switch (f.number) {
        case NODE_INPUT:
            if (!pb_expect_string(d, &r, &f, "input", &ignored)) return 0;
            n->input_count++;
            break;
        case NODE_OUTPUT:
            if (!pb_expect_string(d, &r, &f, "output", &ignored)) return 0;
            n->output_count++;
            break;
        case NODE_NAME:
            if (!pb_expect_string(d, &r, &f, "name", &n->name)) return 0;
            break;
        case NODE_OP_TYPE:
            if (!pb_expect_string(d, &r, &f, "op_type", &n->op_type)) return 0;
            break;
        case NODE_DOMAIN:
            if (!pb_expect_string(d, &r, &f, "domain", &n->domain)) return 0;
            break;
        case NODE_ATTRIBUTE:
            if (!pb_expect(d, &r, &f, PB_LEN, "attribute")) return 0;
            n->attribute_count++;
            break;
        default:
            break; /* doc_string, overload, metadata_props, device_configurations */
        }
    }
    return more == 0;
}

/* ------------------------------------------------------------------------------------------ */
/* ValueInfoProto                                                                             */
/* ------------------------------------------------------------------------------------------ */

typedef struct onnx_value_info {
    const unsigned char *start;
    pb_slice name;
    int has_type;
    uint32_t kind;               /**< TypeProto's value field: TYPE_TENSOR, another, or 0 */
    int has_elem_type;
    int64_t elem_type;
    int has_shape;
    uint64_t rank;
    int64_t dims[TSR_MAX_RANK];  /**< TSR_DIM_DYNAMIC for dim_param or an unset dimension */
} onnx_value_info;

static int decode_dimension(decoder *d, pb_slice message, int depth, int64_t *dim)
{
    pb_reader r;
    if (!pb_open(d, &r, message, "TensorShapeProto.Dimension", depth)) return 0;
    *dim = TSR_DIM_DYNAMIC;
    pb_field f;
    int more;
    while ((more = pb_next(d, &r, &f)) > 0) {
        if (f.number == DIM_VALUE) {
            if (!pb_expect(d, &r, &f, PB_VARINT, "dim_value")) return 0;
            int64_t value = as_int64(f.value);
            if (value < 0) return decoder_bad(d, f.start, "dim_value is %" PRId64 ", negative", value);
            *dim = value;
        } else if (f.number == DIM_PARAM) {
            pb_slice ignored;
            if (!pb_expect_string(d, &r, &f, "dim_param", &ignored)) return 0;
            *dim = TSR_DIM_DYNAMIC; /* oneof: the last one set wins */
        }
    }
    return more == 0;
}

static int decode_shape(decoder *d, pb_slice message, int depth, onnx_value_info *v)
{
    pb_reader r;
    if (!pb_open(d, &r, message, "TensorShapeProto", depth)) return 0;
    pb_field f;
    int more;
    while ((more = pb_next(d, &r, &f)) > 0) {
        if (f.number != SHAPE_DIM) continue;
        int64_t dim;
        if (!pb_expect(d, &r, &f, PB_LEN, "dim") || !decode_dimension(d, f.bytes, depth + 1, &dim)) return 0;
        if (v->rank < TSR_MAX_RANK) v->dims[v->rank] = dim;
        v->rank++;
    }
    return more == 0;
}

static int decode_tensor_type(decoder *d, pb_slice message, int depth, onnx_value_info *v)
{
    pb_reader r;
    if (!pb_open(d, &r, message, "TypeProto.Tensor", depth)) return 0;
    pb_field f;
    int more;
    while ((more = pb_next(d, &r, &f)) > 0) {
        if (f.number == TYPE_TENSOR_ELEM_TYPE) {
            if (!pb_expect(d, &r, &f, PB_VARINT, "elem_type")) return 0;
            v->has_elem_type = 1;
            v->elem_type = as_int64(f.value);
        } else if (f.number == TYPE_TENSOR_SHAPE) {
            if (!take_once(d, &r, &f, &v->has_shape, "shape") || !decode_shape(d, f.bytes, depth + 1, v)) return 0;
        }
    }
    return more == 0;
}

static int decode_type(decoder *d, pb_slice message, int depth, onnx_value_info *v)
{
    pb_reader r;
    if (!pb_open(d, &r, message, "TypeProto", depth)) return 0;
    pb_field f;
    int more;
    int seen_tensor = 0;
    while ((more = pb_next(d, &r, &f)) > 0) {
        switch (f.number) {
        case TYPE_TENSOR:
            if (!take_once(d, &r, &f, &seen_tensor, "tensor_type") || !decode_tensor_type(d, f.bytes, depth + 1, v)) return 0;
            v->kind = TYPE_TENSOR;
            break;
        case TYPE_SEQUENCE:
        case TYPE_MAP:
        case TYPE_OPAQUE:
        case TYPE_SPARSE_TENSOR:
        case TYPE_OPTIONAL:
            if (!pb_expect(d, &r, &f, PB_LEN, "value")) return 0;
            v->kind = f.number; /* never entered: only tensors are supported */
            break;
        default:
            break; /* denotation */
        }
    }
    return more == 0;
}

static int decode_value_info(decoder *d, pb_slice message, int depth, onnx_value_info *v)
{
    memset(v, 0, sizeof *v);
    v->start = message.data;
    v->name.data = message.data;
    pb_reader r;
    if (!pb_open(d, &r, message, "ValueInfoProto", depth)) return 0;
    pb_field f;
    int more;
    while ((more = pb_next(d, &r, &f)) > 0) {
        if (f.number == VALUE_INFO_NAME) {
            if (!pb_expect_string(d, &r, &f, "name", &v->name)) return 0;
        } else if (f.number == VALUE_INFO_TYPE) {
            if (!take_once(d, &r, &f, &v->has_type, "type") || !decode_type(d, f.bytes, depth + 1, v)) return 0;
        }
    }
    return more == 0;
}

static const char *type_kind_name(uint32_t kind)
{
    switch (kind) {
    case TYPE_SEQUENCE: return "a sequence";
    case TYPE_MAP: return "a map";
    case TYPE_OPAQUE: return "an opaque value";
    case TYPE_SPARSE_TENSOR: return "a sparse tensor";
    case TYPE_OPTIONAL: return "an optional value";
    default: return "not a tensor";
    }
}

#endif /* TESSERA_ONNX_MODEL_H */

/*
 * tessera/graph.h — handles and plain structs for building and editing model graphs.
 *
 * A graph is a host object: plugins never see its layout. They build one (format plugins
 * in load) or edit one (optimizer plugins in run) through the graph functions of the host
 * API table (tessera/host.h), using the structs declared here.
 *
 * A tsr_graph* is valid only during the call that received it; do not keep it.
 *
 * Model: named values flow between nodes. A graph has inputs (with dtype and shape, where
 * TSR_DIM_DYNAMIC marks a run-time dimension), initializers (constant tensors: the weights),
 * nodes (an op type such as "MatMul", input value names, output value names and attributes)
 * and outputs. Op types and attribute names follow ONNX where ONNX has the op.
 */
#ifndef TESSERA_GRAPH_H
#define TESSERA_GRAPH_H

#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A model graph owned by the host. \since 1.0 */
typedef struct tsr_graph tsr_graph;

/** Attribute kinds. Stored as int32_t. \since 1.0 */
typedef int32_t tsr_attr_kind;
#define TSR_ATTR_INT 1     /**< i */
#define TSR_ATTR_FLOAT 2   /**< f */
#define TSR_ATTR_STRING 3  /**< s */
#define TSR_ATTR_INTS 4    /**< ints[count] */
#define TSR_ATTR_FLOATS 5  /**< floats[count] */

/**
 * One node attribute. Only the member named by `kind` is read. All pointers are borrowed for
 * the duration of the call that receives them.
 * \since 1.0
 */
typedef struct tsr_attribute {
    uint32_t struct_size;   /**< sizeof(tsr_attribute) */
    tsr_attr_kind kind;
    const char *name;
    int64_t i;
    double f;
    const char *s;
    const int64_t *ints;
    const double *floats;
    size_t count;           /**< entries in ints or floats */
} tsr_attribute;

/**
 * A description of a graph input or output.
 * \since 1.0
 */
typedef struct tsr_value_info {
    uint32_t struct_size;   /**< sizeof(tsr_value_info) */
    tsr_dtype dtype;
    const char *name;
    uint32_t ndim;
    uint32_t reserved;      /**< zero */
    const int64_t *shape;   /**< ndim entries; TSR_DIM_DYNAMIC for run-time dims */
} tsr_value_info;

/**
 * A node as read back from a graph. Every pointer is owned by the graph and stays valid until
 * the graph is next modified.
 * \since 1.0
 */
typedef struct tsr_node_info {
    uint32_t struct_size;          /**< set by the caller to sizeof(tsr_node_info) */
    uint32_t reserved;             /**< zero */
    const char *op_type;
    const char *name;
    const char *const *inputs;     /**< input_count names */
    size_t input_count;
    const char *const *outputs;    /**< output_count names */
    size_t output_count;
    size_t attribute_count;        /**< read them with graph_node_attribute */
} tsr_node_info;

/**
 * Counts of a graph's parts, for iterating.
 * \since 1.0
 */
typedef struct tsr_graph_summary {
    uint32_t struct_size;          /**< set by the caller to sizeof(tsr_graph_summary) */
    uint32_t reserved;             /**< zero */
    size_t input_count;
    size_t output_count;
    size_t node_count;
    size_t initializer_count;
} tsr_graph_summary;

#ifdef __cplusplus
}
#endif

#endif /* TESSERA_GRAPH_H */

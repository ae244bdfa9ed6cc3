/*
 * onnx_opsets.h — what a node of an opset 7–12 model means, in the engine's terms.
 *
 * The engine's kernels follow the ONNX definitions in force from opset 13 on
 * (Sources/TesseraEngine/Ops), and a model importing opset 13–21 of the default domain is
 * passed through node by node. A model at opset 7–12 goes through k_op_versions below, the one
 * place that records, for every op the engine runs, the opset that introduced it and — where
 * the version in force at opsets 7–12 means something else than the kernel computes — how such
 * a node is rewritten into its current form. So the host graph is always in its opset-13+ form,
 * and save(), which declares opset 17, writes valid ONNX.
 *
 * A node is refused, naming it, its op and the model's opset, when its op is not in the table
 * (nobody has compared its older definitions with what Tessera would run) or when the model's
 * opset does not define it yet: the plugin never runs an older definition it has not checked.
 *
 * The versions in force at opsets 7–12 were compared with the engine's with the schemas the
 * onnx package ships (onnx.defs.get_schema(op, max_inclusive_version=V), onnx 1.17.0); the
 * comment on each row lists them. Later versions of the RULE_SAME ops only add element types,
 * allow negative axes or indices, make an input optional, or add an attribute whose default
 * is the old behaviour, so a node that was valid at its opset means the same to the engine.
 *
 * Private to onnx.c, which includes it once, after onnx_loader.h (all definitions are static).
 */
#ifndef TESSERA_ONNX_OPSETS_H
#define TESSERA_ONNX_OPSETS_H

#include "onnx_loader.h"

/** How a node at an opset below TESSERA_ONNX_CURRENT_OPSET becomes what the engine runs. */
typedef enum opset_rule {
    /** As it is: the definition in force means what the kernel computes. */
    RULE_SAME,
    /**
     * Squeeze-1/11, Unsqueeze-1/11, ReduceSum-1/11: `axes` is an attribute, an input from 13 on.
     * It becomes the 1-D INT64 initializer "<output>:tessera_axes", given as input 1. Without
     * the attribute the node is passed as it is (no axes input means the same in both).
     */
    RULE_AXES_INPUT,
    /**
     * Slice-1 (opsets 1–9): `starts`, `ends` and `axes` are attributes, inputs from 10 on (which
     * also adds `steps`; omitted, they are 1, as Slice-1 slices). They become INT64 initializers
     * "<output>:tessera_starts", "…_ends" and "…_axes", inputs 1 to 3.
     */
    RULE_SLICE_INPUTS,
    /**
     * Softmax-1/11, LogSoftmax-1/11: the input is coerced to 2-D, [d0·…·d(axis-1),
     * d(axis)·…·d(n-1)] (axis defaults to 1), and each row of that matrix is normalized; from
     * 13 on only the one axis is (default -1). Axis -1 gives the same rows in both, and the node
     * is passed as it is. Any other axis becomes Shape(x), Flatten(x, axis), the op over the last
     * axis of the 2-D value, and Reshape back to x's shape.
     */
    RULE_SOFTMAX_2D,
} opset_rule;

/** One op the engine runs: since when ONNX defines it, and what happens below the current opset. */
typedef struct op_versions {
    const char *op_type;
    int since;           /**< the opset that introduced it; older models cannot use it */
    opset_rule rule;     /**< applied to models whose opset is below rule_until */
    int rule_until;
} op_versions;

/*
 * Every op of Operators.factories (Sources/TesseraEngine/Ops/Operators.swift), sorted by name.
 * The comments give the versions in force at opsets 7–12 and what changed in them.
 */
static const op_versions k_op_versions[] = {
    {"Add", 1, RULE_SAME, 0},             /* 7 (NumPy broadcasting; Add-1/6's broadcast attribute predates opset 7) */
    {"And", 1, RULE_SAME, 0},             /* 7 */
    {"ArgMax", 1, RULE_SAME, 0},          /* 1, 11 (negative axis), 12 (select_last_index, default 0 = first) */
    {"Cast", 1, RULE_SAME, 0},            /* 6 (`to` an int; Cast-1's string `to` predates opset 7), 9 (strings) */
    {"Concat", 1, RULE_SAME, 0},          /* 4 (axis required), 11 (negative axis) */
    {"Constant", 1, RULE_SAME, 0},        /* 1, 9, 11 (sparse_value), 12 (value_float(s), value_int(s), ...) */
    {"ConstantOfShape", 9, RULE_SAME, 0}, /* 9 */
    {"Div", 1, RULE_SAME, 0},             /* 7 */
    {"Equal", 1, RULE_SAME, 0},           /* 7, 11 (float types) */
    {"Erf", 9, RULE_SAME, 0},             /* 9 */
    {"Expand", 8, RULE_SAME, 0},          /* 8 */
    {"Flatten", 1, RULE_SAME, 0},         /* 1, 9 (types), 11 (negative axis) */
    {"Gather", 1, RULE_SAME, 0},          /* 1, 11 (negative indices) */
    {"Gelu", 20, RULE_SAME, 0},           /* from opset 20 only */
    {"Gemm", 1, RULE_SAME, 0},            /* 7, 9 (types; C required), 11 (C optional) */
    {"Greater", 1, RULE_SAME, 0},         /* 7, 9 (integer types) */
    {"GreaterOrEqual", 12, RULE_SAME, 0}, /* 12 */
    {"Identity", 1, RULE_SAME, 0},        /* 1 */
    {"IsNaN", 9, RULE_SAME, 0},           /* 9 */
    {"LayerNormalization", 17, RULE_SAME, 0}, /* from opset 17 only */
    {"Less", 1, RULE_SAME, 0},            /* 7, 9 (integer types) */
    {"LessOrEqual", 12, RULE_SAME, 0},    /* 12 */
    {"LogSoftmax", 1, RULE_SOFTMAX_2D, 13}, /* 1, 11 (negative axis): over the input coerced to 2-D */
    {"MatMul", 1, RULE_SAME, 0},          /* 1, 9 (integer types) */
    {"MatMulInteger", 10, RULE_SAME, 0},  /* 10 */
    {"Mul", 1, RULE_SAME, 0},             /* 7 */
    {"Neg", 1, RULE_SAME, 0},             /* 6 */
    {"Not", 1, RULE_SAME, 0},             /* 1 */
    {"Or", 1, RULE_SAME, 0},              /* 7 */
    {"Pow", 1, RULE_SAME, 0},             /* 7, 12 (the exponent's type apart from the base's) */
    {"Range", 11, RULE_SAME, 0},          /* 11 */
    {"ReduceMean", 1, RULE_SAME, 0},      /* 1, 11 (negative axes): `axes` an attribute, as in 13–17 */
    {"ReduceSum", 1, RULE_AXES_INPUT, 13}, /* 1, 11 (negative axes): `axes` an attribute */
    {"Relu", 1, RULE_SAME, 0},            /* 6 */
    {"Reshape", 1, RULE_SAME, 0},         /* 5 (shape an input; Reshape-1's attribute predates opset 7) */
    {"Shape", 1, RULE_SAME, 0},           /* 1 (start and end, from 15, default to the whole shape) */
    {"Sigmoid", 1, RULE_SAME, 0},         /* 6 */
    {"Slice", 1, RULE_SLICE_INPUTS, 10},  /* 1 (attributes), 10 (inputs, steps), 11 (negative axes) */
    {"Softmax", 1, RULE_SOFTMAX_2D, 13},  /* 1, 11 (negative axis): over the input coerced to 2-D */
    {"Sqrt", 1, RULE_SAME, 0},            /* 6 */
    {"Squeeze", 1, RULE_AXES_INPUT, 13},  /* 1, 11 (negative axes): `axes` an attribute */
    {"Sub", 1, RULE_SAME, 0},             /* 7 */
    {"Tanh", 1, RULE_SAME, 0},            /* 6 */
    {"Transpose", 1, RULE_SAME, 0},       /* 1 */
    {"Unsqueeze", 1, RULE_AXES_INPUT, 13}, /* 1, 11 (negative axes): `axes` an attribute */
    {"Where", 9, RULE_SAME, 0},           /* 9 */
    {"Xor", 1, RULE_SAME, 0},             /* 7 */
};

static const op_versions *op_versions_find(const char *op_type)
{
    for (size_t i = 0; i < sizeof k_op_versions / sizeof k_op_versions[0]; i++) {
        if (strcmp(k_op_versions[i].op_type, op_type) == 0) return &k_op_versions[i];
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Attributes and inputs of the node being rewritten                                          */
/* ------------------------------------------------------------------------------------------ */

/** The attribute called `name` (the last one, as the engine reads it), or NULL. */
static tsr_attribute *find_attribute(tsr_attribute *attributes, size_t count, const char *name)
{
    for (size_t i = count; i > 0; i--) {
        if (strcmp(attributes[i - 1].name, name) == 0) return &attributes[i - 1];
    }
    return NULL;
}

/** Removes every attribute called `name`, keeping the others in order; returns the new count. */
static size_t drop_attribute(tsr_attribute *attributes, size_t count, const char *name)
{
    size_t kept = 0;
    for (size_t i = 0; i < count; i++) {
        if (strcmp(attributes[i].name, name) != 0) attributes[kept++] = attributes[i];
    }
    return kept;
}

/** Inputs once trailing omitted ("") ones are dropped, as the engine counts them. */
static size_t present_inputs(const char **inputs, size_t count)
{
    while (count > 0 && inputs[count - 1][0] == '\0') count--;
    return count;
}

/** Refuses a node that is not valid at the model's opset (a required attribute missing, ...). */
static int invalid_at_opset(loader *l, const node_context *node, const char *problem)
{
    return decoder_fail(&l->d, TSR_ERR_CORRUPT_DATA, "node '%s' (%s) %s; that is not a valid %s at opset %" PRId64,
                        node->name, node->op_type, problem, node->op_type, l->opset);
}

/** An INTS attribute (`*found` 0 when absent); another kind is refused. */
static int ints_attribute(loader *l, const node_context *node, tsr_attribute *attributes, size_t count, const char *name,
                          tsr_attribute **found)
{
    *found = find_attribute(attributes, count, name);
    if (*found == NULL || (*found)->kind == TSR_ATTR_INTS) return 1;
    char problem[96];
    snprintf(problem, sizeof problem, "has an attribute '%s' that is not a list of ints", name);
    return invalid_at_opset(l, node, problem);
}

/** Adds the INTS attribute `a` as the INT64 initializer "<output><suffix>", whose name goes to *name. */
static int attribute_to_initializer(loader *l, const char *output, const char *suffix, const tsr_attribute *a,
                                    const char **name)
{
    *name = scratch_concat(l, output, suffix);
    if (*name == NULL || !add_int64_initializer(l, *name, a->ints, a->count)) return 0;
    l->initializers_added++;
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* The rules                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static int add_with_axes_input(loader *l, const node_context *node, const char **inputs, size_t input_count,
                               const char **outputs, size_t output_count, tsr_attribute *attributes, size_t attribute_count)
{
    tsr_attribute *axes;
    if (!ints_attribute(l, node, attributes, attribute_count, "axes", &axes)) return 0;
    if (axes == NULL) {
        return add_graph_node(l, node->op_type, node->name, inputs, input_count, outputs, output_count, attributes,
                              attribute_count);
    }
    if (present_inputs(inputs, input_count) != 1) return invalid_at_opset(l, node, "has axes and a second input");
    const char *with_axes[2] = {inputs[0], NULL};
    if (!attribute_to_initializer(l, outputs[0], ":tessera_axes", axes, &with_axes[1])) return 0;
    attribute_count = drop_attribute(attributes, attribute_count, "axes");
    return add_graph_node(l, node->op_type, node->name, with_axes, 2, outputs, output_count, attributes, attribute_count);
}

static int add_slice_with_inputs(loader *l, const node_context *node, const char **inputs, size_t input_count,
                                 const char **outputs, size_t output_count, tsr_attribute *attributes, size_t attribute_count)
{
    tsr_attribute *starts, *ends, *axes;
    if (!ints_attribute(l, node, attributes, attribute_count, "starts", &starts) ||
        !ints_attribute(l, node, attributes, attribute_count, "ends", &ends) ||
        !ints_attribute(l, node, attributes, attribute_count, "axes", &axes)) {
        return 0;
    }
    if (starts == NULL || ends == NULL) return invalid_at_opset(l, node, "lacks the attribute 'starts' or 'ends'");
    if (present_inputs(inputs, input_count) != 1) return invalid_at_opset(l, node, "has more than one input");
    const char *sliced[4] = {inputs[0], NULL, NULL, NULL};
    if (!attribute_to_initializer(l, outputs[0], ":tessera_starts", starts, &sliced[1]) ||
        !attribute_to_initializer(l, outputs[0], ":tessera_ends", ends, &sliced[2]) ||
        (axes != NULL && !attribute_to_initializer(l, outputs[0], ":tessera_axes", axes, &sliced[3]))) {
        return 0;
    }
    attribute_count = drop_attribute(attributes, attribute_count, "starts");
    attribute_count = drop_attribute(attributes, attribute_count, "ends");
    attribute_count = drop_attribute(attributes, attribute_count, "axes");
    return add_graph_node(l, node->op_type, node->name, sliced, axes != NULL ? 4 : 3, outputs, output_count, attributes,
                          attribute_count);
}

static int add_softmax_over_2d(loader *l, const node_context *node, const char **inputs, size_t input_count,
                               const char **outputs, size_t output_count, tsr_attribute *attributes, size_t attribute_count)
{
    tsr_attribute *axis = find_attribute(attributes, attribute_count, "axis");
    if (axis != NULL && axis->kind != TSR_ATTR_INT) return invalid_at_opset(l, node, "has an attribute 'axis' that is not an int");
    int64_t k = axis != NULL ? axis->i : 1;
    if (k == -1) {
        return add_graph_node(l, node->op_type, node->name, inputs, input_count, outputs, output_count, attributes,
                              attribute_count);
    }
    if (present_inputs(inputs, input_count) != 1 || output_count != 1) {
        return invalid_at_opset(l, node, "does not have exactly one input and one output");
    }
    const char *x = inputs[0], *y = outputs[0];
    const char *shape = scratch_concat(l, y, ":tessera_shape");
    const char *flat = scratch_concat(l, y, ":tessera_2d");
    const char *flat_out = scratch_concat(l, y, ":tessera_2d_out");
    const char *shape_node = scratch_concat(l, node->name, "_shape");
    const char *flatten_node = scratch_concat(l, node->name, "_flatten");
    const char *reshape_node = scratch_concat(l, node->name, "_reshape");
    if (!shape || !flat || !flat_out || !shape_node || !flatten_node || !reshape_node) return 0;
    tsr_attribute flatten_axis = tsp_attr_int("axis", k);
    tsr_attribute last_axis = tsp_attr_int("axis", -1);
    tsr_attribute allow_zero = tsp_attr_int("allowzero", 1); /* a 0 in x's shape is an empty dimension, not "copy" */
    const char *reshape_inputs[2] = {flat_out, shape};
    if (!add_graph_node(l, "Shape", shape_node, &x, 1, &shape, 1, NULL, 0) ||
        !add_graph_node(l, "Flatten", flatten_node, &x, 1, &flat, 1, &flatten_axis, 1) ||
        !add_graph_node(l, node->op_type, node->name, &flat, 1, &flat_out, 1, &last_axis, 1) ||
        !add_graph_node(l, "Reshape", reshape_node, reshape_inputs, 2, &y, 1, &allow_zero, 1)) {
        return 0;
    }
    l->nodes_added += 3;
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Entry point (declared in onnx_loader.h)                                                    */
/* ------------------------------------------------------------------------------------------ */

static int add_node_at_old_opset(loader *l, const node_context *node, const char **inputs, size_t input_count,
                                 const char **outputs, size_t output_count, tsr_attribute *attributes, size_t attribute_count)
{
    const op_versions *op = op_versions_find(node->op_type);
    if (op == NULL) {
        return decoder_fail(&l->d, TSR_ERR_UNSUPPORTED,
                            "node '%s' (%s): the model uses opset %" PRId64 ", and below opset %d this plugin maps only the "
                            "ops whose older definitions it has checked against the engine's (Plugins/onnx/README.md); %s "
                            "is not one of them: convert the model to opset %d or later with "
                            "onnx.version_converter.convert_version",
                            node->name, node->op_type, l->opset, TESSERA_ONNX_CURRENT_OPSET, node->op_type,
                            TESSERA_ONNX_CURRENT_OPSET);
    }
    if (l->opset < op->since) {
        return decoder_fail(&l->d, TSR_ERR_UNSUPPORTED,
                            "node '%s' (%s): ONNX defines %s from opset %d on, but the model uses opset %" PRId64
                            ", where it does not exist (the model is not valid ONNX)",
                            node->name, node->op_type, node->op_type, op->since, l->opset);
    }
    if (op->rule == RULE_SAME || l->opset >= op->rule_until) {
        return add_graph_node(l, node->op_type, node->name, inputs, input_count, outputs, output_count, attributes,
                              attribute_count);
    }
    switch (op->rule) {
    case RULE_AXES_INPUT:
        return add_with_axes_input(l, node, inputs, input_count, outputs, output_count, attributes, attribute_count);
    case RULE_SLICE_INPUTS:
        return add_slice_with_inputs(l, node, inputs, input_count, outputs, output_count, attributes, attribute_count);
    case RULE_SOFTMAX_2D:
        return add_softmax_over_2d(l, node, inputs, input_count, outputs, output_count, attributes, attribute_count);
    case RULE_SAME:
        break;
    }
    return decoder_fail(&l->d, TSR_ERR_INTERNAL, "node '%s' (%s): no rule %d (a bug in the plugin)", node->name,
                        node->op_type, (int)op->rule);
}

#endif /* TESSERA_ONNX_OPSETS_H */

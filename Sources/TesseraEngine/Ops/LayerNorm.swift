import CTesseraKernels

/// LayerNormalization (ONNX opset 17): normalizes over the dimensions from `axis` (default
/// -1) to the last, Y = (X - mean) / sqrt(variance + `epsilon`) * Scale + B, with Scale and
/// the optional B shaped like those dimensions (leading 1s allowed). FP32.
///
/// Deviations: only output Y (not Mean / InvStdDev); `stash_type` is ignored (statistics are
/// always accumulated in double, which is at least as precise as float).
struct LayerNormKernel: Kernel {
    let axis: Int
    let epsilon: Float

    init(_ context: KernelContext) throws(EngineError) {
        try context.expectArity(inputs: 2...3)
        axis = try context.int("axis", default: -1)
        epsilon = try context.float("epsilon", default: 1e-5)
        guard epsilon >= 0, epsilon.isFinite else {
            throw EngineError(.invalidGraph, "attribute 'epsilon' must be finite and non-negative, not \(epsilon)")
        }
    }

    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] {
        let x = inputs[0]
        try x.expect([.fp32], "input X")
        let axis = try Shapes.normalizedAxis(axis, rank: x.shape.count)
        let normalized = Array(x.shape[axis...])
        for (index, role) in zip(inputs.indices.dropFirst(), ["Scale", "B"]) {
            let parameter = inputs[index]
            try parameter.expect([.fp32], role)
            let fits = parameter.elementCount == Shapes.product(normalized)
                && parameter.shape.count <= normalized.count
                && Shapes.broadcast(parameter.shape, normalized) == normalized
            guard fits else {
                throw EngineError(.invalidGraph, "\(role) has shape \(parameter.shape) but must match the normalized dimensions \(normalized) of X \(x.shape)")
            }
        }
        return [x]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let x = inputs[0]
        let axis = try Shapes.normalizedAxis(axis, rank: x.shape.count)
        let outer = Shapes.product(x.shape[..<axis])
        let n = Shapes.product(x.shape[axis...])
        let bias = inputs.count > 2 ? inputs[2].floats : nil
        _ = tsk_layernorm_f32(TSK_VARIANT_AUTO, outer, n, x.floats, inputs[1].floats, bias, epsilon, outputs[0].floats)
    }
}

import CTesseraKernels

/// LayerNormalization (ONNX opset 17): normalizes over the dimensions from `axis` (default
/// -1) to the last, Y = (X - mean) / sqrt(variance + `epsilon`) * Scale + B, with Scale and
/// the optional B shaped like those dimensions (leading 1s allowed). FP32. The optional
/// outputs Mean and InvStdDev (1 / sqrt(variance + epsilon)) have X's shape with the
/// normalized dimensions set to 1.
///
/// Deviation: `stash_type` must be 1 (float), its default; statistics are accumulated in
/// double, which is at least as precise.
struct LayerNormKernel: Kernel {
    let axis: Int
    let epsilon: Float
    /// 1 (Y only) to 3 (Y, Mean, InvStdDev).
    let outputCount: Int

    init(_ context: KernelContext) throws(EngineError) {
        let node = context.node
        guard (1...3).contains(node.outputs.count), !node.outputs[0].isEmpty else {
            throw EngineError(.invalidGraph, "must have 1 to 3 outputs (Y, Mean, InvStdDev) with Y named, not \(node.outputs.count)")
        }
        outputCount = node.outputs.count
        try KernelContext(node: Node(opType: node.opType, name: node.name, inputs: node.inputs, outputs: ["y"]),
                          constants: [:]).expectArity(inputs: 2...3)
        guard try context.int("stash_type", default: 1) == 1 else {
            throw EngineError(.invalidGraph, "attribute 'stash_type' must be 1 (float); other statistics types are not supported")
        }
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
        let statistics = ValueType(dtype: .fp32, shape: Array(x.shape[..<axis]) + [Int](repeating: 1, count: normalized.count))
        return [x] + [ValueType](repeating: statistics, count: outputCount - 1)
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let x = inputs[0]
        let axis = try Shapes.normalizedAxis(axis, rank: x.shape.count)
        let outer = Shapes.product(x.shape[..<axis])
        let n = Shapes.product(x.shape[axis...])
        let bias = inputs.count > 2 ? inputs[2].floats : nil
        _ = tsk_layernorm_f32(TSK_VARIANT_AUTO, outer, n, x.floats, inputs[1].floats, bias, epsilon, outputs[0].floats)
        if outputCount > 1 { statistics(x.floats, outer: outer, n: n, mean: outputs[1].floats, inverse: outputs.count > 2 ? outputs[2].floats : nil) }
    }

    /// Each row's mean and 1 / sqrt(variance + epsilon), in double as the kernel computes them.
    private func statistics(_ x: UnsafePointer<Float>, outer: Int, n: Int, mean: UnsafeMutablePointer<Float>,
                            inverse: UnsafeMutablePointer<Float>?) {
        for row in 0..<outer {
            let values = UnsafeBufferPointer(start: x + row * n, count: n)
            let average = n == 0 ? 0 : values.reduce(0.0) { $0 + Double($1) } / Double(n)
            let variance = n == 0 ? 0 : values.reduce(0.0) { $0 + (Double($1) - average) * (Double($1) - average) } / Double(n)
            mean[row] = Float(average)
            inverse?[row] = Float(1 / (variance + Double(epsilon)).squareRoot())
        }
    }
}

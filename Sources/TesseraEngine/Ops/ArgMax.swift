/// ArgMax (ONNX opset 13): attributes `axis` (default 0), `keepdims` (default 1) and
/// `select_last_index` (default 0); the output is INT64. Input FP32 or INT64. Deviation:
/// NaNs are skipped, where ONNX leaves their handling unspecified.
struct ArgMaxKernel: Kernel {
    let axis: Int
    let keepDims: Bool
    let selectLast: Bool

    init(_ context: KernelContext) throws(EngineError) {
        try context.expectArity(inputs: 1...1)
        axis = try context.int("axis", default: 0)
        keepDims = try context.int("keepdims", default: 1) != 0
        selectLast = try context.int("select_last_index", default: 0) != 0
    }

    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] {
        let input = inputs[0]
        try input.expect([.fp32, .int64], "input")
        let axis = try Shapes.normalizedAxis(axis, rank: input.shape.count)
        guard input.shape[axis] > 0 else {
            throw EngineError(.invalidGraph, "cannot take the ArgMax of an empty axis (input shape \(input.shape))")
        }
        var shape = input.shape
        if keepDims { shape[axis] = 1 } else { shape.remove(at: axis) }
        return [ValueType(dtype: .int64, shape: shape)]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let shape = inputs[0].shape
        let axis = try Shapes.normalizedAxis(axis, rank: shape.count)
        let outer = Shapes.product(shape[..<axis]), n = shape[axis]
        let inner = Shapes.product(shape[(axis + 1)...])
        let y = outputs[0].int64s
        if inputs[0].type.dtype == .fp32 {
            argMax(inputs[0].floats, outer, n, inner, y)
        } else {
            argMax(inputs[0].int64s, outer, n, inner, y)
        }
    }

    private func argMax<T: Comparable>(_ x: UnsafePointer<T>, _ outer: Int, _ n: Int, _ inner: Int,
                                       _ y: UnsafeMutablePointer<Int64>) {
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * n * inner + i
                var best = 0
                var bestValue: T? = nil
                for j in 0..<n {
                    let value = x[base + j * inner]
                    guard value == value else { continue }  // NaN
                    if let current = bestValue, selectLast ? value < current : value <= current { continue }
                    best = j
                    bestValue = value
                }
                y[o * inner + i] = Int64(best)
            }
        }
    }
}

/// ReduceMean and ReduceSum on FP32, accumulated in Double.
///
/// ReduceMean follows opset 13–17 (attribute `axes`, default: all axes) and opset 18 (an
/// optional `axes` input, known at plan time), with `keepdims` (default 1). ReduceSum follows
/// opset 13: optional `axes` input (INT64, known at plan time; the older attribute is accepted
/// too). Both take `noop_with_empty_axes` (default 0: no or empty axes reduce over
/// everything; 1: the input passes through unchanged).
/// Reducing over an empty axis gives 0 for the sum and NaN for the mean (0/0), as NumPy.
struct ReduceKernel: Kernel {
    enum Operation: Sendable { case mean, sum }

    let operation: Operation
    let attributeAxes: [Int]?
    let hasAxesInput: Bool
    let keepDims: Bool
    let noopWithEmptyAxes: Bool

    init(_ context: KernelContext, _ operation: Operation) throws(EngineError) {
        self.operation = operation
        try context.expectArity(inputs: 1...2)
        attributeAxes = try context.ints("axes")
        hasAxesInput = context.presentInputCount == 2
        keepDims = try context.int("keepdims", default: 1) != 0
        noopWithEmptyAxes = try context.int("noop_with_empty_axes", default: 0) != 0
    }

    /// The reduced axes (sorted), or nil for a pass-through.
    private func axes(_ input: ValueType, _ given: [Int]?) throws(EngineError) -> [Int]? {
        let rank = input.shape.count
        guard let given, !given.isEmpty else { return noopWithEmptyAxes ? nil : Array(0..<rank) }
        return try Shapes.normalizedAxes(given, rank: rank).sorted()
    }

    var planTimeInputs: Set<Int> { hasAxesInput ? [1] : [] }

    func outputTypes(_ inputs: [ValueType], values: [Tensor?]) throws(EngineError) -> [ValueType] {
        let input = inputs[0]
        try input.expect([.fp32], "input")
        let given = hasAxesInput ? try PlanValues.vector(values, 1, "axes") : attributeAxes
        guard let axes = try axes(input, given) else { return [input] }
        var shape: [Int] = []
        for (axis, dim) in input.shape.enumerated() {
            if !axes.contains(axis) { shape.append(dim) } else if keepDims { shape.append(1) }
        }
        return [ValueType(dtype: .fp32, shape: shape)]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let input = inputs[0], out = outputs[0]
        let given = hasAxesInput ? inputs[1].intValues : attributeAxes
        guard let axes = try axes(input.type, given) else {
            out.data.copyMemory(from: input.data, byteCount: out.type.byteCount)
            return
        }
        let shape = input.shape
        let x = input.floats, y = out.floats
        let outCount = out.type.elementCount
        let reduced = Shapes.product(axes.map { shape[$0] })
        let scale = operation == .mean ? 1 / Double(reduced) : 1
        if outCount == 0 { return }
        let contiguous = axes.isEmpty || axes.last! - axes.first! + 1 == axes.count
        if contiguous, let first = axes.first {
            // [outer, reduced, inner]: accumulate each output over the middle dimension.
            let outer = Shapes.product(shape[..<first])
            let inner = Shapes.product(shape[(axes.last! + 1)...])
            var sums = [Double](repeating: 0, count: inner)
            for o in 0..<outer {
                for k in 0..<inner { sums[k] = 0 }
                let row = x + o * reduced * inner
                if inner == 1 {
                    var sum = 0.0
                    for r in 0..<reduced { sum += Double(row[r]) }
                    sums[0] = sum
                } else {
                    for r in 0..<reduced {
                        for k in 0..<inner { sums[k] += Double(row[r * inner + k]) }
                    }
                }
                for k in 0..<inner { y[o * inner + k] = Float(sums[k] * scale) }
            }
            return
        }
        // Any set of axes: walk the input, adding each element to its output.
        var outStrides = [Int](repeating: 0, count: shape.count)
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) where !axes.contains(axis) {
            outStrides[axis] = step
            step *= shape[axis]
        }
        var sums = [Double](repeating: 0, count: outCount)
        Shapes.forEachOffset(shape, strides: [outStrides]) { flat, offsets in
            sums[offsets[0]] += Double(x[flat])
        }
        for i in 0..<outCount { y[i] = Float(sums[i] * scale) }
    }
}

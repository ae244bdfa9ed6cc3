/// Ops that compute shapes or move elements without arithmetic: Shape, Gather, Unsqueeze,
/// Squeeze, Concat, Expand, Slice, ConstantOfShape and Range. Inputs that decide an output's
/// shape (axes, shapes, starts, …) must be known when the plan is made: constants, or values
/// the planner evaluates from input shapes and constants (see `Program.makePlan`).

/// Shape (ONNX opset 15): the input's dimensions as a 1-D INT64 tensor, optionally only
/// those in [start, end) (attributes, negative counting from the end, clamped).
struct ShapeKernel: Kernel {
    let start: Int
    let end: Int?

    init(_ context: KernelContext) throws(EngineError) {
        try context.expectArity(inputs: 1...1)
        start = try context.int("start", default: 0)
        end = context.attribute("end") == nil ? nil : try context.int("end", default: 0)
    }

    var readsInputData: Bool { false }

    private func range(rank: Int) -> Range<Int> {
        func clamp(_ value: Int) -> Int { min(max(value < 0 ? value + rank : value, 0), rank) }
        let lower = clamp(start), upper = clamp(end ?? rank)
        return lower..<max(lower, upper)
    }

    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] {
        [ValueType(dtype: .int64, shape: [range(rank: inputs[0].shape.count).count])]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let shape = inputs[0].shape
        for (index, axis) in range(rank: shape.count).enumerated() {
            outputs[0].int64s[index] = Int64(shape[axis])
        }
    }
}

/// Gather (ONNX opset 13): picks slices of `data` along `axis` (default 0) by `indices`
/// (INT64 or INT32; negative counts from the end). Any element type. An index out of range
/// is an error naming the index, not undefined behaviour.
struct GatherKernel: Kernel {
    let axis: Int

    init(_ context: KernelContext) throws(EngineError) {
        try context.expectArity(inputs: 2...2)
        axis = try context.int("axis", default: 0)
    }

    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] {
        let (data, indices) = (inputs[0], inputs[1])
        try indices.expect([.int64, .int32], "indices")
        let axis = try Shapes.normalizedAxis(axis, rank: data.shape.count)
        let shape = Array(data.shape[..<axis]) + indices.shape + Array(data.shape[(axis + 1)...])
        return [ValueType(dtype: data.dtype, shape: shape)]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let data = inputs[0]
        let axis = try Shapes.normalizedAxis(axis, rank: data.shape.count)
        let outer = Shapes.product(data.shape[..<axis])
        let size = data.shape[axis]
        let inner = Shapes.product(data.shape[(axis + 1)...])
        let indices = inputs[1].intValues
        var resolved = [Int](repeating: 0, count: indices.count)
        for (position, index) in indices.enumerated() {
            guard index >= -size, index < size else {
                throw EngineError(.invalidTensor, "index \(index) (at position \(position) of the indices) is out of range for axis \(axis) of size \(size) (data shape \(data.shape))")
            }
            resolved[position] = index < 0 ? index + size : index
        }
        let bytes = inner * data.type.dtype.byteSize
        let out = outputs[0].data
        var destination = 0
        for o in 0..<outer {
            for index in resolved {
                (out + destination).copyMemory(from: data.data + (o * size + index) * bytes, byteCount: bytes)
                destination += bytes
            }
        }
    }
}

/// Unsqueeze (ONNX opset 13: `axes` input; the opset 1–11 `axes` attribute is accepted too):
/// inserts dimensions of size 1 at `axes`, which refer to the output (negative counting from
/// its end).
struct UnsqueezeKernel: Kernel {
    let attributeAxes: [Int]?

    init(_ context: KernelContext) throws(EngineError) {
        try context.expectArity(inputs: 1...2)
        attributeAxes = try context.ints("axes")
        if attributeAxes == nil, context.presentInputCount < 2 {
            throw EngineError(.invalidGraph, "needs the axes input (or, before opset 13, the axes attribute)")
        }
    }

    var planTimeInputs: Set<Int> { attributeAxes == nil ? [1] : [] }

    func outputTypes(_ inputs: [ValueType], values: [Tensor?]) throws(EngineError) -> [ValueType] {
        let input = inputs[0]
        let axes: [Int]
        if let attributeAxes { axes = attributeAxes } else { axes = try PlanValues.vector(values, 1, "axes") }
        let rank = input.shape.count + axes.count
        let resolved = try Shapes.normalizedAxes(axes, rank: rank)
        var shape: [Int] = []
        var next = input.shape.makeIterator()
        for axis in 0..<rank {
            shape.append(resolved.contains(axis) ? 1 : next.next()!)
        }
        return [ValueType(dtype: input.dtype, shape: shape)]
    }

    var relabelsInput: Bool { true }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        copyBytes(inputs[0], outputs[0])
    }
}

/// Squeeze (ONNX opset 13: optional `axes` input; the older attribute is accepted too):
/// removes the dimensions at `axes`, each of which must be 1, or every dimension of size 1
/// when no axes are given.
struct SqueezeKernel: Kernel {
    let attributeAxes: [Int]?
    let hasAxesInput: Bool

    init(_ context: KernelContext) throws(EngineError) {
        try context.expectArity(inputs: 1...2)
        attributeAxes = try context.ints("axes")
        hasAxesInput = context.presentInputCount == 2
    }

    var planTimeInputs: Set<Int> { hasAxesInput ? [1] : [] }

    func outputTypes(_ inputs: [ValueType], values: [Tensor?]) throws(EngineError) -> [ValueType] {
        let input = inputs[0]
        let axes: [Int]?
        if hasAxesInput {
            axes = try PlanValues.vector(values, 1, "axes")
        } else {
            axes = attributeAxes
        }
        var shape: [Int] = []
        if let axes {
            let resolved = try Shapes.normalizedAxes(axes, rank: input.shape.count)
            for (axis, dim) in input.shape.enumerated() {
                if resolved.contains(axis) {
                    guard dim == 1 else {
                        throw EngineError(.invalidGraph, "cannot squeeze axis \(axis) of \(input.shape): its size is \(dim), not 1")
                    }
                } else {
                    shape.append(dim)
                }
            }
        } else {
            shape = input.shape.filter { $0 != 1 }
        }
        return [ValueType(dtype: input.dtype, shape: shape)]
    }

    var relabelsInput: Bool { true }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        copyBytes(inputs[0], outputs[0])
    }
}

/// Concat (ONNX opset 13): joins inputs of one element type and rank along `axis`
/// (required; negative counts from the end); the other dimensions must agree.
struct ConcatKernel: Kernel {
    let axis: Int

    init(_ context: KernelContext) throws(EngineError) {
        let count = context.presentInputCount
        guard count >= 1 else { throw EngineError(.invalidGraph, "takes at least 1 input but has 0") }
        try context.expectArity(inputs: count...count)
        guard context.attribute("axis") != nil else {
            throw EngineError(.invalidGraph, "needs the attribute 'axis'")
        }
        axis = try context.int("axis", default: 0)
    }

    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] {
        let first = inputs[0]
        let axis = try Shapes.normalizedAxis(axis, rank: first.shape.count)
        var shape = first.shape
        shape[axis] = 0
        for (index, input) in inputs.enumerated() {
            guard input.dtype == first.dtype else {
                throw EngineError(.invalidGraph, "inputs must have one element type, but input 0 is \(first.dtype) and input \(index) is \(input.dtype)")
            }
            let agrees = input.shape.count == first.shape.count
                && input.shape.indices.allSatisfy { $0 == axis || input.shape[$0] == first.shape[$0] }
            guard agrees else {
                throw EngineError(.invalidGraph, "input \(index) has shape \(input.shape), which does not match input 0's \(first.shape) outside axis \(axis)")
            }
            shape[axis] += input.shape[axis]
        }
        return [ValueType(dtype: first.dtype, shape: shape)]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let shape = inputs[0].shape
        let axis = try Shapes.normalizedAxis(axis, rank: shape.count)
        let outer = Shapes.product(shape[..<axis])
        let elementSize = inputs[0].type.dtype.byteSize
        let chunks = inputs.map { Shapes.product($0.shape[axis...]) * elementSize }
        var destination = outputs[0].data
        for o in 0..<outer {
            for (input, bytes) in zip(inputs, chunks) where bytes > 0 {
                destination.copyMemory(from: input.data + o * bytes, byteCount: bytes)
                destination += bytes
            }
        }
    }
}

/// Expand (ONNX opset 13): broadcasts the input NumPy-style against `shape` (known at plan
/// time); the output has the broadcast of both shapes. Any element type.
struct ExpandKernel: Kernel {
    init(_ context: KernelContext) throws(EngineError) {
        try context.expectArity(inputs: 2...2)
    }

    var planTimeInputs: Set<Int> { [1] }

    func outputTypes(_ inputs: [ValueType], values: [Tensor?]) throws(EngineError) -> [ValueType] {
        let target = try PlanValues.vector(values, 1, "shape")
        guard let shape = Shapes.broadcast(inputs[0].shape, target), !target.contains(where: { $0 < 0 }) else {
            throw EngineError(.invalidGraph, "cannot expand \(inputs[0].shape) to \(target)")
        }
        return [ValueType(dtype: inputs[0].dtype, shape: shape)]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let out = outputs[0]
        let size = out.type.dtype.byteSize
        let strides = Shapes.broadcastStrides(inputs[0].shape, to: out.shape)
        let source = inputs[0].data, destination = out.data
        Shapes.forEachOffset(out.shape, strides: [strides]) { flat, offsets in
            copyElement(size, from: source, offsets[0], to: destination, flat)
        }
    }
}

/// Slice (ONNX opset 13): `starts`, `ends` and optional `axes` and `steps` inputs (INT64 or
/// INT32, known at plan time); negative starts and ends count from the end and are clamped
/// to the dimension as ONNX specifies (also for negative steps). Any element type.
struct SliceKernel: Kernel {
    struct Resolved {
        var starts: [Int]
        var steps: [Int]
        var shape: [Int]
    }

    init(_ context: KernelContext) throws(EngineError) {
        try context.expectArity(inputs: 3...5)
    }

    static func resolve(_ shape: [Int], starts: [Int], ends: [Int], axes given: [Int]?, steps: [Int]?) throws(EngineError) -> Resolved {
        let rank = shape.count
        var axes = Array(0..<starts.count)
        if let given { axes = try Shapes.normalizedAxes(given, rank: rank) }
        let steps = steps ?? [Int](repeating: 1, count: starts.count)
        guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count else {
            throw EngineError(.invalidGraph, "starts (\(starts.count)), ends (\(ends.count)), axes (\(axes.count)) and steps (\(steps.count)) must have one length")
        }
        guard axes.allSatisfy({ $0 < rank }) else {
            throw EngineError(.invalidGraph, "slices \(starts.count) axes of a tensor of rank \(rank)")
        }
        var result = Resolved(starts: [Int](repeating: 0, count: rank), steps: [Int](repeating: 1, count: rank), shape: shape)
        for (k, axis) in axes.enumerated() {
            let dim = shape[axis], step = steps[k]
            guard step != 0 else { throw EngineError(.invalidGraph, "step 0 on axis \(axis)") }
            var start = starts[k] < 0 ? starts[k] + dim : starts[k]
            var end = ends[k] < 0 ? ends[k] + dim : ends[k]
            if step > 0 {
                start = min(max(start, 0), dim)
                end = min(max(end, 0), dim)
            } else {
                start = min(max(start, 0), dim - 1)
                end = min(max(end, -1), dim - 1)
            }
            let count = step > 0 ? (end - start + step - 1) / step : (start - end - step - 1) / -step
            result.starts[axis] = start
            result.steps[axis] = step
            result.shape[axis] = max(count, 0)
        }
        return result
    }

    var planTimeInputs: Set<Int> { [1, 2, 3, 4] }

    func outputTypes(_ inputs: [ValueType], values: [Tensor?]) throws(EngineError) -> [ValueType] {
        let starts = try PlanValues.vector(values, 1, "starts")
        let ends = try PlanValues.vector(values, 2, "ends")
        let axes = inputs.count > 3 ? try PlanValues.vector(values, 3, "axes") : nil
        let steps = inputs.count > 4 ? try PlanValues.vector(values, 4, "steps") : nil
        let resolved = try Self.resolve(inputs[0].shape, starts: starts, ends: ends, axes: axes, steps: steps)
        return [ValueType(dtype: inputs[0].dtype, shape: resolved.shape)]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let data = inputs[0]
        let resolved = try Self.resolve(data.shape, starts: inputs[1].intValues, ends: inputs[2].intValues,
                                        axes: inputs.count > 3 ? inputs[3].intValues : nil,
                                        steps: inputs.count > 4 ? inputs[4].intValues : nil)
        let strides = Shapes.strides(data.shape)
        let base = zip(resolved.starts, strides).reduce(0) { $0 + $1.0 * $1.1 }
        let walk = zip(resolved.steps, strides).map { $0 * $1 }
        let size = data.type.dtype.byteSize
        let source = data.data, destination = outputs[0].data
        Shapes.forEachOffset(resolved.shape, strides: [walk]) { flat, offsets in
            copyElement(size, from: source, base + offsets[0], to: destination, flat)
        }
    }
}

/// ConstantOfShape (ONNX opset 9): a tensor of shape `input` (INT64, known at plan time)
/// filled with `value`.
///
/// Deviation: our Attribute has no tensor kind, so `value` is given as a float (FP32 output),
/// an int (INT64 output), or a one-element floats/ints list; absent, it is FP32 0.
struct ConstantOfShapeKernel: Kernel {
    enum Fill: Sendable {
        case float(Float)
        case int(Int64)
    }

    let fill: Fill

    init(_ context: KernelContext) throws(EngineError) {
        try context.expectArity(inputs: 1...1)
        switch context.attribute("value") {
        case nil: fill = .float(0)
        case .float(let x)?: fill = .float(Float(x))
        case .int(let x)?: fill = .int(x)
        case .floats(let xs)? where xs.count == 1: fill = .float(Float(xs[0]))
        case .ints(let xs)? where xs.count == 1: fill = .int(xs[0])
        case let other?:
            throw EngineError(.invalidGraph, "attribute 'value' must be one float or int, not \(other)")
        }
    }

    var planTimeInputs: Set<Int> { [0] }

    func outputTypes(_ inputs: [ValueType], values: [Tensor?]) throws(EngineError) -> [ValueType] {
        let shape = try PlanValues.vector(values, 0, "shape")
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw EngineError(.invalidGraph, "shape \(shape) has a negative dimension")
        }
        switch fill {
        case .float: return [ValueType(dtype: .fp32, shape: shape)]
        case .int: return [ValueType(dtype: .int64, shape: shape)]
        }
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let count = outputs[0].type.elementCount
        switch fill {
        case .float(let x): outputs[0].floats.update(repeating: x, count: count)
        case .int(let x): outputs[0].int64s.update(repeating: x, count: count)
        }
    }
}

/// Range (ONNX opset 11): start, start + delta, … up to (not including) limit; scalar
/// inputs of one type, FP32, INT64 or INT32, known at plan time.
struct RangeKernel: Kernel {
    init(_ context: KernelContext) throws(EngineError) {
        try context.expectArity(inputs: 3...3)
    }

    var planTimeInputs: Set<Int> { [0, 1, 2] }

    func outputTypes(_ inputs: [ValueType], values: [Tensor?]) throws(EngineError) -> [ValueType] {
        try inputs[0].expect([.fp32, .int64, .int32], "start")
        guard inputs.allSatisfy({ $0.dtype == inputs[0].dtype }) else {
            throw EngineError(.invalidGraph, "start, limit and delta must have one element type, not \(inputs.map(\.dtype))")
        }
        let start = try PlanValues.scalar(values, 0, "start")
        let limit = try PlanValues.scalar(values, 1, "limit")
        let delta = try PlanValues.scalar(values, 2, "delta")
        guard delta != 0 else { throw EngineError(.invalidGraph, "delta is 0") }
        let count = max(Int(((limit - start) / delta).rounded(.up)), 0)
        return [ValueType(dtype: inputs[0].dtype, shape: [count])]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let out = outputs[0]
        let count = out.type.elementCount
        switch out.type.dtype {
        case .fp32:
            let start = inputs[0].floats[0], delta = inputs[2].floats[0]
            for i in 0..<count { out.floats[i] = start + Float(i) * delta }
        case .int32:
            let start = inputs[0].data.load(as: Int32.self), delta = inputs[2].data.load(as: Int32.self)
            let y = out.data.assumingMemoryBound(to: Int32.self)
            for i in 0..<count { y[i] = start &+ Int32(truncatingIfNeeded: i) &* delta }
        default:
            let start = inputs[0].int64s[0], delta = inputs[2].int64s[0]
            for i in 0..<count { out.int64s[i] = start &+ Int64(i) &* delta }
        }
    }
}

import CTesseraKernels

/// Copies an input's bytes unchanged: the body of every op that only relabels the shape
/// (`Kernel.relabelsInput`), run only where the planner could not give the output the input's
/// memory instead.
func copyBytes(_ input: KernelInput, _ output: KernelOutput) {
    output.data.copyMemory(from: input.data, byteCount: output.type.byteCount)
}

/// Identity (ONNX opset 16): the input, any element type.
struct IdentityKernel: Kernel {
    init(_ context: KernelContext) throws(EngineError) {
        try context.expectArity(inputs: 1...1)
    }

    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] { [inputs[0]] }

    var relabelsInput: Bool { true }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        copyBytes(inputs[0], outputs[0])
    }
}

/// Reshape (ONNX opset 14): 0 copies the input's dimension at that index (unless attribute
/// `allowzero` is 1, when it means an empty dimension), -1 is inferred from the element count.
///
/// The shape must be known when the plan is made: a constant (checked once, at construction)
/// or a value the planner computes from input shapes and constants (Shape → Gather → Concat;
/// checked per input-shape signature). A shape that depends on input data is refused.
struct ReshapeKernel: Kernel {
    /// The target when the shape input is a constant.
    let constantTarget: [Int]?
    let allowZero: Bool

    init(_ context: KernelContext) throws(EngineError) {
        try context.expectArity(inputs: 2...2)
        allowZero = try context.int("allowzero", default: 0) != 0
        if let shape = context.constantInput(1) {
            constantTarget = try Self.target(from: shape, allowZero: allowZero)
        } else {
            constantTarget = nil
        }
    }

    private static func target(from shape: Tensor, allowZero: Bool) throws(EngineError) -> [Int] {
        guard shape.dtype == .int64, shape.shape.count == 1, let target = shape.intValues else {
            throw EngineError(.invalidGraph, "the shape input must be a 1-D INT64 tensor, not \(shape.dtype) \(shape.shape)")
        }
        if target.filter({ $0 == -1 }).count > 1 {
            throw EngineError(.invalidGraph, "shape \(target) has more than one -1")
        }
        if let bad = target.first(where: { $0 < -1 }) {
            throw EngineError(.invalidGraph, "shape \(target) has the invalid dimension \(bad)")
        }
        if allowZero, target.contains(0), target.contains(-1) {
            throw EngineError(.invalidGraph, "shape \(target) has both 0 and -1, which allowzero=1 forbids")
        }
        return target
    }

    var planTimeInputs: Set<Int> { constantTarget == nil ? [1] : [] }

    func outputTypes(_ inputs: [ValueType], values: [Tensor?]) throws(EngineError) -> [ValueType] {
        let input = inputs[0]
        let target: [Int]
        if let constantTarget {
            target = constantTarget
        } else if let shape = values.count > 1 ? values[1] : nil {
            target = try Self.target(from: shape, allowZero: allowZero)
        } else {
            throw EngineError(.invalidGraph, "the shape input must be known when the plan is made: an initializer, a Constant, or a value computed only from input shapes and constants")
        }
        var shape = target
        for (index, dim) in target.enumerated() where dim == 0 && !allowZero {
            guard index < input.shape.count else {
                throw EngineError(.invalidGraph, "shape \(target) copies dimension \(index) (0) but the input \(input.shape) has only \(input.shape.count)")
            }
            shape[index] = input.shape[index]
        }
        let count = input.elementCount
        if let inferred = shape.firstIndex(of: -1) {
            let known = Shapes.product(shape.filter { $0 != -1 })
            guard known > 0, count % known == 0 else {
                throw EngineError(.invalidGraph, "cannot reshape \(input.shape) (\(count) elements) to \(target)")
            }
            shape[inferred] = count / known
        }
        guard Shapes.product(shape) == count else {
            throw EngineError(.invalidGraph, "cannot reshape \(input.shape) (\(count) elements) to \(target), which resolves to \(shape)")
        }
        return [ValueType(dtype: input.dtype, shape: shape)]
    }

    var relabelsInput: Bool { true }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        copyBytes(inputs[0], outputs[0])
    }
}

/// Flatten (ONNX opset 13): [d0 ... d(axis-1)] and [d(axis) ... dn] each collapse into one
/// dimension; `axis` defaults to 1 and may be anything in [-rank, rank].
struct FlattenKernel: Kernel {
    let axis: Int

    init(_ context: KernelContext) throws(EngineError) {
        try context.expectArity(inputs: 1...1)
        axis = try context.int("axis", default: 1)
    }

    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] {
        let shape = inputs[0].shape
        let axis = try Shapes.normalizedAxis(axis, rank: shape.count, allowEnd: true)
        return [ValueType(dtype: inputs[0].dtype, shape: [Shapes.product(shape[..<axis]), Shapes.product(shape[axis...])])]
    }

    var relabelsInput: Bool { true }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        copyBytes(inputs[0], outputs[0])
    }
}

/// Transpose (ONNX opset 13): attribute `perm`, default reversing the axes. Elements of 1,
/// 2, 4 or 8 bytes; rank at most 16.
struct TransposeKernel: Kernel {
    let perm: [Int]?

    init(_ context: KernelContext) throws(EngineError) {
        try context.expectArity(inputs: 1...1)
        perm = try context.ints("perm")
        if let perm, Set(perm) != Set(0..<perm.count) {
            throw EngineError(.invalidGraph, "perm \(perm) is not a permutation of 0..<\(perm.count)")
        }
    }

    private func resolvedPerm(rank: Int) -> [Int] { perm ?? Array((0..<rank).reversed()) }

    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] {
        let input = inputs[0]
        let perm = resolvedPerm(rank: input.shape.count)
        guard perm.count == input.shape.count else {
            throw EngineError(.invalidGraph, "perm \(perm) has \(perm.count) axes but the input \(input.shape) has \(input.shape.count)")
        }
        guard input.shape.count <= 16 else {
            throw EngineError(.invalidGraph, "tensors of rank \(input.shape.count) are not supported (at most 16)")
        }
        return [ValueType(dtype: input.dtype, shape: perm.map { input.shape[$0] })]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let input = inputs[0]
        let shape = input.shape
        let perm = resolvedPerm(rank: shape.count)
        let ok = tsk_permute(input.type.dtype.byteSize, shape.count, shape, perm, input.data, outputs[0].data)
        guard ok == 1 else {
            throw EngineError(.invalidGraph, "cannot transpose \(input.type): unsupported element size or rank")
        }
    }
}

/// Constant (ONNX opset 13) from attribute `value_float`, `value_floats`, `value_int` or
/// `value_ints`: a scalar or a 1-D tensor, FP32 or INT64.
///
/// Deviation: our Attribute has no tensor kind, so `value` (a full tensor), `sparse_value`
/// and the string forms are not supported.
struct ConstantValueKernel: ConstantKernel {
    let value: Tensor

    init(_ context: KernelContext) throws(EngineError) {
        try context.expectArity(inputs: 0...0)
        let forms = ["value_float", "value_floats", "value_int", "value_ints"]
        let given = context.node.attributes
        guard given.count == 1, let attribute = given.first, forms.contains(attribute.name) else {
            let names = given.map { "'\($0.name)'" }.joined(separator: ", ")
            throw EngineError(.invalidGraph, "needs exactly one of \(forms.joined(separator: ", ")) but has \(names.isEmpty ? "none" : names)")
        }
        switch (attribute.name, attribute.value) {
        case ("value_float", .float(let x)):
            value = try Tensor(shape: [], floats: [Float(x)])
        case ("value_floats", .floats(let xs)):
            value = try Tensor(shape: [xs.count], floats: xs.map { Float($0) })
        case ("value_int", .int(let x)):
            value = try Self.int64Tensor(shape: [], [x])
        case ("value_ints", .ints(let xs)):
            value = try Self.int64Tensor(shape: [xs.count], xs)
        default:
            throw EngineError(.invalidGraph, "attribute '\(attribute.name)' has the wrong kind of value: \(attribute.value)")
        }
    }

    private static func int64Tensor(shape: [Int], _ values: [Int64]) throws(EngineError) -> Tensor {
        let storage = values.withUnsafeBytes { TensorStorage(copying: $0) }
        return try Tensor(dtype: .int64, shape: shape, storage: storage)
    }

    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] {
        [ValueType(dtype: value.dtype, shape: value.shape)]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        if let base = value.storage.baseAddress {
            outputs[0].data.copyMemory(from: base, byteCount: value.storage.byteCount)
        }
    }
}

import CTesseraKernels

/// `Tessera.Dense` (made by `DenseFusion`, not an ONNX op): Y = activation(A · W + bias)
/// with W a constant [k, n] packed once, bias a constant [n] that the GEMM kernel adds as it
/// writes each tile, and `activation` one of "none" (default), "relu", "sigmoid", "tanh",
/// "gelu", "gelu_tanh", applied by the GEMM to each block of Y as it finishes (still in
/// cache). A's leading dimensions are rows, as in MatMul; a 1-D A gives a 1-D Y. FP32 only.
struct DenseKernel: Kernel {
    let packed: PackedMatrix
    let bias: Tensor
    let activation: UnaryKernel.Operation?

    init(_ context: KernelContext) throws(EngineError) {
        try context.expectArity(inputs: 3...3)
        guard let w = context.constantInput(1), w.dtype == .fp32, w.shape.count == 2,
              let base = w.storage.baseAddress,
              let packed = PackedMatrix(base.assumingMemoryBound(to: Float.self), transposed: false, k: w.shape[0], n: w.shape[1])
        else {
            throw EngineError(.invalidGraph, "input W must be a constant, non-empty 2-D FP32 tensor")
        }
        guard let bias = context.constantInput(2), bias.dtype == .fp32, bias.shape == [packed.n] else {
            throw EngineError(.invalidGraph, "input bias must be a constant FP32 tensor of shape [\(packed.n)]")
        }
        self.packed = packed
        self.bias = bias
        switch try context.string("activation", default: "none") {
        case "none": activation = nil
        case "relu": activation = .relu
        case "sigmoid": activation = .sigmoid
        case "tanh": activation = .tanh
        case "gelu": activation = .geluErf
        case "gelu_tanh": activation = .geluTanh
        case let other:
            throw EngineError(.invalidGraph, "attribute 'activation' must be none, relu, sigmoid, tanh, gelu or gelu_tanh, not \"\(other)\"")
        }
    }

    var copiedInputs: Set<Int> { [1, 2] }

    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] {
        let a = inputs[0]
        try a.expect([.fp32], "input A")
        guard let k = a.shape.last, k == packed.k else {
            throw EngineError(.invalidGraph, "A \(a.shape) must end in the weight's \(packed.k) rows")
        }
        return [ValueType(dtype: .fp32, shape: a.shape.dropLast() + [packed.n])]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let rows = Shapes.product(inputs[0].shape.dropLast())
        let y = outputs[0].floats
        if rows == 0 { return }
        let bias = bias.storage.baseAddress!.assumingMemoryBound(to: Float.self)
        let a = inputs[0].floats
        let done = if let activation {
            tsk_sgemm_packed_unary(TSK_VARIANT_AUTO, rows, a, packed.k, packed.handle, 0, y, packed.n, bias, activation.kernelOp)
        } else {
            tsk_sgemm_packed(TSK_VARIANT_AUTO, rows, a, packed.k, packed.handle, 0, y, packed.n, bias)
        }
        guard done == 1 else { throw sgemmFailed() }
    }
}

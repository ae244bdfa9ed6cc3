import CTesseraKernels

/// Relu, Sigmoid, Tanh, Erf and Gelu on FP32: one C loop over all elements.
///
/// Gelu follows ONNX opset 20: attribute `approximate` is "none" (exact, with erf) or
/// "tanh". Deviation: only FP32 inputs.
struct UnaryKernel: Kernel {
    enum Operation {
        case relu, sigmoid, tanh, erf, geluErf, geluTanh

        var kernelOp: tsk_unary_op {
            switch self {
            case .relu: TSK_UNARY_RELU
            case .sigmoid: TSK_UNARY_SIGMOID
            case .tanh: TSK_UNARY_TANH
            case .erf: TSK_UNARY_ERF
            case .geluErf: TSK_UNARY_GELU_ERF
            case .geluTanh: TSK_UNARY_GELU_TANH
            }
        }
    }

    let operation: Operation

    init(_ context: KernelContext, _ operation: Operation) throws(EngineError) {
        try context.expectArity(inputs: 1...1)
        self.operation = operation
    }

    init(gelu context: KernelContext) throws(EngineError) {
        try context.expectArity(inputs: 1...1)
        switch try context.string("approximate", default: "none") {
        case "none": operation = .geluErf
        case "tanh": operation = .geluTanh
        case let other:
            throw EngineError(.invalidGraph, "attribute 'approximate' must be \"none\" or \"tanh\", not \"\(other)\"")
        }
    }

    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] {
        try inputs[0].expect([.fp32], "input X")
        return [inputs[0]]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        _ = tsk_unary_f32(TSK_VARIANT_AUTO, operation.kernelOp, inputs[0].type.elementCount, inputs[0].floats, outputs[0].floats)
    }
}

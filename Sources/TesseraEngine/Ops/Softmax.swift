import CTesseraKernels

/// Softmax and LogSoftmax over one axis (ONNX opset 13: attribute `axis`, default -1).
/// Deviation: only FP32 inputs.
struct SoftmaxKernel: Kernel {
    let axis: Int
    let log: Bool

    init(_ context: KernelContext, log: Bool) throws(EngineError) {
        try context.expectArity(inputs: 1...1)
        axis = try context.int("axis", default: -1)
        self.log = log
    }

    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] {
        try inputs[0].expect([.fp32], "input")
        _ = try Shapes.normalizedAxis(axis, rank: inputs[0].shape.count)
        return [inputs[0]]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let shape = inputs[0].shape
        let axis = try Shapes.normalizedAxis(axis, rank: shape.count)
        let outer = Shapes.product(shape[..<axis])
        let inner = Shapes.product(shape[(axis + 1)...])
        _ = tsk_softmax_f32(TSK_VARIANT_AUTO, log ? 1 : 0, outer, shape[axis], inner, inputs[0].floats, outputs[0].floats)
    }
}

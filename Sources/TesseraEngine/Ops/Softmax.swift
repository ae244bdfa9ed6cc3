import CTesseraKernels

/// Softmax and LogSoftmax over one axis (ONNX opset 13: attribute `axis`, default -1).
/// Deviation: only FP32 inputs.
///
/// Also `Tessera.SafeSoftmax` (made by `SafeSoftmaxFusion`, not an ONNX op): Softmax whose
/// NaN results — a row whose every logit is -inf, or a row holding a NaN — become 0.
struct SoftmaxKernel: Kernel {
    let axis: Int
    let log: Bool
    let zeroNaN: Bool

    init(_ context: KernelContext, log: Bool, zeroNaN: Bool = false) throws(EngineError) {
        try context.expectArity(inputs: 1...1)
        axis = try context.int("axis", default: -1)
        self.log = log
        self.zeroNaN = zeroNaN
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
        let y = outputs[0].floats
        _ = tsk_softmax_f32(TSK_VARIANT_AUTO, log ? 1 : 0, outer, shape[axis], inner, inputs[0].floats, y)
        if zeroNaN {
            for i in 0..<(outer * shape[axis] * inner) where y[i].isNaN { y[i] = 0 }
        }
    }
}

import CTesseraKernels

/// `Tessera.Attention` (made by `AttentionFusion`, not an ONNX op): inputs Q, K, V and an
/// optional additive mask M; Y = P · V with P = softmax(scale · (Q · K) + M) over the last
/// axis. Attributes: `scale` (float, default 1) and `zero_nan` (int, default 0: when 1, NaN
/// probabilities — fully masked rows — become 0, as in `Tessera.SafeSoftmax`).
///
/// When Q [..., s, d], K [..., d, t] and V [..., t, e] share their leading dimensions and M
/// broadcasts into the scores [..., s, t] without growing them, each leading index is one
/// task on the worker pool that keeps its scores in a buffer of its own (`tsk_attention_f32`).
/// Any other shapes MatMul, Add and Softmax accept are computed node by node, with the same
/// kernels the unfused graph would use. FP32 only.
struct AttentionKernel: Kernel {
    let scale: Float
    let zeroNaN: Bool
    let hasMask: Bool
    // The unfused ops, for typing and for shapes the fused path does not take.
    private let scores: MatMulKernel
    private let add: BinaryKernel
    private let softmax: SoftmaxKernel
    private let output: MatMulKernel

    init(_ context: KernelContext) throws(EngineError) {
        try context.expectArity(inputs: 3...4)
        scale = try context.float("scale", default: 1)
        zeroNaN = try context.int("zero_nan", default: 0) != 0
        hasMask = context.presentInputCount == 4
        func part(_ inputs: [String]) -> KernelContext {
            KernelContext(node: Node(opType: "", name: context.node.name, inputs: inputs, outputs: ["y"]), constants: [:])
        }
        scores = try MatMulKernel(part(["q", "k"]))
        add = try BinaryKernel(part(["s", "m"]), .add)
        softmax = try SoftmaxKernel(part(["s"]), log: false, zeroNaN: zeroNaN)
        output = try MatMulKernel(part(["p", "v"]))
    }

    /// The intermediate types: scores, masked scores (or nil), probabilities, output.
    private func types(_ inputs: [ValueType]) throws(EngineError) -> (ValueType, ValueType?, ValueType, ValueType) {
        let s = try scores.outputTypes([inputs[0], inputs[1]])[0]
        let masked = hasMask ? try add.outputTypes([s, inputs[3]])[0] : nil
        let p = try softmax.outputTypes([masked ?? s])[0]
        return (s, masked, p, try output.outputTypes([p, inputs[2]])[0])
    }

    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] {
        [try types(inputs).3]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let (q, k, v) = (inputs[0].shape, inputs[1].shape, inputs[2].shape)
        let mask = hasMask ? inputs[3] : nil
        if q.count >= 2, k.count == q.count, v.count == q.count,
           q.dropLast(2) == k.dropLast(2), q.dropLast(2) == v.dropLast(2),
           let layout = MaskLayout(scores: q.dropLast() + [k[k.count - 1]], mask: mask?.shape) {
            let (s, d, t, e) = (q[q.count - 2], q[q.count - 1], k[k.count - 1], v[v.count - 1])
            let ok = layout.offsets.withUnsafeBufferPointer { offsets in
                tsk_attention_f32(layout.batch, s, t, d, e, scale, inputs[0].floats, inputs[1].floats, inputs[2].floats,
                                  mask?.floats, offsets.baseAddress, layout.rowStride, layout.columnStride,
                                  zeroNaN ? 1 : 0, outputs[0].floats)
            }
            guard ok == 1 else { throw EngineError(.invalidTensor, "the attention kernel could not allocate its score buffers") }
            return
        }
        try runUnfused(inputs, outputs[0])
    }

    /// MatMul, scale, Add, Softmax, MatMul one after the other, on temporary buffers.
    private func runUnfused(_ inputs: [KernelInput], _ y: KernelOutput) throws(EngineError) {
        let (sType, maskedType, pType, _) = try types(inputs.map(\.type))
        let s = UnsafeMutablePointer<Float>.allocate(capacity: max(sType.elementCount, 1))
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(pType.elementCount, 1))
        defer { s.deallocate(); p.deallocate() }
        try scores.run([inputs[0], inputs[1]], [KernelOutput(type: sType, data: UnsafeMutableRawPointer(s))])
        if scale != 1 {
            var factor = scale
            _ = tsk_binary_f32(TSK_VARIANT_AUTO, TSK_BINARY_MUL, sType.elementCount, s, 1, &factor, 0, s)
        }
        var logits = KernelInput(type: sType, data: UnsafeRawPointer(s))
        if let maskedType {
            let masked = UnsafeMutablePointer<Float>.allocate(capacity: max(maskedType.elementCount, 1))
            defer { masked.deallocate() }
            try add.run([logits, inputs[3]], [KernelOutput(type: maskedType, data: UnsafeMutableRawPointer(masked))])
            logits = KernelInput(type: maskedType, data: UnsafeRawPointer(masked))
            try softmax.run([logits], [KernelOutput(type: pType, data: UnsafeMutableRawPointer(p))])
        } else {
            try softmax.run([logits], [KernelOutput(type: pType, data: UnsafeMutableRawPointer(p))])
        }
        try output.run([KernelInput(type: pType, data: UnsafeRawPointer(p)), inputs[2]], [y])
    }
}

/// Where each problem's mask starts and how it steps, when the mask broadcasts into the
/// scores [lead..., s, t] without growing them; nil otherwise.
private struct MaskLayout {
    let batch: Int
    let offsets: [Int]
    let rowStride: Int
    let columnStride: Int

    init?(scores: [Int], mask: [Int]?) {
        let lead = Array(scores.dropLast(2))
        batch = Shapes.product(lead)
        guard let mask else {
            offsets = [Int](repeating: 0, count: batch)
            rowStride = 0
            columnStride = 0
            return
        }
        guard mask.count <= scores.count, Shapes.broadcast(scores, mask) == scores else { return nil }
        let padded = [Int](repeating: 1, count: scores.count - mask.count) + mask
        // Row-major strides of the mask, 0 along the axes it broadcasts.
        var strides = [Int](repeating: 0, count: padded.count)
        var step = 1
        for axis in padded.indices.reversed() {
            strides[axis] = padded[axis] == 1 ? 0 : step
            step *= padded[axis]
        }
        rowStride = strides[strides.count - 2]
        columnStride = strides[strides.count - 1]
        var offsets = [Int](repeating: 0, count: batch)
        for b in 0..<batch {
            var rest = b, offset = 0
            for axis in lead.indices.reversed() {
                offset += (rest % lead[axis]) * strides[axis]
                rest /= lead[axis]
            }
            offsets[b] = offset
        }
        self.offsets = offsets
    }
}

import CTesseraKernels

/// A constant 8-bit right-hand matrix and its column zero points, packed once at executor
/// construction for the integer GEMM. Immutable and read concurrently by every run.
final class PackedIntegerMatrix: @unchecked Sendable {
    let handle: OpaquePointer

    /// Packs B (k x n, row-major, int8 when `signed`) with one zero point (`zeroPoints.count
    /// == 1`) or one per column. Never writes to `b`.
    init?(_ b: UnsafeRawPointer, signed: Bool, k: Int, n: Int, zeroPoints: [Int32]) {
        let packed = zeroPoints.withUnsafeBufferPointer { zero in
            tsk_igemm_pack_b(TSK_VARIANT_AUTO, k, n, b, n, signed ? 1 : 0, zero.baseAddress, zero.count == 1 ? 0 : 1)
        }
        guard let packed else { return nil }
        handle = packed
    }

    deinit { tsk_igemm_packed_b_free(handle) }
}

private func igemmFailed() -> EngineError {
    EngineError(.invalidTensor, "the integer GEMM kernel could not allocate its packing buffers")
}

/// MatMulInteger (ONNX opset 10): Y = (A - a_zero_point) * (B - b_zero_point) in int32, exact,
/// for uint8 or int8 A and B, with MatMul's NumPy broadcasting of batch dimensions and 1-D
/// operands. Zero points default to 0 and are per tensor (one element) or, for a 2-D
/// product repeated over the batch, per row of A (`[M]` or `[..., M, 1]`) and per column of
/// B (`[N]` or `[..., 1, N]`); zero points that differ between batch entries are rejected.
/// A constant 2-D B with a constant (or absent) b_zero_point is packed once.
struct MatMulIntegerKernel: Kernel {
    let packed: PackedIntegerMatrix?

    init(_ context: KernelContext) throws(EngineError) {
        try context.expectArity(inputs: 2...4)
        packed = Self.pack(context)
    }

    private static func pack(_ context: KernelContext) -> PackedIntegerMatrix? {
        guard let b = context.constantInput(1), b.dtype == .uint8 || b.dtype == .int8, b.shape.count == 2,
              b.shape[0] > 0, b.shape[1] > 0, let base = b.storage.baseAddress
        else { return nil }
        var zero: [Int32] = [0]
        if context.presentInputCount == 4 {
            guard let given = context.constantInput(3), given.dtype == b.dtype,
                  let values = try? Self.zeroPoints(given.storage.baseAddress, type: ValueType(dtype: given.dtype, shape: given.shape),
                                                    role: .b, rows: b.shape[1])
            else { return nil }
            zero = values
        }
        return PackedIntegerMatrix(base, signed: b.dtype == .int8, k: b.shape[0], n: b.shape[1], zeroPoints: zero)
    }

    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] {
        let (a, b) = (inputs[0], inputs[1])
        try a.expect([.uint8, .int8], "input A")
        try b.expect([.uint8, .int8], "input B")
        let shapes = try MatMulShapes(a.shape, b.shape)
        if inputs.count > 2 {
            try inputs[2].expect([a.dtype], "a_zero_point (the type of A)")
            _ = try Self.layout(inputs[2].shape, role: .a, rows: shapes.a[shapes.a.count - 2])
        }
        if inputs.count > 3 {
            try inputs[3].expect([b.dtype], "b_zero_point (the type of B)")
            _ = try Self.layout(inputs[3].shape, role: .b, rows: shapes.b[shapes.b.count - 1])
        }
        return [ValueType(dtype: .int32, shape: shapes.output)]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let (a, b) = (inputs[0], inputs[1])
        let y = outputs[0].data.assumingMemoryBound(to: Int32.self)
        let (aShape, bShape) = MatMulShapes.promoted(a.shape, b.shape)
        let m = aShape[aShape.count - 2], k = aShape[aShape.count - 1], n = bShape[bShape.count - 1]
        let aSigned: Int32 = a.type.dtype == .int8 ? 1 : 0, bSigned: Int32 = b.type.dtype == .int8 ? 1 : 0
        let aZero = try inputs.count > 2 ? Self.zeroPoints(inputs[2].data, type: inputs[2].type, role: .a, rows: m) : [0]
        let bZero = try inputs.count > 3 ? Self.zeroPoints(inputs[3].data, type: inputs[3].type, role: .b, rows: n) : [0]
        let aStep = aZero.count == 1 ? 0 : 1, bStep = bZero.count == 1 ? 0 : 1

        if bShape.count == 2 {
            // B is shared by every batch: A's leading dimensions are just more rows, and a
            // per-row zero point repeats with them.
            let rows = Shapes.product(aShape.dropLast())
            if rows == 0 || n == 0 { return }
            let rowZero = aStep == 0 ? aZero : (0..<rows).map { aZero[$0 % m] }
            let ok = rowZero.withUnsafeBufferPointer { za in
                if let packed {
                    return tsk_igemm_packed(TSK_VARIANT_AUTO, rows, a.data, k, aSigned, za.baseAddress, aStep,
                                            packed.handle, y, n)
                }
                return bZero.withUnsafeBufferPointer { zb in
                    tsk_igemm(TSK_VARIANT_AUTO, rows, n, k, a.data, k, aSigned, za.baseAddress, aStep,
                              b.data, n, bSigned, zb.baseAddress, bStep, y, n)
                }
            }
            guard ok == 1 else { throw igemmFailed() }
            return
        }

        // One GEMM per broadcast batch index, with broadcast operands reused via stride 0.
        let aBatch = Array(aShape.dropLast(2)), bBatch = Array(bShape.dropLast(2))
        guard let batch = Shapes.broadcast(aBatch, bBatch) else { return }
        if Shapes.product(batch) == 0 || m == 0 || n == 0 { return }
        var failed = false
        var index = 0
        aZero.withUnsafeBufferPointer { za in
            bZero.withUnsafeBufferPointer { zb in
                BroadcastLoop(a: aBatch, b: bBatch, out: batch).forEachRun { runLength, offsetA, stepA, offsetB, stepB, _ in
                    for i in 0..<runLength {
                        let pa = a.data + (offsetA + i * stepA) * m * k
                        let pb = b.data + (offsetB + i * stepB) * k * n
                        if tsk_igemm(TSK_VARIANT_AUTO, m, n, k, pa, k, aSigned, za.baseAddress, aStep, pb, n, bSigned,
                                     zb.baseAddress, bStep, y + index * m * n, n) != 1 {
                            failed = true
                        }
                        index += 1
                    }
                }
            }
        }
        if failed { throw igemmFailed() }
    }

    enum Role {
        case a, b
        var name: String { self == .a ? "a_zero_point" : "b_zero_point" }
        var along: String { self == .a ? "row of A" : "column of B" }
    }

    /// Whether a zero point of `shape` is one value (false) or one per row of A / column of B
    /// (true, `rows` of them), or throws naming what is unsupported.
    private static func layout(_ shape: [Int], role: Role, rows: Int) throws(EngineError) -> Bool {
        let count = Shapes.product(shape)
        if count == 1 { return false }
        // Per row of A: [M] or [..., M, 1]; per column of B: [N] or [..., 1, N].
        let vector: Bool
        switch role {
        case .a: vector = shape.count == 1 ? shape[0] == rows : shape.last == 1 && shape[shape.count - 2] == rows
        case .b: vector = shape.count == 1 ? shape[0] == rows : shape[shape.count - 2] == 1 && shape.last == rows
        }
        guard vector, count == rows else {
            let expected = role == .a ? "[\(rows)] or [..., \(rows), 1]" : "[\(rows)] or [..., 1, \(rows)]"
            let detail = vector ? "; zero points that differ between batch entries are not supported" : ""
            throw EngineError(.invalidGraph, "\(role.name) \(shape) must hold one value, or one per \(role.along) shaped \(expected)\(detail)")
        }
        return true
    }

    /// The zero points as int32: one value, or `rows` of them.
    fileprivate static func zeroPoints(_ data: UnsafeRawPointer?, type: ValueType, role: Role, rows: Int) throws(EngineError) -> [Int32] {
        let perRow = try layout(type.shape, role: role, rows: rows)
        guard let data else { return [0] }
        let count = perRow ? rows : 1
        return (0..<count).map { i in
            type.dtype == .int8 ? Int32(data.load(fromByteOffset: i, as: Int8.self)) : Int32(data.load(fromByteOffset: i, as: UInt8.self))
        }
    }
}

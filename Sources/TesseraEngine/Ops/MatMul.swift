import CTesseraKernels

/// A constant right-hand matrix packed once, at executor construction, into the SGEMM
/// kernels' panel layout. Immutable and read concurrently by every run.
final class PackedMatrix: @unchecked Sendable {
    let handle: OpaquePointer
    let k: Int
    let n: Int

    /// Packs op(B) (k x n; B stored n x k when `transposed`) scaled by `scale`. Never writes
    /// to `b`: initializer memory may be a read-only mapping of the weights file.
    init?(_ b: UnsafePointer<Float>, transposed: Bool, k: Int, n: Int, scale: Float = 1) {
        guard k > 0, n > 0 else { return nil }
        let ldb = transposed ? k : n
        let packed: OpaquePointer?
        if scale == 1 {
            packed = tsk_pack_b(TSK_VARIANT_AUTO, transposed ? 1 : 0, k, n, b, ldb)
        } else {
            let scaled = (0..<(k * n)).map { scale * b[$0] }
            packed = tsk_pack_b(TSK_VARIANT_AUTO, transposed ? 1 : 0, k, n, scaled, ldb)
        }
        guard let packed else { return nil }
        handle = packed
        self.k = k
        self.n = n
    }

    deinit { tsk_packed_b_free(handle) }
}

func sgemmFailed() -> EngineError {
    EngineError(.invalidTensor, "the SGEMM kernel could not allocate its packing buffers")
}

/// MatMul with NumPy `matmul` semantics (ONNX opset 13): 1-D operands are promoted and the
/// promoted dimension dropped again; leading (batch) dimensions broadcast. A constant 2-D B
/// is packed once and A's leading dimensions folded into the rows of one GEMM. FP32 only.
struct MatMulKernel: Kernel {
    let packed: PackedMatrix?

    init(_ context: KernelContext) throws(EngineError) {
        try context.expectArity(inputs: 2...2)
        if let b = context.constantInput(1), b.dtype == .fp32, b.shape.count == 2 {
            packed = b.storage.baseAddress.flatMap { base in
                PackedMatrix(base.assumingMemoryBound(to: Float.self), transposed: false, k: b.shape[0], n: b.shape[1])
            }
        } else {
            packed = nil
        }
    }

    /// B, when packed: `run` takes the packed path whenever B is 2-D, which a constant B is.
    var copiedInputs: Set<Int> { packed == nil ? [] : [1] }

    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] {
        let (a, b) = (inputs[0], inputs[1])
        try a.expect([.fp32], "input A")
        try b.expect([.fp32], "input B")
        return [ValueType(dtype: .fp32, shape: try MatMulShapes(a.shape, b.shape).output)]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let (a, b, y) = (inputs[0], inputs[1], outputs[0])
        let (aShape, bShape) = MatMulShapes.promoted(a.shape, b.shape)
        let k = aShape[aShape.count - 1], n = bShape[bShape.count - 1]
        if bShape.count == 2 {
            // B is shared by every batch: A's leading dimensions are just more rows.
            let rows = Shapes.product(aShape.dropLast())
            if rows == 0 || n == 0 { return }
            if k == 0 {
                y.floats.update(repeating: 0, count: rows * n)
                return
            }
            let ok = if let packed {
                tsk_sgemm_packed(TSK_VARIANT_AUTO, rows, a.floats, k, packed.handle, 0, y.floats, n, nil)
            } else {
                tsk_sgemm(TSK_VARIANT_AUTO, 0, 0, rows, n, k, 1, a.floats, k, b.floats, n, 0, y.floats, n)
            }
            guard ok == 1 else { throw sgemmFailed() }
            return
        }
        try runBatched(a.floats, aShape, b.floats, bShape, y.floats)
    }

    /// One GEMM per broadcast batch index, with broadcast operands reused via stride 0.
    private func runBatched(_ a: UnsafePointer<Float>, _ aShape: [Int], _ b: UnsafePointer<Float>, _ bShape: [Int],
                            _ y: UnsafeMutablePointer<Float>) throws(EngineError) {
        let m = aShape[aShape.count - 2], k = aShape[aShape.count - 1], n = bShape[bShape.count - 1]
        let aBatch = Array(aShape.dropLast(2)), bBatch = Array(bShape.dropLast(2))
        guard let batch = Shapes.broadcast(aBatch, bBatch) else { return }
        let count = Shapes.product(batch)
        if count == 0 || m == 0 || n == 0 { return }
        if k == 0 {
            y.update(repeating: 0, count: count * m * n)
            return
        }
        let loop = BroadcastLoop(a: aBatch, b: bBatch, out: batch)
        var failed = false
        var index = 0
        loop.forEachRun { runLength, offsetA, stepA, offsetB, stepB, _ in
            for i in 0..<runLength {
                let pa = a + (offsetA + i * stepA) * m * k
                let pb = b + (offsetB + i * stepB) * k * n
                if tsk_sgemm(TSK_VARIANT_AUTO, 0, 0, m, n, k, 1, pa, k, pb, n, 0, y + index * m * n, n) != 1 {
                    failed = true
                }
                index += 1
            }
        }
        if failed { throw sgemmFailed() }
    }
}

/// Gemm (ONNX opset 13): Y = alpha * op(A) * op(B) + beta * C, with 2-D A and B, attributes
/// `alpha`, `beta` (default 1), `transA`, `transB` (default 0) and an optional C that
/// broadcasts to [M, N]. A constant B is packed once with alpha folded in; a constant row
/// bias C becomes the packed kernel's bias. FP32 only.
struct GemmKernel: Kernel {
    let alpha: Float
    let beta: Float
    let transA: Bool
    let transB: Bool
    let hasC: Bool
    /// Used when A is not transposed (the packed kernel reads A as stored).
    let packed: PackedMatrix?
    /// beta * C expanded to N floats, when C is a constant row and B is packed.
    let bias: [Float]?

    init(_ context: KernelContext) throws(EngineError) {
        try context.expectArity(inputs: 2...3)
        alpha = try context.float("alpha", default: 1)
        beta = try context.float("beta", default: 1)
        transA = try context.int("transA", default: 0) != 0
        transB = try context.int("transB", default: 0) != 0
        hasC = context.presentInputCount == 3
        var packed: PackedMatrix?
        if !transA, let b = context.constantInput(1), b.dtype == .fp32, b.shape.count == 2, let base = b.storage.baseAddress {
            let (k, n) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
            packed = PackedMatrix(base.assumingMemoryBound(to: Float.self), transposed: transB, k: k, n: n, scale: alpha)
        }
        self.packed = packed
        bias = if let packed, hasC, let c = context.constantInput(2) {
            Self.rowBias(c, n: packed.n, beta: beta)
        } else {
            nil
        }
    }

    /// B when packed; C too when it became the packed kernel's bias (the general C path is
    /// then never taken).
    var copiedInputs: Set<Int> {
        guard packed != nil else { return [] }
        return bias == nil ? [1] : [1, 2]
    }

    /// beta * C as one row of n floats, if C is a scalar or a row ([n], [1, n], [1], [1, 1]).
    private static func rowBias(_ c: Tensor, n: Int, beta: Float) -> [Float]? {
        guard c.dtype == .fp32, c.shape.count <= 2, c.shape.dropLast().allSatisfy({ $0 == 1 }) else { return nil }
        let values = c.floats
        if values.count == n { return values.map { beta * $0 } }
        if values.count == 1 { return [Float](repeating: beta * values[0], count: n) }
        return nil
    }

    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] {
        let (a, b) = (inputs[0], inputs[1])
        try a.expect([.fp32], "input A")
        try b.expect([.fp32], "input B")
        guard a.shape.count == 2, b.shape.count == 2 else {
            throw EngineError(.invalidGraph, "A and B must be 2-D, got \(a.shape) and \(b.shape)")
        }
        let (m, k) = transA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (kb, n) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == kb else {
            throw EngineError(.invalidGraph, "op(A) is \(m) x \(k) but op(B) is \(kb) x \(n); the inner dimensions must agree")
        }
        if hasC {
            let c = inputs[2]
            try c.expect([.fp32], "input C")
            // C broadcasts one way only: into [M, N], never growing it.
            guard c.shape.count <= 2, Shapes.broadcast(c.shape, [m, n]) == [m, n] else {
                throw EngineError(.invalidGraph, "C \(c.shape) cannot be broadcast to [\(m), \(n)]")
            }
        }
        return [ValueType(dtype: .fp32, shape: [m, n])]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let (a, b, y) = (inputs[0], inputs[1], outputs[0].floats)
        let (m, k) = transA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let n = transB ? b.shape[0] : b.shape[1]
        if m == 0 || n == 0 { return }

        if let packed, k > 0, let bias {
            let ok = bias.withUnsafeBufferPointer { row in
                tsk_sgemm_packed(TSK_VARIANT_AUTO, m, a.floats, k, packed.handle, 0, y, n, row.baseAddress)
            }
            guard ok == 1 else { throw sgemmFailed() }
            return
        }
        // General C: lay it out in Y first, then accumulate into it with beta.
        var gemmBeta: Float = 0
        if hasC, beta != 0 {
            let c = inputs[2]
            let loop = BroadcastLoop(a: c.shape, b: [], out: [m, n])
            let source = c.floats
            loop.forEachRun { count, offset, step, _, _, out in
                if step == 0 {
                    (y + out).update(repeating: source[offset], count: count)
                } else {
                    (y + out).update(from: source + offset, count: count)
                }
            }
            gemmBeta = beta
        }
        let ok = if let packed, k > 0 {
            tsk_sgemm_packed(TSK_VARIANT_AUTO, m, a.floats, k, packed.handle, gemmBeta, y, n, nil)
        } else {
            tsk_sgemm(TSK_VARIANT_AUTO, transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha,
                      a.floats, transA ? m : k, b.floats, transB ? k : n, gemmBeta, y, n)
        }
        guard ok == 1 else { throw sgemmFailed() }
    }
}

/// NumPy matmul's shape rules, shared by MatMul and MatMulInteger: a 1-D A is a row and a 1-D
/// B a column (the added dimension is dropped from the output), and the batch dimensions
/// broadcast.
struct MatMulShapes {
    /// A and B with a 1-D operand promoted to 2-D.
    let a: [Int], b: [Int]
    let output: [Int]

    static func promoted(_ a: [Int], _ b: [Int]) -> (a: [Int], b: [Int]) {
        (a.count == 1 ? [1] + a : a, b.count == 1 ? b + [1] : b)
    }

    init(_ aGiven: [Int], _ bGiven: [Int]) throws(EngineError) {
        guard !aGiven.isEmpty, !bGiven.isEmpty else {
            throw EngineError(.invalidGraph, "inputs must have at least one dimension, got \(aGiven) and \(bGiven)")
        }
        (a, b) = Self.promoted(aGiven, bGiven)
        let k = a[a.count - 1]
        guard k == b[b.count - 2] else {
            throw EngineError(.invalidGraph, "A \(aGiven) and B \(bGiven) do not agree on the inner dimension (\(k) vs \(b[b.count - 2]))")
        }
        guard let batch = Shapes.broadcast(Array(a.dropLast(2)), Array(b.dropLast(2))) else {
            throw EngineError(.invalidGraph, "the batch dimensions of A \(aGiven) and B \(bGiven) cannot be broadcast together")
        }
        var shape = batch
        if aGiven.count > 1 { shape.append(a[a.count - 2]) }
        if bGiven.count > 1 { shape.append(b[b.count - 1]) }
        output = shape
    }
}

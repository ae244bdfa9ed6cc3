import CTesseraKernels
import Testing
import TesseraEngine

/// SGEMM against a double-precision reference. Every variant is forced explicitly; one this CPU
/// cannot run must say so (return 0) and is then skipped, so each path the CPU has is checked.
@Suite("SGEMM")
struct SGEMMTests {
    static let variants: [(tsk_variant, String)] = [
        (TSK_VARIANT_GENERIC, "generic"), (TSK_VARIANT_AVX2, "avx2"),
        (TSK_VARIANT_AVX512, "avx512"), (TSK_VARIANT_NEON, "neon"),
    ]

    /// Whether `name` should run here, from the features the engine reports.
    static func expectedSupport(_ name: String) -> Bool {
        let features = CPU.features
        switch name {
        case "generic": return true
        case "avx2": return features.contains("avx2") && features.contains("fma")
        case "avx512": return features.contains("avx512f")
        case "neon": return features.contains("neon")
        default: return false
        }
    }

    /// The variants this CPU runs, after checking that the others are refused.
    static func supportedVariants() -> [(tsk_variant, String)] {
        variants.filter { variant, name in
            var one: Float = 1
            var c: Float = 0
            let supported = tsk_sgemm(variant, 0, 0, 1, 1, 1, 1, &one, 1, &one, 1, 0, &c, 1) == 1
            #expect(supported == expectedSupport(name), "\(name): tsk_sgemm returned \(supported ? 1 : 0)")
            return supported
        }
    }

    static let sizes = [1, 2, 7, 16, 17, 33, 100]

    @Test("every m x n x k over edge sizes, cycling transposes, alpha, beta and padding", arguments: sizes)
    func edgeSizes(m: Int) {
        let variants = Self.supportedVariants()
        for (ni, n) in Self.sizes.enumerated() {
            for (ki, k) in Self.sizes.enumerated() {
                let combo = ni * 7 + ki + m
                let problem = Problem(
                    m: m, n: n, k: k, transA: combo % 2 == 1, transB: (combo / 2) % 2 == 1,
                    alpha: combo % 3 == 0 ? 1 : -0.5, beta: [0, 1, 0.75][combo % 3],
                    pad: combo % 5 == 0 ? 3 : 0, seed: UInt64(combo * 1000 + m))
                let reference = problem.reference(alpha: problem.alpha, bias: nil)
                for (variant, name) in variants {
                    let c = problem.sgemm(variant)
                    #expect(c != nil, "\(name) refused a supported call")
                    if let c { problem.expectClose(c, reference, "\(name) \(problem)") }
                }
            }
        }
    }

    @Test("all four transpose combinations with padded leading dimensions",
          arguments: [(0, 0), (0, 1), (1, 0), (1, 1)])
    func transposes(transA: Int, transB: Int) {
        for (m, n, k) in [(33, 17, 100), (100, 33, 7), (17, 100, 33)] {
            let problem = Problem(m: m, n: n, k: k, transA: transA == 1, transB: transB == 1,
                                  alpha: 1.25, beta: -0.5, pad: 5, seed: UInt64(m * n + k))
            let reference = problem.reference(alpha: problem.alpha, bias: nil)
            for (variant, name) in Self.supportedVariants() {
                if let c = problem.sgemm(variant) { problem.expectClose(c, reference, "\(name) \(problem)") }
            }
        }
    }

    @Test("k = 0 leaves beta * C (plus the bias when prepacked)", arguments: [Float(0), 0.5])
    func emptyDepth(beta: Float) {
        let problem = Problem(m: 7, n: 17, k: 0, transA: false, transB: false, alpha: 2, beta: beta, pad: 1, seed: 9)
        for (variant, name) in Self.supportedVariants() {
            if let c = problem.sgemm(variant) {
                problem.expectClose(c, problem.reference(alpha: 2, bias: nil), "\(name) sgemm")
            }
            if let c = problem.packed(variant, withBias: true) {
                problem.expectClose(c, problem.reference(alpha: 1, bias: problem.bias), "\(name) packed")
            }
        }
    }

    /// MiniLM-L6 at sequence length 128: Q/K/V and output projections, FFN up and down, with
    /// weights stored [out, in] as PyTorch keeps them (so op(B) = B^T) and a bias.
    @Test("MiniLM shapes, prepacked weights with bias", arguments: [(128, 384, 384), (128, 1536, 384), (128, 384, 1536)])
    func miniLM(m: Int, n: Int, k: Int) {
        let problem = Problem(m: m, n: n, k: k, transA: false, transB: true, alpha: 1, beta: 0, pad: 0, seed: UInt64(n + k))
        let plain = problem.reference(alpha: 1, bias: nil)
        let withBias = plain.enumerated().map { $1 + Double(problem.bias[$0 % n]) }
        for (variant, name) in Self.supportedVariants() {
            if let c = problem.packed(variant, withBias: true) { problem.expectClose(c, withBias, "\(name) packed") }
            if let c = problem.sgemm(variant) { problem.expectClose(c, plain, "\(name) sgemm") }
        }
    }

    @Test("prepacked and unpacked give the same bits, and so does any split into row ranges",
          arguments: [(100, 33, 17), (128, 384, 384), (61, 70, 900)])
    func packedAgrees(m: Int, n: Int, k: Int) {
        for transB in [false, true] {
            let problem = Problem(m: m, n: n, k: k, transA: false, transB: transB, alpha: 1, beta: 0.5, pad: 2,
                                  seed: UInt64(m + n * k))
            for (variant, name) in Self.supportedVariants() {
                let unpacked = problem.sgemm(variant)
                let packed = problem.packed(variant, withBias: false)
                #expect(unpacked != nil && unpacked == packed, "\(name) \(problem): prepacked differs from tsk_sgemm")

                let whole = problem.packed(variant, withBias: true)
                let cuts = [0, 1, m / 3, m / 3 + 7, m - 1, m].map { min(max($0, 0), m) }
                let pieces = problem.packedRows(variant, withBias: true, cuts: cuts)
                #expect(whole != nil && whole == pieces, "\(name) \(problem): row ranges \(cuts) differ from one call")
                if let whole { problem.expectClose(whole, problem.reference(alpha: 1, bias: problem.bias), "\(name) packed") }
            }
        }
    }

    @Test("the activation epilogue gives the bits of the multiply followed by tsk_unary_f32, on 1 and 2 threads",
          arguments: [(1, 1536, 384), (12, 1536, 384), (61, 70, 900), (300, 100, 50), (5, 7, 0)])
    func activationEpilogue(m: Int, n: Int, k: Int) {
        defer { tsk_pool_set_threads(0) }
        let ops = [TSK_UNARY_RELU, TSK_UNARY_SIGMOID, TSK_UNARY_TANH, TSK_UNARY_ERF, TSK_UNARY_GELU_ERF, TSK_UNARY_GELU_TANH]
        let problem = Problem(m: m, n: n, k: k, transA: false, transB: false, alpha: 1, beta: 0.5, pad: 3,
                              seed: UInt64(m * 31 + n + k))
        for (variant, name) in Self.supportedVariants() {
            guard let plain = problem.packed(variant, withBias: true) else {
                Issue.record("\(name): a supported variant refused the call")
                continue
            }
            for op in ops {
                var expected = plain
                for i in 0..<m {
                    expected.withUnsafeMutableBufferPointer { c in
                        let row = c.baseAddress! + i * problem.ldc
                        _ = tsk_unary_f32(TSK_VARIANT_AUTO, op, n, row, row)
                    }
                }
                for threads in [1, 2] {
                    tsk_pool_set_threads(threads)
                    let fused = problem.packedUnary(variant, op)
                    #expect(fused == expected, "\(name) \(problem) op \(op.rawValue) on \(threads) thread(s)")
                }
            }
        }
        guard let packed = tsk_pack_b(TSK_VARIANT_AUTO, 0, max(k, 1), n, problem.b, problem.ldb) else { return }
        defer { tsk_packed_b_free(packed) }
        var c = problem.c
        #expect(tsk_sgemm_packed_unary(TSK_VARIANT_AUTO, m, problem.a, problem.lda, packed, 0, &c, problem.ldc, nil,
                                       tsk_unary_op(rawValue: 99)) == 0, "an unknown activation is refused")
        #expect(c == problem.c, "a refused call writes nothing")
    }

    @Test("concurrent calls, sharing the packing-buffer cache, each get the single-threaded bits")
    func concurrentCalls() async {
        let problems = [(64, 100, 300), (128, 384, 384), (7, 9, 11)].map { m, n, k in
            Problem(m: m, n: n, k: k, transA: false, transB: true, alpha: 1, beta: 0.5, pad: 1, seed: UInt64(m + n + k))
        }
        let expected = problems.map { $0.sgemm(TSK_VARIANT_AUTO) }
        let allMatch = await withTaskGroup(of: Bool.self) { group in
            for task in 0..<6 {
                group.addTask {
                    for round in 0..<8 {
                        let i = (task + round) % problems.count
                        if problems[i].sgemm(TSK_VARIANT_AUTO) != expected[i] { return false }
                        if round == 4 { tsk_sgemm_trim_workspace() }
                    }
                    return true
                }
            }
            return await group.reduce(true) { $0 && $1 }
        }
        #expect(allMatch)
    }

    @Test("row ranges computed in parallel on one packed B give the bits of one call")
    func parallelRowRanges() async {
        let problem = Problem(m: 128, n: 384, k: 384, transA: false, transB: true, alpha: 1, beta: 0, pad: 3, seed: 77)
        guard let whole = problem.packed(TSK_VARIANT_AUTO, withBias: true),
              let packed = tsk_pack_b(TSK_VARIANT_AUTO, 1, problem.k, problem.n, problem.b, problem.ldb)
        else {
            Issue.record("packing failed")
            return
        }
        defer { tsk_packed_b_free(packed) }
        let out = UnsafeMutableBufferPointer<Float>.allocate(capacity: problem.c.count)
        defer { out.deallocate() }
        _ = out.initialize(from: problem.c)
        // Each task writes only its own rows of `out`; the packed B is read only.
        nonisolated(unsafe) let shared = (packed: packed, out: out)
        let statuses = await withTaskGroup(of: Int32.self) { group in
            for (m0, m1) in [(0, 50), (50, 97), (97, 128)] {
                group.addTask {
                    problem.a.withUnsafeBufferPointer { a in
                        problem.bias.withUnsafeBufferPointer { bias in
                            tsk_sgemm_packed_rows(TSK_VARIANT_AUTO, m0, m1, a.baseAddress, problem.lda, shared.packed, 0,
                                                  shared.out.baseAddress, problem.ldc, bias.baseAddress)
                        }
                    }
                }
            }
            return await group.reduce(into: [Int32]()) { $0.append($1) }
        }
        #expect(statuses == [1, 1, 1])
        #expect(Array(out) == whole)
    }

    @Test("beta = 0 ignores NaN in C")
    func betaZeroIgnoresNaN() {
        var problem = Problem(m: 17, n: 33, k: 16, transA: false, transB: false, alpha: 1, beta: 0, pad: 1, seed: 4)
        for i in 0..<problem.m { for j in 0..<problem.n { problem.c[i * problem.ldc + j] = .nan } }
        let reference = problem.reference(alpha: 1, bias: nil)
        for (variant, name) in Self.supportedVariants() {
            if let c = problem.sgemm(variant) { problem.expectClose(c, reference, "\(name) sgemm") }
            if let c = problem.packed(variant, withBias: false) { problem.expectClose(c, reference, "\(name) packed") }
        }
    }

    @Test("a packed B only runs with the variant it was packed for")
    func packedVariantMismatch() {
        let b = [Float](repeating: 1, count: 16)
        let a = [Float](repeating: 1, count: 4)
        var c = [Float](repeating: 0, count: 16)
        let supported = Self.supportedVariants()
        guard let generic = tsk_pack_b(TSK_VARIANT_GENERIC, 0, 4, 4, b, 4) else {
            Issue.record("packing for the generic variant failed")
            return
        }
        defer { tsk_packed_b_free(generic) }
        #expect(tsk_packed_b_k(generic) == 4 && tsk_packed_b_n(generic) == 4)
        #expect(tsk_sgemm_packed(TSK_VARIANT_AUTO, 1, a, 4, generic, 0, &c, 4, nil) == 1)
        #expect(c[0..<4].allSatisfy { $0 == 4 })
        for (variant, name) in supported where name != "generic" {
            #expect(tsk_sgemm_packed(variant, 1, a, 4, generic, 0, &c, 4, nil) == 0, "\(name) accepted a generic packing")
        }
    }

    @Test("the automatic choice is the widest variant the CPU has")
    func automatic() {
        let name = String(cString: tsk_sgemm_variant_name(TSK_VARIANT_AUTO))
        let features = CPU.features
        let expected =
            features.contains("avx512f") ? "avx512f"
            : features.contains("avx2") && features.contains("fma") ? "avx2+fma"
            : features.contains("neon") ? "neon" : "generic"
        #expect(name == expected)
    }
}

/// One C = alpha * op(A) * op(B) + beta * C problem with its inputs, row-major with padding
/// columns after every row; the padding is filled with a sentinel that must survive.
struct Problem: CustomStringConvertible {
    let m: Int, n: Int, k: Int
    let transA: Bool, transB: Bool
    let alpha: Float, beta: Float
    let lda: Int, ldb: Int, ldc: Int
    let a: [Float], b: [Float], bias: [Float]
    var c: [Float]
    static let sentinel: Float = 12345

    init(m: Int, n: Int, k: Int, transA: Bool, transB: Bool, alpha: Float, beta: Float, pad: Int, seed: UInt64) {
        self.m = m; self.n = n; self.k = k
        self.transA = transA; self.transB = transB
        self.alpha = alpha; self.beta = beta
        lda = (transA ? m : k) + pad
        ldb = (transB ? k : n) + pad
        ldc = n + pad
        var generator = SplitMix(seed: seed)
        func matrix(rows: Int, width: Int, ld: Int) -> [Float] {
            (0..<rows * ld).map { $0 % ld < width ? Float.random(in: -1...1, using: &generator) : Self.sentinel }
        }
        a = transA ? matrix(rows: k, width: m, ld: lda) : matrix(rows: m, width: k, ld: lda)
        b = transB ? matrix(rows: n, width: k, ld: ldb) : matrix(rows: k, width: n, ld: ldb)
        c = matrix(rows: m, width: n, ld: ldc)
        bias = matrix(rows: 1, width: n, ld: n)
    }

    var description: String {
        "\(m)x\(n)x\(k) trans \(transA ? 1 : 0)\(transB ? 1 : 0) alpha \(alpha) beta \(beta) ld \(lda)/\(ldb)/\(ldc)"
    }

    /// alpha * op(A) * op(B) + beta * C + bias in double precision, m x n packed by rows.
    func reference(alpha: Float, bias: [Float]?) -> [Double] {
        var out = [Double](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                for i in 0..<m {
                    for j in 0..<n {
                        var sum = 0.0
                        for p in 0..<k {
                            let x = transA ? a[p * lda + i] : a[i * lda + p]
                            let y = transB ? b[j * ldb + p] : b[p * ldb + j]
                            sum += Double(x) * Double(y)
                        }
                        var r = Double(alpha) * sum
                        if beta != 0 { r += Double(beta) * Double(c[i * ldc + j]) }
                        if let bias { r += Double(bias[j]) }
                        out[i * n + j] = r
                    }
                }
            }
        }
        return out
    }

    /// Within a tolerance that grows with k, and the padding columns untouched.
    func expectClose(_ got: [Float], _ reference: [Double], _ label: String) {
        let tolerance = 1e-5 * Double(k + 2)
        var failure: String?
        search: for i in 0..<m {
            for j in 0..<ldc {
                let value = got[i * ldc + j]
                if j >= n {
                    if value != Self.sentinel { failure = "padding at (\(i), \(j)) overwritten"; break search }
                } else if !(abs(Double(value) - reference[i * n + j]) <= tolerance) {
                    failure = "(\(i), \(j)) is \(value), expected \(reference[i * n + j]) ± \(tolerance)"
                    break search
                }
            }
        }
        #expect(failure == nil, "\(label): \(failure ?? "")")
    }

    /// tsk_sgemm on a copy of C; nil if the variant was refused.
    func sgemm(_ variant: tsk_variant) -> [Float]? {
        var out = c
        let ok = tsk_sgemm(variant, transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, &out, ldc)
        return ok == 1 ? out : nil
    }

    /// B prepacked, then tsk_sgemm_packed (alpha = 1, op(A) = A only); nil if refused.
    func packed(_ variant: tsk_variant, withBias: Bool) -> [Float]? {
        packedRows(variant, withBias: withBias, cuts: [0, m])
    }

    /// B prepacked, then tsk_sgemm_packed_unary with the bias and `op`; nil if refused.
    func packedUnary(_ variant: tsk_variant, _ op: tsk_unary_op) -> [Float]? {
        precondition(!transA, "the packed API takes A as stored")
        guard let packed = tsk_pack_b(variant, transB ? 1 : 0, k, n, b, ldb) else { return nil }
        defer { tsk_packed_b_free(packed) }
        var out = c
        let ok = tsk_sgemm_packed_unary(variant, m, a, lda, packed, beta, &out, ldc, bias, op) == 1
        return ok ? out : nil
    }

    /// B prepacked, then one tsk_sgemm_packed_rows call per [cuts[i], cuts[i+1]).
    func packedRows(_ variant: tsk_variant, withBias: Bool, cuts: [Int]) -> [Float]? {
        precondition(!transA, "the packed API takes A as stored")
        guard let packed = tsk_pack_b(variant, transB ? 1 : 0, k, n, b, ldb) else { return nil }
        defer { tsk_packed_b_free(packed) }
        var out = c
        var ok = true
        bias.withUnsafeBufferPointer { bias in
            let biasPointer = withBias ? bias.baseAddress : nil
            if cuts == [0, m] {
                ok = tsk_sgemm_packed(variant, m, a, lda, packed, beta, &out, ldc, biasPointer) == 1
                return
            }
            for (m0, m1) in zip(cuts, cuts.dropFirst()) {
                ok = ok && tsk_sgemm_packed_rows(variant, m0, m1, a, lda, packed, beta, &out, ldc, biasPointer) == 1
            }
        }
        return ok ? out : nil
    }
}

import CTesseraKernels
import Testing
@testable import TesseraEngine

/// One integer GEMM call: 8-bit A (m x k) and B (k x n) as bit patterns, their signedness,
/// zero points (none, one, or one per row of A / column of B) and padded leading dimensions.
struct IntegerProblem: CustomStringConvertible {
    var m: Int, n: Int, k: Int
    var aSigned: Bool, bSigned: Bool
    var a: [UInt8], b: [UInt8]
    var aZero: [Int32], bZero: [Int32]
    var lda: Int { k + 1 }
    var ldb: Int { n + 2 }
    var ldc: Int { n + 3 }

    /// Random bytes, or every element of A `fillA` and of B `fillB` when given.
    init(m: Int, n: Int, k: Int, aSigned: Bool, bSigned: Bool, seed: UInt64, fillA: UInt8? = nil, fillB: UInt8? = nil,
         aZero: [Int32] = [], bZero: [Int32] = []) {
        (self.m, self.n, self.k, self.aSigned, self.bSigned) = (m, n, k, aSigned, bSigned)
        var generator = SplitMix(seed: seed)
        a = (0..<(m * (k + 1))).map { _ in fillA ?? UInt8.random(in: 0...255, using: &generator) }
        b = (0..<(k * (n + 2))).map { _ in fillB ?? UInt8.random(in: 0...255, using: &generator) }
        (self.aZero, self.bZero) = (aZero, bZero)
    }

    var description: String {
        "\(m)x\(n)x\(k) A \(aSigned ? "int8" : "uint8") B \(bSigned ? "int8" : "uint8") zero points \(aZero.count)/\(bZero.count)"
    }

    func value(_ byte: UInt8, signed: Bool) -> Int64 { signed ? Int64(Int8(bitPattern: byte)) : Int64(byte) }

    /// sum_p (A[i][p] - za) (B[p][j] - zb) in Int64, row-major m x n.
    func reference() -> [Int64] {
        // Shifted operands first, then the products through buffer pointers: debug builds
        // run this reference for millions of products.
        let x = (0..<(m * k)).map { index -> Int64 in
            let i = index / max(k, 1)
            return value(a[i * lda + index % k], signed: aSigned) - (aZero.isEmpty ? 0 : Int64(aZero[aZero.count == 1 ? 0 : i]))
        }
        let y = (0..<(k * n)).map { index -> Int64 in
            let j = index % n
            return value(b[index / n * ldb + j], signed: bSigned) - (bZero.isEmpty ? 0 : Int64(bZero[bZero.count == 1 ? 0 : j]))
        }
        var c = [Int64](repeating: 0, count: m * n)
        x.withUnsafeBufferPointer { x in
            y.withUnsafeBufferPointer { y in
                c.withUnsafeMutableBufferPointer { c in
                    for i in 0..<m {
                        for p in 0..<k {
                            let xv = x[i * k + p]
                            for j in 0..<n { c[i * n + j] += xv * y[p * n + j] }
                        }
                    }
                }
            }
        }
        return c
    }

    /// The m x n result of `variant`, through tsk_igemm or a packed B; nil if refused. Also
    /// checks that the padding columns of C were left alone.
    func run(_ variant: tsk_variant, packed: Bool) -> [Int64]? {
        let sentinel: Int32 = 0x5A5A_5A5A
        var c = [Int32](repeating: sentinel, count: m * ldc)
        let aStep = aZero.count == 1 ? 0 : 1, bStep = bZero.count == 1 ? 0 : 1
        let ok: Int32 = aZero.withUnsafeBufferPointer { za in
            bZero.withUnsafeBufferPointer { zb in
                let zaPointer = aZero.isEmpty ? nil : za.baseAddress, zbPointer = bZero.isEmpty ? nil : zb.baseAddress
                if !packed {
                    return tsk_igemm(variant, m, n, k, a, lda, aSigned ? 1 : 0, zaPointer, aStep, b, ldb, bSigned ? 1 : 0,
                                     zbPointer, bStep, &c, ldc)
                }
                guard let pb = tsk_igemm_pack_b(variant, k, n, b, ldb, bSigned ? 1 : 0, zbPointer, bStep) else { return 0 }
                defer { tsk_igemm_packed_b_free(pb) }
                #expect(tsk_igemm_packed_b_k(pb) == k && tsk_igemm_packed_b_n(pb) == n)
                return tsk_igemm_packed(variant, m, a, lda, aSigned ? 1 : 0, zaPointer, aStep, pb, &c, ldc)
            }
        }
        guard ok == 1 else { return nil }
        for i in 0..<m where c[(i * ldc + n)..<((i + 1) * ldc)].contains(where: { $0 != sentinel }) {
            Issue.record("\(self): a padding column of row \(i) was written")
        }
        return (0..<(m * n)).map { Int64(c[$0 / n * ldc + $0 % n]) }
    }
}

/// The integer GEMM (tsk_igemm*) against an Int64 reference. Every variant is forced in a
/// test of its own, skipped with the reason when this CPU lacks it.
@Suite("Integer GEMM")
struct IntegerGEMMTests {
    static let features = CPU.features
    static let hasAVX2 = features.contains("avx2")
    static let hasVNNI = ["avx512f", "avx512bw", "avx512vnni"].allSatisfy(features.contains)
    /// The CPU and OS have AMX; Linux may still refuse this process the tile data, so the
    /// AMX test asks the kernel (which then returns 0) rather than assuming.
    static let hasAMX = ["amx-int8", "avx512bw"].allSatisfy(features.contains)
    static let amxRuns = hasAMX && tsk_igemm_pack_b(TSK_VARIANT_AMX_INT8, 1, 1, [UInt8(1)], 1, 1, nil, 0).map {
        tsk_igemm_packed_b_free($0)
        return true
    } ?? false

    /// Random inputs over odd sizes (cycling signedness and zero-point kinds), the extremes
    /// (all 255 or all -128 against zero points at the far end), depths across several
    /// blocks, and a depth at which the result nears the int32 limit.
    static func checkEverything(_ variant: tsk_variant, _ name: String) {
        let sizes = [1, 7, 17, 67], depths = [1, 7, 17, 67, 1000]
        var combo = 0
        for m in sizes {
            for n in sizes {
                for k in depths {
                    combo += 1
                    let aSigned = combo % 2 == 1, bSigned = combo % 4 < 2
                    var generator = SplitMix(seed: UInt64(combo))
                    func zeros(_ count: Int, signed: Bool) -> [Int32] {
                        switch combo % 3 {
                        case 0: return []
                        case 1: return [Int32.random(in: signed ? -128...127 : 0...255, using: &generator)]
                        default: return (0..<count).map { _ in Int32.random(in: signed ? -128...127 : 0...255, using: &generator) }
                        }
                    }
                    let problem = IntegerProblem(m: m, n: n, k: k, aSigned: aSigned, bSigned: bSigned, seed: UInt64(combo * 31),
                                                 aZero: zeros(m, signed: aSigned), bZero: zeros(n, signed: bSigned))
                    expectExact(problem, variant, name, packed: combo % 2 == 0)
                }
            }
        }
        // Extremes: every A byte at one end of its range, every B byte at one end of its
        // range, zero points at either end.
        for (aSigned, bSigned) in [(false, true), (false, false), (true, true), (true, false)] {
            let aLow: UInt8 = aSigned ? 0x80 : 0, aHigh: UInt8 = aSigned ? 0x7F : 255
            let bLow: UInt8 = bSigned ? 0x80 : 0, bHigh: UInt8 = bSigned ? 0x7F : 255
            let zaEnds: [Int32] = aSigned ? [-128, 127] : [0, 255], zbEnds: [Int32] = bSigned ? [-128, 127] : [0, 255]
            for (fillA, fillB) in [(aHigh, bLow), (aLow, bHigh), (aHigh, bHigh), (aLow, bLow)] {
                for (za, zb) in [(zaEnds[0], zbEnds[1]), (zaEnds[1], zbEnds[0]), (zaEnds[0], zbEnds[0])] {
                    let problem = IntegerProblem(m: 3, n: 50, k: 1003, aSigned: aSigned, bSigned: bSigned, seed: 1,
                                                 fillA: fillA, fillB: fillB, aZero: [za], bZero: [zb])
                    expectExact(problem, variant, name, packed: true)
                }
            }
        }
        // |255 * 255| * 33000 = 2,145,825,000: just inside int32, over 21 depth blocks.
        let nearLimit = IntegerProblem(m: 3, n: 5, k: 33000, aSigned: false, bSigned: true, seed: 2, fillA: 255, fillB: 0x80,
                                       aZero: [0], bZero: [127])
        expectExact(nearLimit, variant, name, packed: true)
        expectExact(nearLimit, variant, name, packed: false)
        // Rows over several row blocks and a split over the pool, and the batch-1 column split.
        for (m, n, k) in [(130, 40, 1700), (2, 1000, 300)] {
            let problem = IntegerProblem(m: m, n: n, k: k, aSigned: false, bSigned: true, seed: UInt64(m + n),
                                         aZero: [3], bZero: (0..<n).map { Int32($0 % 256 - 128) })
            expectExact(problem, variant, name, packed: true)
        }
    }

    static func expectExact(_ problem: IntegerProblem, _ variant: tsk_variant, _ name: String, packed: Bool,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        guard let c = problem.run(variant, packed: packed) else {
            Issue.record("\(name) refused \(problem)", sourceLocation: sourceLocation)
            return
        }
        let expected = problem.reference()
        if let index = c.indices.first(where: { c[$0] != expected[$0] }) {
            Issue.record("\(name) \(packed ? "packed" : "tsk_igemm") \(problem): element (\(index / problem.n), \(index % problem.n)) is \(c[index]), expected \(expected[index])",
                         sourceLocation: sourceLocation)
        }
    }

    @Test("generic: exact on random, extreme and near-limit inputs")
    func generic() { Self.checkEverything(TSK_VARIANT_GENERIC, "generic") }

    @Test("avx2: exact on random, extreme and near-limit inputs", .enabled(if: hasAVX2, "this CPU has no AVX2"))
    func avx2() { Self.checkEverything(TSK_VARIANT_AVX2, "avx2") }

    @Test("avx512-vnni: exact on random, extreme and near-limit inputs",
          .enabled(if: hasVNNI, "this CPU lacks AVX-512F, AVX-512BW or AVX-512 VNNI"))
    func vnni() { Self.checkEverything(TSK_VARIANT_AVX512_VNNI, "avx512-vnni") }

    @Test("amx-int8: exact on random, extreme and near-limit inputs",
          .enabled(if: amxRuns, "this CPU lacks AMX-INT8 or AVX-512BW, or the OS does not let this process use AMX tiles"))
    func amx() { Self.checkEverything(TSK_VARIANT_AMX_INT8, "amx-int8") }

    @Test("variants the CPU lacks, or the family lacks, are refused without writing; AUTO names the best")
    func refusals() {
        let expected: [(tsk_variant, Bool)] = [
            (TSK_VARIANT_GENERIC, true), (TSK_VARIANT_AVX2, Self.hasAVX2), (TSK_VARIANT_AVX512_VNNI, Self.hasVNNI),
            (TSK_VARIANT_AMX_INT8, Self.amxRuns), (TSK_VARIANT_AVX512, false), (TSK_VARIANT_NEON, false),
        ]
        let a: [UInt8] = [2], b: [UInt8] = [3]
        for (variant, supported) in expected {
            var c: [Int32] = [-1]
            let ok = tsk_igemm(variant, 1, 1, 1, a, 1, 0, nil, 0, b, 1, 1, nil, 0, &c, 1)
            #expect(ok == (supported ? 1 : 0) && c[0] == (supported ? 6 : -1), "variant \(variant.rawValue)")
            let packed = tsk_igemm_pack_b(variant, 1, 1, b, 1, 1, nil, 0)
            #expect((packed != nil) == supported, "variant \(variant.rawValue)")
            tsk_igemm_packed_b_free(packed)
        }
        let best = Self.amxRuns ? "amx-int8" : Self.hasVNNI ? "avx512-vnni" : Self.hasAVX2 ? "avx2" : "generic"
        #expect(String(cString: tsk_igemm_variant_name(TSK_VARIANT_AUTO)) == best)
    }

    @Test("a packed B runs only with the variant it was packed for")
    func packedVariantMismatch() throws {
        let b = [UInt8](repeating: 1, count: 4), a = [UInt8](repeating: 1, count: 2)
        let generic = try #require(tsk_igemm_pack_b(TSK_VARIANT_GENERIC, 2, 2, b, 2, 1, nil, 0))
        defer { tsk_igemm_packed_b_free(generic) }
        var c = [Int32](repeating: 0, count: 2)
        #expect(tsk_igemm_packed(TSK_VARIANT_AUTO, 1, a, 2, 0, nil, 0, generic, &c, 2) == 1 && c == [2, 2])
        if Self.hasAVX2 {
            #expect(tsk_igemm_packed(TSK_VARIANT_AVX2, 1, a, 2, 0, nil, 0, generic, &c, 2) == 0)
        }
    }

    @Test("k = 0 gives zeros whatever the zero points")
    func emptyDepth() {
        let problem = IntegerProblem(m: 5, n: 9, k: 0, aSigned: false, bSigned: true, seed: 3, aZero: [7], bZero: [-2])
        for packed in [false, true] {
            #expect(problem.run(TSK_VARIANT_AUTO, packed: packed) == [Int64](repeating: 0, count: 45))
        }
    }
}

/// The pool's thread count is process-wide: this runs with the serialized pool suite.
extension WorkerPoolTests {
    @Test("the integer GEMM gives the same result on 1, the default and 3 threads, for every variant")
    func integerGEMMThreadCounts() {
        defer { tsk_pool_set_threads(0) }
        let variants = [TSK_VARIANT_GENERIC, TSK_VARIANT_AVX2, TSK_VARIANT_AVX512_VNNI, TSK_VARIANT_AMX_INT8]
        let problems = [
            IntegerProblem(m: 128, n: 384, k: 1536, aSigned: false, bSigned: true, seed: 5, aZero: [128], bZero: [1]),
            IntegerProblem(m: 2, n: 1000, k: 700, aSigned: true, bSigned: false, seed: 6, aZero: [-3, 9], bZero: [200]),
            IntegerProblem(m: 600, n: 64, k: 100, aSigned: false, bSigned: false, seed: 7, aZero: [], bZero: [255]),
        ]
        for variant in variants {
            for problem in problems {
                tsk_pool_set_threads(1)
                guard let one = problem.run(variant, packed: true) else { continue } // not on this CPU
                tsk_pool_set_threads(0)
                let byDefault = problem.run(variant, packed: true)
                tsk_pool_set_threads(3)
                let three = problem.run(variant, packed: false)
                #expect(one == byDefault && one == three, "variant \(variant.rawValue): \(problem)")
            }
        }
        // And one against the reference, on the best variant.
        tsk_pool_set_threads(0)
        IntegerGEMMTests.expectExact(problems[2], TSK_VARIANT_AUTO, "auto", packed: true)
    }
}

// MARK: - MatMulInteger through the executor

/// An 8-bit tensor (uint8 or int8) of `values`, which must fit the type.
func byteTensor(_ dtype: DType, _ shape: [Int], _ values: [Int]) -> Tensor {
    let raw = values.map { dtype == .int8 ? UInt8(bitPattern: Int8($0)) : UInt8($0) }
    return try! Tensor(dtype: dtype, shape: shape, storage: raw.withUnsafeBytes { TensorStorage(copying: $0) })
}

@Suite("Ops: MatMulInteger")
struct MatMulIntegerOpTests {
    /// NumPy matmul of (A - za) and (B - zb) in Int64, with za and zb per tensor.
    static func reference(_ a: [Int], _ aShape: [Int], _ b: [Int], _ bShape: [Int], za: Int, zb: Int) -> (shape: [Int], values: [Int64]) {
        let a2 = aShape.count == 1 ? [1] + aShape : aShape, b2 = bShape.count == 1 ? bShape + [1] : bShape
        let (m, k, n) = (a2[a2.count - 2], a2[a2.count - 1], b2[b2.count - 1])
        let batch = Shapes.broadcast(Array(a2.dropLast(2)), Array(b2.dropLast(2)))!
        /// The flat matrix index of batch entry `flat` in an operand with batch dims `dims`.
        func matrix(_ flat: Int, _ dims: [Int]) -> Int {
            var remaining = flat, result = 0, step = 1
            for axis in stride(from: batch.count - 1, through: 0, by: -1) {
                let coordinate = remaining % batch[axis]
                remaining /= batch[axis]
                let own = axis - (batch.count - dims.count)
                if own >= 0 {
                    if dims[own] != 1 { result += coordinate * step }
                    step *= dims[own]
                }
            }
            return result
        }
        var values: [Int64] = []
        for entry in 0..<Shapes.product(batch) {
            let pa = matrix(entry, Array(a2.dropLast(2))) * m * k, pb = matrix(entry, Array(b2.dropLast(2))) * k * n
            for i in 0..<m {
                for j in 0..<n {
                    values.append((0..<k).reduce(Int64(0)) { $0 + Int64(a[pa + i * k + $1] - za) * Int64(b[pb + $1 * n + j] - zb) })
                }
            }
        }
        var shape = batch
        if aShape.count > 1 { shape.append(m) }
        if bShape.count > 1 { shape.append(n) }
        return (shape, values)
    }

    @Test("the ONNX example: uint8 A with a zero point of 12, B constant or not")
    func onnxExample() throws {
        let a = byteTensor(.uint8, [4, 3], [11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0])
        let b = byteTensor(.uint8, [3, 2], [1, 4, 2, 5, 3, 6])
        let inputs = [a, b, byteTensor(.uint8, [1], [12]), byteTensor(.uint8, [1], [0])]
        for constant: Set<Int> in [[], [1, 3], [1]] {
            let y = try runOp("MatMulInteger", inputs, constant: constant, output: .int32)
            #expect(y.dtype == .int32 && y.shape == [4, 2])
            #expect(y.int32Values == [-38, -83, -44, -98, -50, -113, -56, -128], "constant inputs \(constant.sorted())")
        }
        // Without zero points.
        let plain = try runOp("MatMulInteger", [a, b], constant: [1], output: .int32)
        #expect(plain.int32Values == [34, 97, 28, 82, 22, 67, 16, 52])
    }

    /// A - za = [[0, 255], [-1, -2]], B - zb = [[0, 0, 0], [255, -255, 10]].
    @Test("int8 A with per-row zero points, uint8 B with per-column zero points")
    func perRowAndColumn() throws {
        let a = byteTensor(.int8, [2, 2], [-128, 127, 0, -1])
        let b = byteTensor(.uint8, [2, 3], [0, 255, 10, 255, 0, 20])
        let za = byteTensor(.int8, [2], [-128, 1]), zb = byteTensor(.uint8, [3], [0, 255, 10])
        let expected: [Int32] = [65025, -65025, 2550, -510, 510, -20]
        for constant: Set<Int> in [[], [1, 3], [1, 2, 3]] {
            let y = try runOp("MatMulInteger", [a, b, za, zb], constant: constant, output: .int32)
            #expect(y.int32Values == expected, "constant inputs \(constant.sorted())")
        }
        // The same zero points in their N-D forms, [M, 1] and [1, N].
        let y = try runOp("MatMulInteger", [a, b, byteTensor(.int8, [2, 1], [-128, 1]), byteTensor(.uint8, [1, 3], [0, 255, 10])],
                          constant: [1, 3], output: .int32)
        #expect(y.int32Values == expected)
    }

    @Test("batch dimensions broadcast like MatMul, and 1-D operands are promoted and dropped",
          arguments: [([2, 1, 3, 4], [3, 4, 5]), ([3, 4], [2, 4, 5]), ([4], [4, 5]), ([2, 3, 4], [4]),
                      ([2, 3, 4], [4, 5]), ([1, 3, 4], [2, 1, 4, 5]), ([5, 4], [4, 0]), ([2, 3, 0], [0, 5])])
    func broadcasting(aShape: [Int], bShape: [Int]) throws {
        var generator = SplitMix(seed: UInt64(aShape.count * 10 + bShape.count))
        let a = (0..<Shapes.product(aShape)).map { _ in Int.random(in: 0...255, using: &generator) }
        let b = (0..<Shapes.product(bShape)).map { _ in Int.random(in: -128...127, using: &generator) }
        let (shape, expected) = Self.reference(a, aShape, b, bShape, za: 7, zb: -5)
        for constant: Set<Int> in [[], [1, 3]] {
            let y = try runOp("MatMulInteger", [byteTensor(.uint8, aShape, a), byteTensor(.int8, bShape, b), byteTensor(.uint8, [], [7]),
                                                byteTensor(.int8, [], [-5])], constant: constant, output: .int32)
            #expect(y.shape == shape)
            #expect(y.int32Values.map(Int64.init) == expected, "A \(aShape) B \(bShape) constant \(constant.sorted())")
        }
    }

    @Test("a per-row zero point repeats over A's batch when B is 2-D")
    func perRowOverBatch() throws {
        let a = (0..<24).map { $0 * 10 % 256 }, b = (0..<20).map { $0 - 10 }
        let za = [1, 200, 37]
        let y = try runOp("MatMulInteger", [byteTensor(.uint8, [2, 3, 4], a), byteTensor(.int8, [4, 5], b), byteTensor(.uint8, [3], za)],
                          constant: [1], output: .int32)
        var expected: [Int32] = []
        for row in 0..<6 {
            for j in 0..<5 {
                expected.append(Int32((0..<4).reduce(0) { $0 + (a[row * 4 + $1] - za[row % 3]) * b[$1 * 5 + j] }))
            }
        }
        #expect(y.shape == [2, 3, 5] && y.int32Values == expected)
    }

    @Test("unsupported types and zero-point layouts are refused with a message naming them")
    func refusals() {
        func message(_ inputs: [Tensor]) -> String? {
            do {
                _ = try runOp("MatMulInteger", inputs, output: .int32)
                return nil
            } catch {
                return (error as? EngineError)?.message
            }
        }
        let a = byteTensor(.uint8, [2, 3, 4], [Int](repeating: 1, count: 24)), b = byteTensor(.int8, [4, 5], [Int](repeating: 1, count: 20))
        #expect(message([floats([2, 4], [Float](repeating: 1, count: 8)), b])?.contains("input A must be UINT8 or INT8, not FP32") == true)
        #expect(message([a, b, byteTensor(.int8, [], [0])])?.contains("a_zero_point (the type of A) must be UINT8, not INT8") == true)
        let perBatch = message([a, b, byteTensor(.uint8, [2, 3, 1], [Int](repeating: 0, count: 6))])
        #expect(perBatch?.contains("zero points that differ between batch entries are not supported") == true, "\(perBatch ?? "no error")")
        let wrongLength = message([a, b, byteTensor(.uint8, [], [0]), byteTensor(.int8, [4], [0, 0, 0, 0])])
        #expect(wrongLength?.contains("b_zero_point [4] must hold one value, or one per column of B shaped [5] or [..., 1, 5]") == true,
                "\(wrongLength ?? "no error")")
    }
}

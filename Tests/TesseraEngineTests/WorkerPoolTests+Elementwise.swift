import CTesseraKernels
import Testing
import TesseraEngine

/// The executor kernels split large calls over the pool; every split must give the bits of
/// the one-thread run. Part of the serialized pool suite, since the thread count is global.
extension WorkerPoolTests {
    /// Large enough to split at every size threshold (the smallest is 2^15 elements), odd so
    /// the last task's share is ragged.
    static let elements = 300_007

    /// `body()` with 1 thread, then with 2, 3 and 4: all four must be bit-identical.
    static func expectSameBits(_ context: String, _ body: () -> [UInt32]) {
        defer { tsk_pool_set_threads(0) }
        tsk_pool_set_threads(1)
        let single = body()
        for threads in [2, 3, 4] {
            tsk_pool_set_threads(threads)
            let split = body()
            #expect(split == single, "\(context): \(threads) threads differ from 1")
        }
    }

    static func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    @Test("unary ops give the same bits for every thread count")
    func unaryThreads() {
        let x = randomFloats(Self.elements, seed: 21, in: -12...12)
        for op in [TSK_UNARY_RELU, TSK_UNARY_SIGMOID, TSK_UNARY_TANH, TSK_UNARY_ERF, TSK_UNARY_GELU_ERF, TSK_UNARY_GELU_TANH] {
            for variant in [TSK_VARIANT_GENERIC, TSK_VARIANT_AUTO] {
                Self.expectSameBits("unary \(op.rawValue) variant \(variant.rawValue)") {
                    var y = [Float](repeating: 0, count: x.count)
                    #expect(tsk_unary_f32(variant, op, x.count, x, &y) == 1)
                    return Self.bits(y)
                }
            }
        }
    }

    @Test("binary ops give the same bits for every thread count and step pattern")
    func binaryThreads() {
        let a = randomFloats(Self.elements, seed: 22, in: -3...3), b = randomFloats(Self.elements, seed: 23, in: 0.5...3)
        for op in [TSK_BINARY_ADD, TSK_BINARY_SUB, TSK_BINARY_MUL, TSK_BINARY_DIV] {
            for (stepA, stepB) in [(1, 1), (1, 0), (0, 1)] {
                Self.expectSameBits("binary \(op.rawValue) steps \(stepA) \(stepB)") {
                    var y = [Float](repeating: 0, count: a.count)
                    #expect(tsk_binary_f32(TSK_VARIANT_AUTO, op, a.count, a, stepA, b, stepB, &y) == 1)
                    return Self.bits(y)
                }
            }
        }
    }

    @Test("softmax and layernorm split by rows give the same bits for every thread count")
    func rowThreads() {
        let x = randomFloats(1536 * 129, seed: 24, in: -20...20)
        for variant in [TSK_VARIANT_GENERIC, TSK_VARIANT_AUTO] {
            // Rows of 129 along the last axis, then the strided path: axis 1 of [12, 129, 128].
            for (outer, n, inner) in [(1536, 129, 1), (12, 129, 128), (1, 129, 1536)] {
                for log: Int32 in [0, 1] {
                    Self.expectSameBits("softmax variant \(variant.rawValue) [\(outer), \(n), \(inner)] log \(log)") {
                        var y = [Float](repeating: 0, count: x.count)
                        #expect(tsk_softmax_f32(variant, log, outer, n, inner, x, &y) == 1)
                        return Self.bits(y)
                    }
                }
            }
            let scale = randomFloats(129, seed: 25, in: 0.5...2), bias = randomFloats(129, seed: 26)
            Self.expectSameBits("layernorm variant \(variant.rawValue)") {
                var y = [Float](repeating: 0, count: x.count)
                #expect(tsk_layernorm_f32(variant, 1536, 129, x, scale, bias, 1e-5, &y) == 1)
                return Self.bits(y)
            }
        }
    }

    @Test("Where and IsNaN give the same bits for every thread count")
    func selectionThreads() {
        let x = randomFloats(Self.elements, seed: 27).enumerated().map { $0.offset % 5 == 0 ? Float.nan : $0.element }
        Self.expectSameBits("isnan") {
            var flags = [UInt8](repeating: 7, count: x.count)
            #expect(tsk_isnan_f32(TSK_VARIANT_AUTO, x.count, x, &flags) == 1)
            return flags.map { UInt32($0) }
        }
        let condition = x.map { UInt8($0.isNaN ? 1 : 0) }
        let zero: [Float] = [0]
        Self.expectSameBits("where") {
            var y = [Float](repeating: 1, count: x.count)
            #expect(tsk_where(TSK_VARIANT_AUTO, 4, x.count, condition, 1, zero, 0, x, 1, &y) == 1)
            return Self.bits(y)
        }
    }

    @Test("broadcast Add/Mul/Div split by runs give the same bits for every thread count, and the right values")
    func broadcastThreads() throws {
        // An attention mask over [batch, heads, rows, width] and a bias over the last axis:
        // many short runs, which BinaryKernel splits over the pool itself.
        let scores = randomFloats(8 * 12 * 33 * 65, seed: 28, in: -5...5)
        let mask = randomFloats(8 * 65, seed: 29, in: -1...0), bias = randomFloats(65, seed: 30, in: 0.5...2)
        for (op, other, shape) in [("Add", mask, [8, 1, 1, 65]), ("Mul", bias, [65]), ("Div", bias, [1, 1, 65])] {
            var results: [[Float]] = []
            Self.expectSameBits("\(op) broadcast") {
                let y = (try? runOp(op, [floats([8, 12, 33, 65], scores), floats(shape, other)]))?.floats ?? []
                results.append(y)
                return Self.bits(y)
            }
            let expected = scores.indices.map { index -> Float in
                let column = index % 65, batch = index / (12 * 33 * 65)
                let value = other.count == 65 ? other[column] : other[batch * 65 + column]
                return op == "Add" ? scores[index] + value : op == "Mul" ? scores[index] * value : scores[index] / value
            }
            #expect(results.first == expected, "\(op) broadcast values")
        }
    }

    @Test("Transpose split over the pool gives the same bits for every thread count, and the right layout")
    func permuteThreads() throws {
        // BERT's head split and merge (last axis kept: one copy per run), its key transpose
        // (a strided gather), and an odd shape whose runs are single elements.
        let x = randomFloats(32 * 24 * 12 * 32, seed: 31)
        for (shape, perm) in [([32, 24, 12, 32], [0, 2, 1, 3]), ([32, 24, 12, 32], [0, 2, 3, 1]), ([7, 5, 3, 2], [3, 2, 1, 0])] {
            let count = shape.reduce(1, *)
            let input = Array(x.prefix(count))
            var results: [[Float]] = []
            Self.expectSameBits("permute \(shape) \(perm)") {
                let y = (try? runOp("Transpose", [floats(shape, input)], attributes: [Attribute(name: "perm", value: .ints(perm.map { Int64($0) }))]))?.floats ?? []
                results.append(y)
                return Self.bits(y)
            }
            // out[i0, i1, i2, i3] = in[j] with j[perm[d]] = i[d].
            let outShape = perm.map { shape[$0] }
            var expected = [Float](repeating: 0, count: count)
            for flat in 0..<count {
                var rest = flat, source = [0, 0, 0, 0]
                for d in (0..<4).reversed() {
                    source[perm[d]] = rest % outShape[d]
                    rest /= outShape[d]
                }
                expected[flat] = input[((source[0] * shape[1] + source[1]) * shape[2] + source[2]) * shape[3] + source[3]]
            }
            #expect(results.first == expected, "permute \(shape) \(perm) values")
        }
    }
}

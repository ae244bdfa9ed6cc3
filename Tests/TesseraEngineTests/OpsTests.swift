import CTesseraKernels
import Foundation
import Testing
@testable import TesseraEngine

// MARK: - Helpers shared with ExecutorTests

func floats(_ shape: [Int], _ values: [Float]) -> Tensor { try! Tensor(shape: shape, floats: values) }

func int64s(_ shape: [Int], _ values: [Int64]) -> Tensor {
    try! Tensor(dtype: .int64, shape: shape, storage: values.withUnsafeBytes { TensorStorage(copying: $0) })
}

extension Tensor {
    var int64Values: [Int64] { (0..<elementCount).map { storage.bytes.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self) } }
}

func randomFloats(_ count: Int, seed: UInt64, in range: ClosedRange<Float> = -1...1) -> [Float] {
    var generator = SplitMix(seed: seed)
    return (0..<count).map { _ in Float.random(in: range, using: &generator) }
}

/// Runs a one-node graph: input i is a graph input, or an initializer when i is in `constant`.
func runOp(_ opType: String, _ inputs: [Tensor], constant: Set<Int> = [], attributes: [Attribute] = [],
           output: DType = .fp32) throws -> Tensor {
    var graph = Graph()
    var feeds: [String: Tensor] = [:]
    for (index, tensor) in inputs.enumerated() {
        if constant.contains(index) {
            graph.initializers.append(Initializer(name: "in\(index)", tensor: tensor))
        } else {
            graph.inputs.append(ValueInfo(name: "in\(index)", dtype: tensor.dtype, shape: tensor.shape))
            feeds["in\(index)"] = tensor
        }
    }
    graph.nodes = [Node(opType: opType, name: "op", inputs: inputs.indices.map { "in\($0)" }, outputs: ["y"], attributes: attributes)]
    graph.outputs = [ValueInfo(name: "y", dtype: output, shape: [])]
    return try Executor(graph: graph).run(feeds)["y"]!
}

func expectClose(_ actual: [Float], _ expected: [Double], relative: Double = 1e-5, absolute: Double = 1e-6,
                 _ context: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "\(context): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
    let worst = zip(actual, expected).enumerated().first { _, pair in
        let (a, e) = pair
        if a.isNaN || e.isNaN { return a.isNaN != e.isNaN }
        if a.isInfinite || e.isInfinite { return Double(a) != e }
        return abs(Double(a) - e) > absolute + relative * abs(e)
    }
    if let (index, (a, e)) = worst {
        Issue.record("\(context): element \(index) is \(a), expected \(e)", sourceLocation: sourceLocation)
    }
}

/// Broadcasting reference: `shape` is the output, each operand indexed NumPy-style.
func broadcastReference(_ a: Tensor, _ b: Tensor, _ op: (Double, Double) -> Double) -> [Double] {
    let shape = Shapes.broadcast(a.shape, b.shape)!
    func index(_ flat: Int, into operand: [Int]) -> Int {
        var remaining = flat, result = 0, step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            let coordinate = remaining % shape[axis]
            remaining /= shape[axis]
            let operandAxis = axis - (shape.count - operand.count)
            if operandAxis >= 0 {
                if operand[operandAxis] != 1 { result += coordinate * step }
                step *= operand[operandAxis]
            }
        }
        return result
    }
    let (x, y) = (a.floats, b.floats)
    return (0..<Shapes.product(shape)).map { op(Double(x[index($0, into: a.shape)]), Double(y[index($0, into: b.shape)])) }
}

// MARK: - Elementwise

@Suite("Ops: elementwise")
struct ElementwiseOpsTests {
    static let shapePairs: [([Int], [Int])] = [
        ([2, 3], [3]), ([2, 1], [1, 3]), ([], [2, 3]), ([2, 3], []), ([4, 1, 5], [3, 1]),
        ([1], [7]), ([17], [17]), ([1000], [1000]), ([3, 1, 2], [3, 4, 2]), ([2, 3, 4], [2, 1, 4]),
    ]

    @Test("Add, Sub, Mul, Div broadcast like NumPy", arguments: ["Add", "Sub", "Mul", "Div"])
    func binary(op: String) throws {
        let reference: (Double, Double) -> Double = switch op {
        case "Add": (+)
        case "Sub": (-)
        case "Mul": (*)
        default: (/)
        }
        for (index, (aShape, bShape)) in Self.shapePairs.enumerated() {
            let a = floats(aShape, randomFloats(Shapes.product(aShape), seed: UInt64(index)))
            // Divisors kept away from zero so the relative check is meaningful.
            let b = floats(bShape, randomFloats(Shapes.product(bShape), seed: UInt64(index + 100), in: 0.5...2))
            let y = try runOp(op, [a, b])
            #expect(y.shape == Shapes.broadcast(aShape, bShape)!)
            expectClose(y.floats, broadcastReference(a, b, reference), "\(op) \(aShape) \(bShape)")
        }
    }

    @Test("hand-derived broadcasts")
    func handDerived() throws {
        let column = floats([2, 1], [1, 2]), row = floats([1, 3], [10, 20, 30])
        #expect(try runOp("Add", [column, row]).floats == [11, 21, 31, 12, 22, 32])
        #expect(try runOp("Sub", [floats([], [1]), floats([3], [1, 2, 3])]).floats == [0, -1, -2])
        #expect(try runOp("Div", [floats([2, 3], [2, 4, 6, 8, 10, 12]), floats([3], [2, 4, 6])]).floats == [1, 1, 1, 4, 2.5, 2])
        let constantRow = try runOp("Mul", [floats([2, 3], [1, 2, 3, 4, 5, 6]), floats([3], [1, 0, -1])], constant: [1])
        #expect(constantRow.floats == [1, 0, -3, 4, 0, -6])
    }

    @Test("INT64 Add, Sub, Mul and Div (truncating; zero divisor refused)")
    func int64() throws {
        let a = int64s([2, 2], [7, -7, 1 << 40, 3]), b = int64s([2], [2, -3])
        #expect(try runOp("Add", [a, b], output: .int64).int64Values == [9, -10, (1 << 40) + 2, 0])
        #expect(try runOp("Sub", [a, b], output: .int64).int64Values == [5, -4, (1 << 40) - 2, 6])
        #expect(try runOp("Mul", [a, b], output: .int64).int64Values == [14, 21, 1 << 41, -9])
        #expect(try runOp("Div", [a, b], output: .int64).int64Values == [3, 2, 1 << 39, -1])
        #expect(throws: EngineError(.invalidTensor, "node 'op' (Div): integer division by zero")) {
            try runOp("Div", [a, int64s([], [0])], output: .int64)
        }
    }

    @Test("shapes that cannot broadcast and mixed element types are refused, naming the node")
    func refusals() {
        #expect {
            try runOp("Add", [floats([2, 3], [Float](repeating: 0, count: 6)), floats([2], [0, 0])])
        } throws: { error in
            (error as? EngineError)?.message.hasPrefix("node 'op' (Add): shapes [2, 3] and [2] cannot be broadcast together") == true
        }
        #expect(throws: EngineError.self) { try runOp("Mul", [floats([1], [1]), int64s([1], [1])]) }
    }

    static let unaryCases: [(String, [Attribute], @Sendable (Double) -> Double)] = [
        ("Relu", [], { max(0, $0) }),
        ("Sigmoid", [], { 1 / (1 + Foundation.exp(-$0)) }),
        ("Tanh", [], { Foundation.tanh($0) }),
        ("Erf", [], { Foundation.erf($0) }),
        ("Gelu", [], geluErf),
        ("Gelu", [Attribute(name: "approximate", value: .string("none"))], geluErf),
        ("Gelu", [Attribute(name: "approximate", value: .string("tanh"))], geluTanh),
    ]

    // Written without 1 + erf(z) or 1 + tanh(u), which cancel to 0 in the far negative tail.
    static let geluErf: @Sendable (Double) -> Double = { 0.5 * $0 * Foundation.erfc(-$0 / 2.0.squareRoot()) }
    static let geluTanh: @Sendable (Double) -> Double = {
        $0 / (1 + Foundation.exp(-2 * (2 / Double.pi).squareRoot() * ($0 + 0.044715 * $0 * $0 * $0)))
    }

    /// Compares with a tolerance that grows in the tails, where these functions are
    /// ill-conditioned: rounding x to float already moves erfc(x) or e^x by about x^2 ulp.
    static func expectUnary(_ actual: [Float], _ x: [Float], _ reference: (Double) -> Double, _ context: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        for (index, (y, value)) in zip(actual, x).enumerated() {
            let expected = reference(Double(value))
            if y.isNaN || expected.isNaN {
                #expect(y.isNaN == expected.isNaN, "\(context): f(\(value)) is \(y), expected \(expected)", sourceLocation: sourceLocation)
                continue
            }
            let relative = 2e-6 + 2e-7 * min(Double(value) * Double(value), 1e4)
            let close = Double(y) == expected || abs(Double(y) - expected) <= 1e-30 + relative * abs(expected)
            #expect(close, "\(context): element \(index), f(\(value)) is \(y), expected \(expected)", sourceLocation: sourceLocation)
        }
    }

    /// Values where the formulas change regime (0.625 for tanh's polynomial), tiny and huge.
    static let specialValues: [Float] = [0, -0.0, 1e-7, -1e-7, 0.3, -0.3, 0.624, 0.626, -0.626, 1, -1, 3, -3,
                                         9, -9, 20, -20, 88, -88, 100, -100, 1e30, -1e30]

    @Test("Relu, Sigmoid, Tanh, Erf, Gelu match a double reference", arguments: [1, 7, 17, 1000])
    func unary(count: Int) throws {
        let values = Array((Self.specialValues + randomFloats(count, seed: UInt64(count), in: -10...10)).prefix(count))
        for (op, attributes, reference) in Self.unaryCases {
            let y = try runOp(op, [floats([count], values)], attributes: attributes)
            Self.expectUnary(y.floats, values, reference, "\(op) \(attributes)")
        }
    }

    @Test("each kernel variant this CPU runs matches the reference, including NaN and ±inf")
    func unaryVariants() {
        let values = Self.specialValues + [.nan, .infinity, -.infinity] + randomFloats(1000, seed: 5, in: -12...12)
        let ops: [(tsk_unary_op, (Double) -> Double)] = [
            (TSK_UNARY_RELU, { $0.isNaN ? .nan : max(0, $0) }), (TSK_UNARY_SIGMOID, { 1 / (1 + Foundation.exp(-$0)) }),
            (TSK_UNARY_TANH, { Foundation.tanh($0) }), (TSK_UNARY_ERF, { Foundation.erf($0) }),
            // gelu(-inf) is -inf * 0 = NaN, as evaluating x * Phi(x) directly gives.
            (TSK_UNARY_GELU_ERF, Self.geluErf), (TSK_UNARY_GELU_TANH, Self.geluTanh),
        ]
        for variant in [TSK_VARIANT_GENERIC, TSK_VARIANT_AVX2, TSK_VARIANT_AVX512] {
            for (op, reference) in ops {
                var y = [Float](repeating: 0, count: values.count)
                guard tsk_unary_f32(variant, op, values.count, values, &y) == 1 else { continue }
                Self.expectUnary(y, values, reference, "variant \(variant.rawValue) op \(op.rawValue)")
            }
        }
    }

    @Test("an unknown Gelu approximation is refused")
    func geluAttribute() {
        #expect(throws: EngineError(.invalidGraph, "node 'op' (Gelu): attribute 'approximate' must be \"none\" or \"tanh\", not \"fast\"")) {
            try runOp("Gelu", [floats([1], [1])], attributes: [Attribute(name: "approximate", value: .string("fast"))])
        }
    }
}

// MARK: - Softmax and ArgMax

func softmaxReference(_ x: [Float], outer: Int, n: Int, inner: Int, log: Bool) -> [Double] {
    var y = [Double](repeating: 0, count: x.count)
    for o in 0..<outer {
        for i in 0..<inner {
            let indices = (0..<n).map { o * n * inner + $0 * inner + i }
            let maximum = indices.map { Double(x[$0]) }.max()!
            let sum = indices.reduce(0.0) { $0 + Foundation.exp(Double(x[$1]) - maximum) }
            for index in indices {
                y[index] = log ? Double(x[index]) - maximum - Foundation.log(sum) : Foundation.exp(Double(x[index]) - maximum) / sum
            }
        }
    }
    return y
}

@Suite("Ops: softmax and argmax")
struct SoftmaxOpsTests {
    @Test("Softmax rows sum to 1 and match a double reference", arguments: [1, 7, 17, 1000])
    func rows(n: Int) throws {
        let x = randomFloats(3 * n, seed: UInt64(n), in: -20...20)
        let y = try runOp("Softmax", [floats([3, n], x)]).floats
        expectClose(y, softmaxReference(x, outer: 3, n: n, inner: 1, log: false), relative: 1e-5, absolute: 1e-9)
        for row in 0..<3 {
            let sum = y[(row * n)..<((row + 1) * n)].reduce(0.0) { $0 + Double($1) }
            #expect(abs(sum - 1) < 1e-5, "row \(row) sums to \(sum)")
        }
        let logY = try runOp("LogSoftmax", [floats([3, n], x)]).floats
        expectClose(logY, softmaxReference(x, outer: 3, n: n, inner: 1, log: true), relative: 1e-5, absolute: 1e-5)
    }

    @Test("huge and tiny logits stay finite")
    func stability() throws {
        let x: [Float] = [1000, 1001, 1002, -1000, -1001, -1002, 3e38, 3e38, -3e38, -.infinity, 0, 1]
        let y = try runOp("Softmax", [floats([4, 3], x)]).floats
        expectClose(y, softmaxReference(x, outer: 4, n: 3, inner: 1, log: false), absolute: 1e-7)
        #expect(y.allSatisfy { $0.isFinite })
        let logY = try runOp("LogSoftmax", [floats([2, 3], Array(x[0..<6]))]).floats
        expectClose(logY, [-2.4076059644, -1.4076059644, -0.4076059644, -0.4076059644, -1.4076059644, -2.4076059644])
    }

    @Test("the axis attribute picks the reduced axis, including a middle one")
    func axes() throws {
        let x = randomFloats(2 * 3 * 5, seed: 3, in: -3...3)
        for (axis, outer, n, inner) in [(0, 1, 2, 15), (1, 2, 3, 5), (-1, 6, 5, 1), (-2, 2, 3, 5)] {
            for log in [false, true] {
                let y = try runOp(log ? "LogSoftmax" : "Softmax", [floats([2, 3, 5], x)],
                                  attributes: [Attribute(name: "axis", value: .int(Int64(axis)))])
                expectClose(y.floats, softmaxReference(x, outer: outer, n: n, inner: inner, log: log), "axis \(axis) log \(log)")
            }
        }
        #expect(throws: EngineError.self) {
            try runOp("Softmax", [floats([2], [1, 2])], attributes: [Attribute(name: "axis", value: .int(1))])
        }
    }

    @Test("every softmax variant agrees with the reference on odd row lengths, log-softmax too")
    func variants() {
        for n in [1, 7, 8, 9, 15, 16, 17, 24, 1000] {
            let x = randomFloats(2 * n, seed: UInt64(n), in: -50...50)
            for variant in [TSK_VARIANT_GENERIC, TSK_VARIANT_AVX2, TSK_VARIANT_AVX512] {
                for log: Int32 in [0, 1] {
                    var y = [Float](repeating: 0, count: x.count)
                    guard tsk_softmax_f32(variant, log, 2, n, 1, x, &y) == 1 else { continue }
                    let reference = softmaxReference(x, outer: 2, n: n, inner: 1, log: log == 1)
                    expectClose(y, reference, absolute: log == 1 ? 1e-4 : 1e-9, "variant \(variant.rawValue) n \(n) log \(log)")
                }
            }
        }
    }

    @Test("ArgMax with axis, keepdims and select_last_index returns INT64")
    func argMax() throws {
        let x = floats([2, 3], [1, 5, 5, 7, -1, 7])
        func argMax(_ attributes: [(String, Int64)]) throws -> Tensor {
            try runOp("ArgMax", [x], attributes: attributes.map { Attribute(name: $0.0, value: .int($0.1)) }, output: .int64)
        }
        let byDefault = try argMax([])
        #expect(byDefault.dtype == .int64 && byDefault.shape == [1, 3] && byDefault.int64Values == [1, 0, 1])
        let rows = try argMax([("axis", -1), ("keepdims", 0)])
        #expect(rows.shape == [2] && rows.int64Values == [1, 0])
        #expect(try argMax([("axis", 1), ("select_last_index", 1)]).int64Values == [2, 2])
        let integers = try runOp("ArgMax", [int64s([4], [3, 9, -2, 9])], output: .int64)
        #expect(integers.shape == [1] && integers.int64Values == [1])
    }
}

// MARK: - MatMul and Gemm

/// NumPy matmul in double: 1-D operands promoted, batch dimensions broadcast.
func matmulReference(_ a: Tensor, _ b: Tensor) -> (shape: [Int], values: [Double]) {
    let aShape = a.shape.count == 1 ? [1] + a.shape : a.shape, bShape = b.shape.count == 1 ? b.shape + [1] : b.shape
    let (m, k, n) = (aShape[aShape.count - 2], aShape[aShape.count - 1], bShape[bShape.count - 1])
    let batch = Shapes.broadcast(Array(aShape.dropLast(2)), Array(bShape.dropLast(2)))!
    // Which batch matrix of an operand the broadcast batch index `flat` reads.
    func matrix(_ flat: Int, _ operand: [Int]) -> Int {
        let dims = [Int](repeating: 1, count: batch.count - operand.count) + operand
        var remaining = flat, index = 0, step = 1
        for axis in stride(from: batch.count - 1, through: 0, by: -1) {
            let coordinate = remaining % batch[axis]
            remaining /= batch[axis]
            if dims[axis] != 1 { index += coordinate * step }
            step *= dims[axis]
        }
        return index
    }
    let (x, y) = (a.floats, b.floats)
    var values: [Double] = []
    for flat in 0..<Shapes.product(batch) {
        let (ia, ib) = (matrix(flat, Array(aShape.dropLast(2))) * m * k, matrix(flat, Array(bShape.dropLast(2))) * k * n)
        for i in 0..<m {
            for j in 0..<n {
                values.append((0..<k).reduce(0.0) { $0 + Double(x[ia + i * k + $1]) * Double(y[ib + $1 * n + j]) })
            }
        }
    }
    var shape = batch
    if a.shape.count > 1 { shape.append(m) }
    if b.shape.count > 1 { shape.append(n) }
    return (shape, values)
}

@Suite("Ops: MatMul and Gemm")
struct MatMulOpsTests {
    static let shapes: [([Int], [Int])] = [
        ([1, 1], [1, 1]), ([7, 17], [17, 1]), ([17, 7], [7, 33]), ([5, 1000], [1000, 3]), ([2, 3, 4, 5], [5, 6]),
        ([2, 1, 3, 4], [5, 4, 2]), ([3, 4, 5], [3, 5, 2]), ([4], [4, 3]), ([2, 3, 4], [4]), ([4], [4]), ([1, 6], [3, 6, 2]),
    ]

    @Test("MatMul matches NumPy matmul, with B as an input and as a prepacked constant")
    func matMul() throws {
        for (index, (aShape, bShape)) in Self.shapes.enumerated() {
            let a = floats(aShape, randomFloats(Shapes.product(aShape), seed: UInt64(index)))
            let b = floats(bShape, randomFloats(Shapes.product(bShape), seed: UInt64(index + 50)))
            let reference = matmulReference(a, b)
            for constant: Set<Int> in [[], [1]] {
                let y = try runOp("MatMul", [a, b], constant: constant)
                #expect(y.shape == reference.shape, "\(aShape) x \(bShape)")
                expectClose(y.floats, reference.values, relative: 1e-5, absolute: 1e-5, "\(aShape) x \(bShape) constant \(constant)")
            }
        }
        #expect(throws: EngineError.self) { try runOp("MatMul", [floats([2, 3], .init(repeating: 1, count: 6)), floats([2, 3], .init(repeating: 1, count: 6))]) }
    }

    @Test("Gemm: every transpose, alpha, beta and shape of C, with B and C as inputs or constants",
          arguments: [(false, false), (false, true), (true, false), (true, true)])
    func gemm(transA: Bool, transB: Bool) throws {
        let (m, k, n) = (7, 17, 5)
        let a = floats(transA ? [k, m] : [m, k], randomFloats(m * k, seed: 1))
        let b = floats(transB ? [n, k] : [k, n], randomFloats(k * n, seed: 2))
        let (alpha, beta) = (Float(0.5), Float(2))
        for cShape in [nil, [n], [1, n], [m, n], [m, 1], [], [1]] as [[Int]?] {
            var plain = [Double](repeating: 0, count: m * n)
            let (x, w) = (a.floats, b.floats)
            let c = cShape.map { floats($0, randomFloats(Shapes.product($0), seed: 3)) }
            for i in 0..<m {
                for j in 0..<n {
                    let dot = (0..<k).reduce(0.0) { sum, p in
                        sum + Double(x[transA ? p * m + i : i * k + p]) * Double(w[transB ? j * k + p : p * n + j])
                    }
                    var bias = 0.0
                    if let c, let cShape {
                        let dims = [Int](repeating: 1, count: 2 - cShape.count) + cShape
                        bias = Double(c.floats[(dims[0] == 1 ? 0 : i) * dims[1] + (dims[1] == 1 ? 0 : j)])
                    }
                    plain[i * n + j] = Double(alpha) * dot + Double(beta) * bias
                }
            }
            let attributes = [Attribute(name: "alpha", value: .float(0.5)), Attribute(name: "beta", value: .float(2)),
                              Attribute(name: "transA", value: .int(transA ? 1 : 0)), Attribute(name: "transB", value: .int(transB ? 1 : 0))]
            for constant: Set<Int> in [[], [1], [1, 2]] {
                let y = try runOp("Gemm", [a, b] + (c.map { [$0] } ?? []), constant: constant, attributes: attributes)
                #expect(y.shape == [m, n])
                expectClose(y.floats, plain, relative: 1e-5, absolute: 1e-5, "C \(String(describing: cShape)) constant \(constant)")
            }
        }
    }

    @Test("Gemm refuses a C that would have to grow the result")
    func gemmBadC() {
        let a = floats([2, 2], [1, 2, 3, 4])
        #expect(throws: EngineError.self) { try runOp("Gemm", [a, a, floats([3, 2], .init(repeating: 0, count: 6))]) }
    }
}

// MARK: - Shape ops and Constant

@Suite("Ops: shapes and constants")
struct ShapeOpsTests {
    let x = floats([2, 3, 4], (0..<24).map(Float.init))

    @Test("Reshape with 0 (copy), -1 (infer) and allowzero")
    func reshape() throws {
        for (target, expected) in [([0, -1], [2, 12]), ([-1], [24]), ([4, 0, 2], [4, 3, 2]), ([2, -1, 3], [2, 4, 3])] as [([Int64], [Int])] {
            let y = try runOp("Reshape", [x, int64s([target.count], target)], constant: [1])
            #expect(y.shape == expected && y.floats == x.floats, "\(target)")
        }
        let empty = floats([0, 3], [])
        let zero = try runOp("Reshape", [empty, int64s([2], [3, 0])], constant: [1], attributes: [Attribute(name: "allowzero", value: .int(1))])
        #expect(zero.shape == [3, 0])
        #expect(throws: EngineError.self) { try runOp("Reshape", [x, int64s([1], [5])], constant: [1]) }
        // A target given as a graph input is read when the plan is made.
        let flat = try runOp("Reshape", [x, int64s([2], [-1, 6])])
        #expect(flat.shape == [4, 6] && flat.floats == x.floats)
    }

    @Test("Flatten around each axis")
    func flatten() throws {
        for (axis, expected) in [(0, [1, 24]), (1, [2, 12]), (3, [24, 1]), (-1, [6, 4])] {
            let y = try runOp("Flatten", [x], attributes: [Attribute(name: "axis", value: .int(Int64(axis)))])
            #expect(y.shape == expected && y.floats == x.floats)
        }
    }

    @Test("Transpose with the default and an explicit perm, on FP32 and INT64")
    func transpose() throws {
        let reversed = try runOp("Transpose", [x])
        #expect(reversed.shape == [4, 3, 2])
        let expected: [Float] = (0..<24).map { (index: Int) -> Float in
            let (i, j, k) = (index % 2, (index / 2) % 3, index / 6)
            return Float(i * 12 + j * 4 + k)
        }
        #expect(reversed.floats == expected)
        let swapped = try runOp("Transpose", [int64s([2, 3], [1, 2, 3, 4, 5, 6])], attributes: [Attribute(name: "perm", value: .ints([1, 0]))], output: .int64)
        #expect(swapped.shape == [3, 2] && swapped.int64Values == [1, 4, 2, 5, 3, 6])
        #expect(throws: EngineError.self) { try runOp("Transpose", [x], attributes: [Attribute(name: "perm", value: .ints([0, 0, 1]))]) }
    }

    @Test("Identity copies any element type")
    func identity() throws {
        #expect(try runOp("Identity", [int64s([3], [1, -2, 3])], output: .int64).int64Values == [1, -2, 3])
    }

    @Test("Constant from each attribute form, folded and feeding other nodes")
    func constant() throws {
        var graph = Graph()
        graph.inputs = [ValueInfo(name: "x", dtype: .fp32, shape: [2, 3])]
        graph.nodes = [
            Node(opType: "Constant", name: "f", inputs: [], outputs: ["f"], attributes: [Attribute(name: "value_float", value: .float(2.5))]),
            Node(opType: "Constant", name: "fs", inputs: [], outputs: ["fs"], attributes: [Attribute(name: "value_floats", value: .floats([1, 2, 3]))]),
            Node(opType: "Constant", name: "i", inputs: [], outputs: ["i"], attributes: [Attribute(name: "value_int", value: .int(7))]),
            Node(opType: "Constant", name: "shape", inputs: [], outputs: ["shape"], attributes: [Attribute(name: "value_ints", value: .ints([3, -1]))]),
            Node(opType: "Mul", name: "scale", inputs: ["x", "f"], outputs: ["scaled"]),
            Node(opType: "Add", name: "shift", inputs: ["scaled", "fs"], outputs: ["shifted"]),
            Node(opType: "Reshape", name: "reshape", inputs: ["shifted", "shape"], outputs: ["y"]),
        ]
        graph.outputs = [ValueInfo(name: "y", dtype: .fp32, shape: [3, 2]), ValueInfo(name: "i", dtype: .int64, shape: [])]
        let executor = try Executor(graph: graph)
        let result = try executor.run(["x": floats([2, 3], [0, 1, 2, 3, 4, 5])])
        #expect(result["y"]?.shape == [3, 2] && result["y"]?.floats == [1, 4.5, 8, 8.5, 12, 15.5])
        #expect(result["i"]?.shape == [] && result["i"]?.int64Values == [7])
        #expect(executor.program.steps.count == 3, "the Constant nodes are folded away")

        graph.nodes[0].attributes = [Attribute(name: "value_float", value: .float(1)), Attribute(name: "value_int", value: .int(1))]
        #expect(throws: EngineError.self) { try Executor(graph: graph) }
    }
}

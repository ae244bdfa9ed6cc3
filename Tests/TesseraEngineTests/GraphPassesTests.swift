import Foundation
import Testing
@testable import TesseraEngine

/// The graph passes: each rewrite fires on the pattern it names, leaves alone what it must
/// not touch, and the optimized executor computes what a double-precision reference does.
@Suite("Graph passes")
struct GraphPassesTests {
    /// A graph x [-1, 6] → (nodes) → y, with scalar initializers.
    static func graph(_ nodes: [Node], scalars: [String: Float] = [:], initializers: [Initializer] = [],
                      inputShape: [Int] = [-1, 6], outputs: [String] = ["y"]) -> Graph {
        var graph = Graph()
        graph.inputs = [ValueInfo(name: "x", dtype: .fp32, shape: inputShape)]
        graph.outputs = outputs.map { ValueInfo(name: $0, dtype: .fp32, shape: []) }
        graph.initializers = scalars.sorted { $0.key < $1.key }.map { Initializer(name: $0.key, tensor: floats([], [$0.value])) }
            + initializers
        graph.nodes = nodes
        return graph
    }

    static func gelu(_ x: Float) -> Double { 0.5 * Double(x) * (1 + erf(Double(x) / 2.0.squareRoot())) }

    static let geluScalars: [String: Float] = ["sqrt2": Float(2).squareRoot(), "one": 1, "half": 0.5, "invsqrt2": Float(0.5).squareRoot()]

    /// GELU as PyTorch exports it: Div → Erf → Add → Mul(x) → Mul(0.5).
    static let exportedGelu = [
        Node(opType: "Div", name: "div", inputs: ["x", "sqrt2"], outputs: ["d"]),
        Node(opType: "Erf", name: "erf", inputs: ["d"], outputs: ["e"]),
        Node(opType: "Add", name: "add", inputs: ["e", "one"], outputs: ["a"]),
        Node(opType: "Mul", name: "mul", inputs: ["x", "a"], outputs: ["m"]),
        Node(opType: "Mul", name: "mul_half", inputs: ["m", "half"], outputs: ["y"]),
    ]

    @Test("exported exact GELU becomes one Gelu node and matches erf in double precision")
    func geluFusion() throws {
        let graph = Self.graph(Self.exportedGelu, scalars: Self.geluScalars)
        let (optimized, report) = try GraphOptimizer.optimize(graph)
        #expect(report.fusedGelu == 1)
        #expect(optimized.nodes.map(\.opType) == ["Gelu"])
        #expect(optimized.nodes[0].inputs == ["x"] && optimized.nodes[0].outputs == ["y"])
        // The pattern's constants are no longer read.
        #expect(optimized.initializers.isEmpty)

        let x = [-12, -6, -3, -1, -0.25, 0, 1e-3, 0.5, 1, 2.5, 4, 9] as [Float]
        let y = try Executor(graph: graph).run(["x": floats([2, 6], x)])["y"]!.floats
        for (input, output) in zip(x, y) {
            let expected = Self.gelu(input)
            #expect(abs(Double(output) - expected) <= 1e-6 + 1e-5 * abs(expected), "gelu(\(input)) = \(output), expected \(expected)")
        }
    }

    @Test("the halve-first form and multiplication by 1/√2 are matched too")
    func geluOtherForms() throws {
        let nodes = [
            Node(opType: "Mul", name: "scale", inputs: ["invsqrt2", "x"], outputs: ["d"]),
            Node(opType: "Erf", name: "erf", inputs: ["d"], outputs: ["e"]),
            Node(opType: "Add", name: "add", inputs: ["one", "e"], outputs: ["a"]),
            Node(opType: "Mul", name: "halve", inputs: ["x", "half"], outputs: ["h"]),
            Node(opType: "Mul", name: "mul", inputs: ["h", "a"], outputs: ["y"]),
        ]
        let graph = Self.graph(nodes, scalars: Self.geluScalars)
        let (optimized, report) = try GraphOptimizer.optimize(graph)
        #expect(report.fusedGelu == 1)
        #expect(optimized.nodes.map(\.opType) == ["Gelu"])
        let y = try Executor(graph: graph).run(["x": floats([1, 6], [-2, -1, 0, 1, 2, 3])])["y"]!.floats
        #expect(zip([-2, -1, 0, 1, 2, 3] as [Float], y).allSatisfy { abs(Double($1) - Self.gelu($0)) <= 1e-6 })
    }

    @Test("GELU is not fused when a middle value is also a graph output or the constant is off")
    func geluNotFused() throws {
        let shared = Self.graph(Self.exportedGelu, scalars: Self.geluScalars, outputs: ["y", "e"])
        let (sharedResult, sharedReport) = try GraphOptimizer.optimize(shared)
        #expect(sharedReport.fusedGelu == 0)
        #expect(sharedResult.nodes.count == 5)
        let outputs = try Executor(graph: shared).run(["x": floats([1, 6], [-2, -1, 0, 1, 2, 3])])
        #expect(outputs["e"]!.floats.enumerated().allSatisfy { abs(Double($1) - erf(Double([-2, -1, 0, 1, 2, 3][$0]) / 2.0.squareRoot())) <= 1e-6 })

        var scalars = Self.geluScalars
        scalars["half"] = 0.49
        let (_, offReport) = try GraphOptimizer.optimize(Self.graph(Self.exportedGelu, scalars: scalars))
        #expect(offReport.fusedGelu == 0)
    }

    /// x [2, 3, 6] · W [6, 5] + b [5], then `activation` (an op type or nil).
    static func denseGraph(activation: String?, biasShape: [Int] = [5], biasFirst: Bool = true) -> Graph {
        var nodes = [
            Node(opType: "MatMul", name: "dense", inputs: ["x", "w"], outputs: ["mm"]),
            Node(opType: "Add", name: "bias", inputs: biasFirst ? ["b", "mm"] : ["mm", "b"], outputs: [activation == nil ? "y" : "z"]),
        ]
        if let activation { nodes.append(Node(opType: activation, name: "act", inputs: ["z"], outputs: ["y"])) }
        return graph(nodes, initializers: [
            Initializer(name: "w", tensor: floats([6, 5], randomFloats(30, seed: 5))),
            Initializer(name: "b", tensor: floats(biasShape, randomFloats(5, seed: 6))),
        ], inputShape: [2, -1, 6])
    }

    static func denseReference(_ x: [Float], activation: (Double) -> Double) -> [Double] {
        let w = randomFloats(30, seed: 5), b = randomFloats(5, seed: 6)
        return (0..<(x.count / 6)).flatMap { row in
            (0..<5).map { j in activation((0..<6).reduce(Double(b[j])) { $0 + Double(x[row * 6 + $1]) * Double(w[$1 * 5 + j]) }) }
        }
    }

    /// Double-precision references for the activations Tessera.Dense applies.
    static func activation(_ name: String, _ v: Double) -> Double {
        switch name {
        case "Relu": max(0, v)
        case "Tanh": tanh(v)
        case "Sigmoid": 1 / (1 + exp(-v))
        default: 0.5 * v * (1 + erf(v / 2.0.squareRoot()))
        }
    }

    @Test("MatMul + bias Add (+ activation) becomes Tessera.Dense and matches the reference",
          arguments: ["Relu", "Tanh", "Sigmoid", "Gelu"])
    func denseFusion(activation: String) throws {
        let graph = Self.denseGraph(activation: activation)
        let (optimized, report) = try GraphOptimizer.optimize(graph)
        #expect(report.fusedDense == 1 && report.fusedActivations == 1)
        #expect(optimized.nodes.map(\.opType) == [DenseFusion.opType])
        #expect(optimized.nodes[0].name == "dense")

        let x = randomFloats(2 * 3 * 6, seed: 7, in: -2...2)
        let y = try Executor(graph: graph).run(["x": floats([2, 3, 6], x)])["y"]!
        #expect(y.shape == [2, 3, 5])
        let expected = Self.denseReference(x, activation: { Self.activation(activation, $0) })
        #expect(zip(y.floats, expected).allSatisfy { abs(Double($0) - $1) <= 1e-5 }, "\(activation): \(y.floats) vs \(expected)")
    }

    @Test("MatMul + bias without an activation fuses, in either operand order")
    func denseWithoutActivation() throws {
        for biasFirst in [true, false] {
            let graph = Self.denseGraph(activation: nil, biasFirst: biasFirst)
            let (optimized, report) = try GraphOptimizer.optimize(graph)
            #expect(report.fusedDense == 1 && report.fusedActivations == 0)
            #expect(optimized.nodes.map(\.opType) == [DenseFusion.opType])
            let x = randomFloats(6, seed: 8)
            let y = try Executor(graph: graph).run(["x": floats([2, 1, 6], x + x)])["y"]!
            let expected = Self.denseReference(x + x, activation: { $0 })
            #expect(zip(y.floats, expected).allSatisfy { abs(Double($0) - $1) <= 1e-5 })
        }
    }

    @Test("MatMul is not fused with a bias that could change the shape, or a weight computed at run time")
    func denseNotFused() throws {
        let rowBias = Self.denseGraph(activation: "Relu", biasShape: [1, 5])
        #expect(try GraphOptimizer.optimize(rowBias).report.fusedDense == 0)
        let y = try Executor(graph: rowBias).run(["x": floats([2, 1, 6], randomFloats(12, seed: 9))])["y"]!
        #expect(y.shape == [2, 1, 5])

        var computedWeight = Self.denseGraph(activation: nil)
        computedWeight.initializers.removeAll { $0.name == "w" }
        computedWeight.inputs.append(ValueInfo(name: "w", dtype: .fp32, shape: [6, 5]))
        #expect(try GraphOptimizer.optimize(computedWeight).report.fusedDense == 0)
    }

    @Test("Softmax then NaN → 0 becomes Tessera.SafeSoftmax; fully masked rows give zeros")
    func safeSoftmax() throws {
        let nodes = [
            Node(opType: "Softmax", name: "softmax", inputs: ["x"], outputs: ["s"]),
            Node(opType: "IsNaN", name: "isnan", inputs: ["s"], outputs: ["nan"]),
            Node(opType: "Where", name: "where", inputs: ["nan", "zero", "s"], outputs: ["y"]),
        ]
        let graph = Self.graph(nodes, initializers: [Initializer(name: "zero", tensor: floats([1], [0]))], inputShape: [-1, 3])
        let (optimized, report) = try GraphOptimizer.optimize(graph)
        #expect(report.fusedSoftmax == 1)
        #expect(optimized.nodes.map(\.opType) == [SafeSoftmaxFusion.opType])

        let inf = Float.infinity
        let x: [Float] = [1, 2, 3, -inf, -inf, -inf, 0, -inf, 0]
        let y = try Executor(graph: graph).run(["x": floats([3, 3], x)])["y"]!.floats
        let e = [exp(-2.0), exp(-1.0), 1.0]
        let expected = e.map { $0 / e.reduce(0, +) } + [0, 0, 0, 0.5, 0, 0.5]
        #expect(zip(y, expected).allSatisfy { abs(Double($0) - $1) <= 1e-6 }, "\(y)")
    }

    @Test("constant chains are folded once, large constant expansions are not, and dead nodes go")
    func constantFoldingAndDeadCode() throws {
        // y = x · Transpose(wT): the Transpose reads only a weight, so it is folded (and then
        // the MatMul sees a constant weight). `unused` feeds nothing; `big` would be 4 MB.
        let nodes = [
            Node(opType: "Transpose", name: "t", inputs: ["wT"], outputs: ["w"], attributes: [Attribute(name: "perm", value: .ints([1, 0]))]),
            Node(opType: "MatMul", name: "mm", inputs: ["x", "w"], outputs: ["y"]),
            Node(opType: "Relu", name: "unused", inputs: ["x"], outputs: ["dead"]),
            Node(opType: "ConstantOfShape", name: "big", inputs: ["bigShape"], outputs: ["filled"]),
            Node(opType: "ReduceSum", name: "sum", inputs: ["filled"], outputs: ["total"], attributes: [Attribute(name: "keepdims", value: .int(0))]),
        ]
        let wT = randomFloats(4 * 6, seed: 10)
        let graph = Self.graph(nodes, initializers: [
            Initializer(name: "wT", tensor: floats([4, 6], wT)),
            Initializer(name: "bigShape", tensor: int64s([2], [1000, 1000])),
            Initializer(name: "orphan", tensor: floats([2], [1, 2])),
        ], outputs: ["y", "total"])
        let (optimized, report) = try GraphOptimizer.optimize(graph)
        #expect(report.foldedConstants == 1)
        #expect(report.removedNodes == 1)
        // wT (folded away) and orphan are no longer read.
        #expect(report.removedInitializers == 2)
        #expect(Set(optimized.nodes.map(\.name)) == ["mm", "big", "sum"])
        #expect(optimized.initializers.contains { $0.name == "w" && $0.tensor.shape == [6, 4] })

        let x = randomFloats(6, seed: 11)
        let outputs = try Executor(graph: graph).run(["x": floats([1, 6], x)])
        let expected = (0..<4).map { j in (0..<6).reduce(0.0) { $0 + Double(x[$1]) * Double(wT[j * 6 + $1]) } }
        #expect(zip(outputs["y"]!.floats, expected).allSatisfy { abs(Double($0) - $1) <= 1e-5 })
        #expect(outputs["total"]!.floats == [0])
    }

    @Test("optimize: false runs the graph as given and agrees with the optimized run")
    func unoptimizedAgrees() throws {
        let graph = Self.denseGraph(activation: "Gelu")
        let plain = try Executor(graph: graph, optimize: false)
        #expect(plain.optimization == GraphOptimizer.Report())
        let fused = try Executor(graph: graph)
        #expect(fused.optimization.fusedDense == 1)
        let x = floats([2, 4, 6], randomFloats(48, seed: 12))
        let a = try plain.run(["x": x])["y"]!.floats, b = try fused.run(["x": x])["y"]!.floats
        #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 })
    }

    @Test("errors still name the graph's own nodes: cycles before unsupported ops, unsupported ops before rewrites")
    func errorsBeforeRewrites() throws {
        var cyclic = Self.graph([
            Node(opType: "Relu", name: "a", inputs: ["y"], outputs: ["z"]),
            Node(opType: "Relu", name: "b", inputs: ["z"], outputs: ["y"]),
        ])
        #expect(throws: EngineError.self) { try Executor(graph: cyclic) }
        do { _ = try Executor(graph: cyclic) } catch { #expect(error.message.contains("cycle")) }

        cyclic.nodes = Self.exportedGelu + [Node(opType: "Frobnicate", name: "f", inputs: ["y"], outputs: ["q"])]
        cyclic.initializers = Self.geluScalars.map { Initializer(name: $0.key, tensor: floats([], [$0.value])) }
        do {
            _ = try Executor(graph: cyclic)
            Issue.record("an unsupported op was accepted")
        } catch {
            #expect(error.code == .unsupportedOperator)
            #expect(error.message.contains("'f'") && error.message.contains("Frobnicate"))
        }
    }

    /// Q·K scaled by 0.5 twice, plus mask M, softmax (optionally made safe), times V.
    static func attentionGraph(q: [Int], k: [Int], v: [Int], mask: [Int], safe: Bool) -> Graph {
        var graph = Graph()
        graph.inputs = [ValueInfo(name: "q", dtype: .fp32, shape: q), ValueInfo(name: "k", dtype: .fp32, shape: k),
                        ValueInfo(name: "v", dtype: .fp32, shape: v), ValueInfo(name: "m", dtype: .fp32, shape: mask)]
        graph.outputs = [ValueInfo(name: "y", dtype: .fp32, shape: [])]
        graph.initializers = [Initializer(name: "half", tensor: floats([], [0.5])), Initializer(name: "zero", tensor: floats([1], [0]))]
        graph.nodes = [
            Node(opType: "Mul", name: "scale_q", inputs: ["q", "half"], outputs: ["qs"]),
            Node(opType: "Mul", name: "scale_k", inputs: ["half", "k"], outputs: ["ks"]),
            Node(opType: "MatMul", name: "scores", inputs: ["qs", "ks"], outputs: ["s"]),
            Node(opType: "Add", name: "mask", inputs: ["m", "s"], outputs: ["logits"]),
            Node(opType: "Softmax", name: "softmax", inputs: ["logits"], outputs: [safe ? "p0" : "p"],
                 attributes: [Attribute(name: "axis", value: .int(-1))]),
            Node(opType: "MatMul", name: "context", inputs: ["p", "v"], outputs: ["y"]),
        ]
        if safe {
            graph.nodes += [Node(opType: "IsNaN", name: "isnan", inputs: ["p0"], outputs: ["nan"]),
                            Node(opType: "Where", name: "where", inputs: ["nan", "zero", "p0"], outputs: ["p"])]
        }
        return graph
    }

    /// softmax(0.25 · Q_b K_b + M_b) V_b in double, for inputs that share leading dimensions
    /// and a mask [batch, 1, 1, t] over a [batch, heads] lead.
    static func attentionReference(q: [Float], k: [Float], v: [Float], m: [Float], batch: Int, heads: Int,
                                   s: Int, d: Int, t: Int, e: Int, safe: Bool) -> [Double] {
        var out: [Double] = []
        for b in 0..<batch {
            for h in 0..<heads {
                let problem = b * heads + h
                for i in 0..<s {
                    let logits = (0..<t).map { j in
                        0.25 * (0..<d).reduce(0.0) { $0 + Double(q[(problem * s + i) * d + $1]) * Double(k[(problem * d + $1) * t + j]) }
                            + Double(m[b * t + j])
                    }
                    let top = logits.max()!
                    let weights = logits.map { exp($0 - top) }
                    let total = weights.reduce(0, +)
                    let p = weights.map { $0 / total }
                    for c in 0..<e {
                        let value = (0..<t).reduce(0.0) { $0 + p[$1] * Double(v[(problem * t + $1) * e + c]) }
                        out.append(safe && value.isNaN ? 0 : value)
                    }
                }
            }
        }
        return out
    }

    @Test("scaled dot-product attention with a mask becomes Tessera.Attention and matches the reference", arguments: [false, true])
    func attentionFusion(safe: Bool) throws {
        let (batch, heads, s, d, t, e) = (2, 3, 4, 5, 6, 4)
        let graph = Self.attentionGraph(q: [batch, heads, s, d], k: [batch, heads, d, t], v: [batch, heads, t, e],
                                        mask: [batch, 1, 1, t], safe: safe)
        let (optimized, report) = try GraphOptimizer.optimize(graph)
        #expect(report.fusedAttention == 1)
        #expect(optimized.nodes.map(\.opType) == [AttentionFusion.opType])
        #expect(optimized.nodes[0].inputs == ["q", "k", "v", "m"])

        let q = randomFloats(batch * heads * s * d, seed: 21), k = randomFloats(batch * heads * d * t, seed: 22)
        let v = randomFloats(batch * heads * t * e, seed: 23)
        var m = (0..<(batch * t)).map { $0 % t == 5 ? -1e4 : Float(0) }
        if safe {
            // The second sequence is fully masked: its rows come out NaN, then zero.
            for j in 0..<t { m[t + j] = -.infinity }
        }
        let y = try Executor(graph: graph).run(["q": floats([batch, heads, s, d], q), "k": floats([batch, heads, d, t], k),
                                                "v": floats([batch, heads, t, e], v), "m": floats([batch, 1, 1, t], m)])["y"]!
        #expect(y.shape == [batch, heads, s, e])
        let expected = Self.attentionReference(q: q, k: k, v: v, m: m, batch: batch, heads: heads, s: s, d: d, t: t, e: e, safe: safe)
        #expect(zip(y.floats, expected).allSatisfy { abs(Double($0) - $1) <= 1e-5 }, "\(y.floats.prefix(8)) vs \(expected.prefix(8))")
        if safe { #expect(y.floats[(heads * s * e)...].allSatisfy { $0 == 0 }) }
    }

    @Test("attention whose operands broadcast runs node by node inside the fused op, matching the unfused graph")
    func attentionBroadcast() throws {
        // Q has one batch for two of K and V; the mask is a full [s, t] matrix.
        let graph = Self.attentionGraph(q: [1, 2, 3, 4], k: [2, 2, 4, 5], v: [2, 2, 5, 3], mask: [3, 5], safe: false)
        #expect(try GraphOptimizer.optimize(graph).report.fusedAttention == 1)
        let feeds = ["q": floats([1, 2, 3, 4], randomFloats(24, seed: 31)), "k": floats([2, 2, 4, 5], randomFloats(80, seed: 32)),
                     "v": floats([2, 2, 5, 3], randomFloats(60, seed: 33)), "m": floats([3, 5], randomFloats(15, seed: 34))]
        let fused = try Executor(graph: graph).run(feeds)["y"]!
        let plain = try Executor(graph: graph, optimize: false).run(feeds)["y"]!
        #expect(fused.shape == [2, 2, 3, 3] && plain.shape == fused.shape)
        #expect(zip(fused.floats, plain.floats).allSatisfy { abs($0 - $1) <= 1e-6 })
    }
}

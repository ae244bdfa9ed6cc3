import CTesseraKernels
import Foundation
import Testing
@testable import TesseraEngine

/// Double-precision NumPy reduction: sums (or means) `values` of `shape` over `axes`.
func reduceReference(_ values: [Float], _ shape: [Int], axes: Set<Int>, mean: Bool) -> [Double] {
    let outShape = shape.indices.map { axes.contains($0) ? 1 : shape[$0] }
    var sums = [Double](repeating: 0, count: Shapes.product(outShape))
    for coordinates in allCoordinates(shape) {
        let outCoordinates = coordinates.indices.map { axes.contains($0) ? 0 : coordinates[$0] }
        sums[flatIndex(outCoordinates, outShape)] += Double(values[flatIndex(coordinates, shape)])
    }
    let count = Double(Shapes.product(axes.map { shape[$0] }))
    return mean ? sums.map { $0 / count } : sums
}

/// Double-precision layer norm of rows of n.
func layerNormReference(_ x: [Float], n: Int, scale: [Float], bias: [Float]?, epsilon: Double) -> [Double] {
    var out: [Double] = []
    for row in stride(from: 0, to: x.count, by: n) {
        let values = x[row..<(row + n)].map(Double.init)
        let mean = values.reduce(0, +) / Double(n)
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
        let inv = 1 / (variance + epsilon).squareRoot()
        for j in 0..<n { out.append((values[j] - mean) * inv * Double(scale[j]) + Double(bias?[j] ?? 0)) }
    }
    return out
}

@Suite("Reduction: ReduceMean and ReduceSum")
struct ReductionTests {
    let shape = [2, 3, 4]
    var x: Tensor { floats(shape, randomFloats(24, seed: 7)) }

    @Test("ReduceMean over attribute axes (negative, non-contiguous, default all), keepdims 0 and 1")
    func reduceMean() throws {
        let cases: [([Int64]?, Set<Int>)] = [([-1], [2]), ([0, 2], [0, 2]), ([1], [1]), (nil, [0, 1, 2]), ([0, 1], [0, 1])]
        for (axes, resolved) in cases {
            for keep in [Int64(0), 1] {
                var attributes = [Attribute(name: "keepdims", value: .int(keep))]
                if let axes { attributes.append(Attribute(name: "axes", value: .ints(axes))) }
                let y = try runOp("ReduceMean", [x], attributes: attributes)
                let expectedShape = keep == 1 ? shape.indices.map { resolved.contains($0) ? 1 : shape[$0] } : shape.indices.filter { !resolved.contains($0) }.map { shape[$0] }
                #expect(y.shape == expectedShape, "axes \(String(describing: axes)) keepdims \(keep)")
                expectClose(y.floats, reduceReference(x.floats, shape, axes: resolved, mean: true), "ReduceMean \(String(describing: axes))")
            }
        }
        #expect(engineMessage { _ = try runOp("ReduceMean", [x], attributes: [Attribute(name: "axes", value: .ints([3]))]) }?
            .hasPrefix("node 'op' (ReduceMean): axis 3 is out of range for a tensor of rank 3") == true)
    }

    @Test("ReduceSum with an axes input, no axes, and noop_with_empty_axes")
    func reduceSum() throws {
        let y = try runOp("ReduceSum", [x, int64s([2], [-3, 1])], constant: [1], attributes: [Attribute(name: "keepdims", value: .int(0))])
        #expect(y.shape == [4])
        expectClose(y.floats, reduceReference(x.floats, shape, axes: [0, 1], mean: false))
        let all = try runOp("ReduceSum", [x])
        #expect(all.shape == [1, 1, 1])
        expectClose(all.floats, reduceReference(x.floats, shape, axes: [0, 1, 2], mean: false))
        let noop = try runOp("ReduceSum", [x, int64s([0], [])], constant: [1], attributes: [Attribute(name: "noop_with_empty_axes", value: .int(1))])
        #expect(noop.shape == shape && noop.floats == x.floats)
        let emptySum = try runOp("ReduceSum", [floats([2, 0], [])], attributes: [Attribute(name: "keepdims", value: .int(0))])
        #expect(emptySum.shape == [] && emptySum.floats == [0])
        #expect(try runOp("ReduceSum", [floats([0, 2], []), int64s([1], [0])], constant: [1]).floats == [0, 0])
    }

    @Test("ReduceMean in its opset-18 form takes its axes as an input")
    func reduceMeanAxesInput() throws {
        let y = try runOp("ReduceMean", [x, int64s([1], [-1])], constant: [1])
        #expect(y.shape == [shape[0], shape[1], 1])
        expectClose(y.floats, reduceReference(x.floats, shape, axes: [2], mean: true))
    }
}

@Suite("Reduction: elementwise math")
struct ReductionMathTests {
    @Test("Sqrt, Neg (FP32 and INT64) and Pow with scalar and broadcast exponents")
    func math() throws {
        let x = floats([4], [0, 1, 2.25, -1])
        let roots = try runOp("Sqrt", [x]).floats
        #expect(Array(roots[0..<3]) == [0, 1, 1.5] && roots[3].isNaN)
        #expect(try runOp("Neg", [x]).floats == [-0.0, -1, -2.25, 1])
        #expect(try runOp("Neg", [int64s([2], [3, -4])], output: .int64).int64Values == [-3, 4])

        let base = floats([2, 3], randomFloats(6, seed: 3, in: 0.1...3))
        for exponent in [Float(2), 3, 0.5, -1.5, 1] {
            let y = try runOp("Pow", [base, floats([], [exponent])], constant: [1])
            expectClose(y.floats, base.floats.map { Foundation.pow(Double($0), Double(exponent)) }, "exponent \(exponent)")
        }
        let perColumn = try runOp("Pow", [base, floats([3], [1, 2, 3])])
        expectClose(perColumn.floats, broadcastReference(base, floats([3], [1, 2, 3])) { Foundation.pow($0, $1) })
        let intExponent = try runOp("Pow", [floats([2], [-2, 3]), int64s([], [3])])
        #expect(intExponent.floats == [-8, 27])
        // The exponent broadcasts the base up.
        let grown = try runOp("Pow", [floats([], [2]), floats([3], [0, 1, 10])])
        #expect(grown.shape == [3] && grown.floats == [1, 2, 1024])
    }
}

@Suite("Reduction: LayerNormalization")
struct ReductionLayerNormTests {
    @Test("LayerNormalization matches a double reference at widths 1, 7 and 384, with and without bias", arguments: [1, 7, 384])
    func layerNorm(n: Int) throws {
        let rows = 5
        let x = floats([rows, n], randomFloats(rows * n, seed: UInt64(n), in: -4...6))
        let scale = floats([n], randomFloats(n, seed: 100 + UInt64(n), in: 0.5...1.5))
        let bias = floats([n], randomFloats(n, seed: 200 + UInt64(n)))
        let epsilon = 1e-5
        let attributes = [Attribute(name: "epsilon", value: .float(epsilon))]
        let y = try runOp("LayerNormalization", [x, scale, bias], constant: [1, 2], attributes: attributes)
        #expect(y.shape == [rows, n])
        expectClose(y.floats, layerNormReference(x.floats, n: n, scale: scale.floats, bias: bias.floats, epsilon: epsilon),
                    relative: 1e-5, absolute: 2e-5, "n = \(n)")
        let unbiased = try runOp("LayerNormalization", [x, scale], constant: [1], attributes: attributes)
        expectClose(unbiased.floats, layerNormReference(x.floats, n: n, scale: scale.floats, bias: nil, epsilon: epsilon),
                    relative: 1e-5, absolute: 2e-5, "n = \(n) without bias")

        // Each C variant this CPU runs gives the reference too.
        for variant in [TSK_VARIANT_GENERIC, TSK_VARIANT_AVX2] {
            var out = [Float](repeating: .nan, count: rows * n)
            let ok = tsk_layernorm_f32(variant, rows, n, x.floats, scale.floats, bias.floats, Float(epsilon), &out)
            if ok == 0 { continue }
            expectClose(out, layerNormReference(x.floats, n: n, scale: scale.floats, bias: bias.floats, epsilon: epsilon),
                        relative: 1e-5, absolute: 2e-5, "variant \(variant.rawValue), n = \(n)")
        }
    }

    @Test("LayerNormalization over the last two axes (axis 1 of 3), with a large mean")
    func layerNormAxis() throws {
        let x = floats([2, 3, 4], randomFloats(24, seed: 9, in: 999...1001))
        let scale = floats([3, 4], randomFloats(12, seed: 10, in: 0.5...1.5))
        let y = try runOp("LayerNormalization", [x, scale], constant: [1],
                          attributes: [Attribute(name: "axis", value: .int(1)), Attribute(name: "epsilon", value: .float(1e-6))])
        expectClose(y.floats, layerNormReference(x.floats, n: 12, scale: scale.floats, bias: nil, epsilon: 1e-6), relative: 1e-4, absolute: 1e-3)
    }

    @Test("LayerNormalization's optional Mean and InvStdDev outputs hold each row's statistics")
    func layerNormStatistics() throws {
        var graph = Graph()
        graph.inputs = [ValueInfo(name: "x", dtype: .fp32, shape: [2, 3, 4])]
        graph.initializers = [Initializer(name: "scale", tensor: floats([3, 4], .init(repeating: 1, count: 12)))]
        graph.nodes = [Node(opType: "LayerNormalization", name: "ln", inputs: ["x", "scale"], outputs: ["y", "mean", "inv"],
                            attributes: [Attribute(name: "axis", value: .int(1)), Attribute(name: "epsilon", value: .float(0.5))])]
        graph.outputs = ["y", "mean", "inv"].map { ValueInfo(name: $0, dtype: .fp32, shape: []) }
        // Row 0 is 0...11 (mean 5.5, variance 143/12), row 1 is all 3 (variance 0).
        let x = (0..<12).map(Float.init) + [Float](repeating: 3, count: 12)
        let result = try Executor(graph: graph).run(["x": floats([2, 3, 4], x)])
        #expect(result["mean"]!.shape == [2, 1, 1] && result["inv"]!.shape == [2, 1, 1])
        expectClose(result["mean"]!.floats, [5.5, 3], relative: 1e-6, absolute: 1e-6)
        expectClose(result["inv"]!.floats, [1 / (143.0 / 12 + 0.5).squareRoot(), 1 / 0.5.squareRoot()], relative: 1e-6, absolute: 1e-6)
        #expect(result["y"]!.floats.suffix(12).allSatisfy { $0 == 0 })
    }

    @Test("a decomposed layer norm (ReduceMean, Sub, Pow, Add, Sqrt, Div, Mul) is fused, and agrees with LayerNormalization and with itself unfused")
    func decomposed() throws {
        let n = 16
        var graph = Graph()
        graph.inputs = [ValueInfo(name: "x", dtype: .fp32, shape: [-1, n])]
        let scale = floats([n], randomFloats(n, seed: 4, in: 0.5...1.5))
        graph.initializers = [
            Initializer(name: "two", tensor: floats([], [2])),
            Initializer(name: "eps", tensor: floats([], [1e-5])),
            Initializer(name: "scale", tensor: scale),
        ]
        let lastAxis = [Attribute(name: "axes", value: .ints([-1]))]
        graph.nodes = [
            Node(opType: "ReduceMean", name: "mean", inputs: ["x"], outputs: ["m"], attributes: lastAxis),
            Node(opType: "Sub", name: "center", inputs: ["x", "m"], outputs: ["d"]),
            Node(opType: "Pow", name: "square", inputs: ["d", "two"], outputs: ["d2"]),
            Node(opType: "ReduceMean", name: "var", inputs: ["d2"], outputs: ["v"], attributes: lastAxis),
            Node(opType: "Add", name: "addeps", inputs: ["v", "eps"], outputs: ["ve"]),
            Node(opType: "Sqrt", name: "std", inputs: ["ve"], outputs: ["s"]),
            Node(opType: "Div", name: "normalize", inputs: ["d", "s"], outputs: ["z"]),
            Node(opType: "Mul", name: "scaled", inputs: ["z", "scale"], outputs: ["manual"]),
            Node(opType: "LayerNormalization", name: "ln", inputs: ["x", "scale"], outputs: ["fused"]),
        ]
        graph.outputs = [ValueInfo(name: "manual", dtype: .fp32, shape: [-1, n]), ValueInfo(name: "fused", dtype: .fp32, shape: [-1, n])]
        let executor = try Executor(graph: graph)
        // The written-out form is fused into one LayerNormalization by the graph passes...
        #expect(executor.optimization.fusedLayerNorm == 1)
        let x = floats([3, n], randomFloats(3 * n, seed: 5))
        let result = try executor.run(["x": x])
        expectClose(result["manual"]!.floats, result["fused"]!.floats.map(Double.init), relative: 1e-5, absolute: 1e-5)
        // ...and agrees with the same nodes run one by one.
        let plain = try Executor(graph: graph, optimize: false)
        #expect(plain.optimization.fusedLayerNorm == 0)
        expectClose(result["manual"]!.floats, try plain.run(["x": x])["manual"]!.floats.map(Double.init), relative: 1e-5, absolute: 1e-5)
    }

    @Test("bad Scale shapes and X types name the node")
    func layerNormErrors() {
        let x = floats([2, 4], .init(repeating: 1, count: 8))
        #expect(engineMessage { _ = try runOp("LayerNormalization", [x, floats([3], [1, 1, 1])], constant: [1]) }
            == "node 'op' (LayerNormalization): Scale has shape [3] but must match the normalized dimensions [4] of X [2, 4] (with input shapes 'in0' [2, 4])")
        #expect(engineMessage { _ = try runOp("LayerNormalization", [int64s([1], [1]), floats([1], [1])], constant: [1]) }?
            .hasPrefix("node 'op' (LayerNormalization): input X must be FP32, not INT64") == true)
    }
}

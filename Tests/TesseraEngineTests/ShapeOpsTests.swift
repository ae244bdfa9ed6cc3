import Testing
@testable import TesseraEngine

// MARK: - Helpers

func int32s(_ shape: [Int], _ values: [Int32]) -> Tensor {
    try! Tensor(dtype: .int32, shape: shape, storage: values.withUnsafeBytes { TensorStorage(copying: $0) })
}

func bools(_ shape: [Int], _ values: [Bool]) -> Tensor {
    let bytes = values.map { UInt8($0 ? 1 : 0) }
    return try! Tensor(dtype: .bool, shape: shape, storage: bytes.withUnsafeBytes { TensorStorage(copying: $0) })
}

extension Tensor {
    var boolValues: [Bool] { (0..<elementCount).map { storage.bytes[$0] != 0 } }
    var int32Values: [Int32] { (0..<elementCount).map { storage.bytes.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self) } }
}

/// The EngineError message `body` throws, or nil.
func engineMessage(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch {
        return (error as? EngineError)?.message
    }
}

/// NumPy-style flat index of `coordinates` in a row-major `shape`.
func flatIndex(_ coordinates: [Int], _ shape: [Int]) -> Int {
    zip(coordinates, Shapes.strides(shape)).reduce(0) { $0 + $1.0 * $1.1 }
}

/// All coordinates of `shape`, row-major.
func allCoordinates(_ shape: [Int]) -> [[Int]] {
    var result: [[Int]] = [[]]
    for dim in shape {
        result = result.flatMap { prefix in (0..<dim).map { prefix + [$0] } }
    }
    return result
}

// MARK: - Shape, Gather, Unsqueeze, Squeeze, Concat

@Suite("ShapeOps: indexing")
struct ShapeOpsIndexingTests {
    let x = floats([2, 3, 4], (0..<24).map(Float.init))

    @Test("Shape, whole and with start/end (negative, clamped)")
    func shape() throws {
        #expect(try runOp("Shape", [x], output: .int64).int64Values == [2, 3, 4])
        let tail = try runOp("Shape", [x], attributes: [Attribute(name: "start", value: .int(-2))], output: .int64)
        #expect(tail.shape == [2] && tail.int64Values == [3, 4])
        let middle = try runOp("Shape", [x], attributes: [Attribute(name: "start", value: .int(1)), Attribute(name: "end", value: .int(99))], output: .int64)
        #expect(middle.int64Values == [3, 4])
        #expect(try runOp("Shape", [floats([], [1])], output: .int64).shape == [0])
    }

    @Test("Gather: embedding lookup (FP32, axis 0), negative and INT32 indices, other axes, INT64 data")
    func gather() throws {
        let table = floats([4, 3], (0..<12).map { Float($0) * 0.5 })
        let ids = int64s([2, 2], [0, 3, -1, 1])
        let embedded = try runOp("Gather", [table, ids], constant: [0])
        #expect(embedded.shape == [2, 2, 3])
        let rows = [0, 3, 3, 1]
        let expectedRows: [Float] = rows.flatMap { (r: Int) -> [Float] in (0..<3).map { (k: Int) -> Float in Float(r * 3 + k) * 0.5 } }
        #expect(embedded.floats == expectedRows)

        // Axis 1 (and -2) with INT32 indices: y[i, j, k] = x[i, idx[j], k].
        for axis in [1, -2] {
            let picked = try runOp("Gather", [x, int32s([2], [2, -3])], attributes: [Attribute(name: "axis", value: .int(Int64(axis)))])
            #expect(picked.shape == [2, 2, 4])
            let expected = allCoordinates([2, 2, 4]).map { c in Float(flatIndex([c[0], [2, 0][c[1]], c[2]], [2, 3, 4])) }
            #expect(picked.floats == expected)
        }
        // The last axis, with a scalar index: the axis disappears.
        let last = try runOp("Gather", [x, int64s([], [-1])], attributes: [Attribute(name: "axis", value: .int(-1))])
        #expect(last.shape == [2, 3] && last.floats == (0..<6).map { Float($0 * 4 + 3) })
        let longs = try runOp("Gather", [int64s([5], [10, 20, 30, 40, 50]), int64s([3], [4, 0, -5])], output: .int64)
        #expect(longs.int64Values == [50, 10, 10])
    }

    @Test("Gather refuses an index out of range, naming the node and the index")
    func gatherOutOfRange() {
        let table = floats([3, 2], [0, 1, 2, 3, 4, 5])
        #expect(engineMessage { _ = try runOp("Gather", [table, int64s([2], [0, 3])]) }
            == "node 'op' (Gather): index 3 (at position 1 of the indices) is out of range for axis 0 of size 3 (data shape [3, 2])")
        #expect(engineMessage { _ = try runOp("Gather", [table, int64s([1], [-4])]) }?.hasPrefix("node 'op' (Gather): index -4") == true)
        #expect(engineMessage { _ = try runOp("Gather", [table, floats([1], [0])]) }?.contains("indices must be INT64 or INT32") == true)
    }

    @Test("Unsqueeze and Squeeze with axes inputs, negative axes")
    func unsqueezeSqueeze() throws {
        let u = try runOp("Unsqueeze", [x, int64s([2], [0, -1])], constant: [1])
        #expect(u.shape == [1, 2, 3, 4, 1] && u.floats == x.floats)
        let middle = try runOp("Unsqueeze", [x, int64s([1], [2])], constant: [1])
        #expect(middle.shape == [2, 3, 1, 4])
        let scalar = try runOp("Unsqueeze", [int64s([], [7]), int64s([1], [0])], constant: [1], output: .int64)
        #expect(scalar.shape == [1] && scalar.int64Values == [7])

        let ones = floats([1, 3, 1, 2], (0..<6).map(Float.init))
        #expect(try runOp("Squeeze", [ones, int64s([1], [-2])], constant: [1]).shape == [1, 3, 2])
        #expect(try runOp("Squeeze", [ones]).shape == [3, 2])
        #expect(engineMessage { _ = try runOp("Squeeze", [ones, int64s([1], [1])], constant: [1]) }
            == "node 'op' (Squeeze): cannot squeeze axis 1 of [1, 3, 1, 2]: its size is 3, not 1 (with input shapes 'in0' [1, 3, 1, 2])")
        #expect(engineMessage { _ = try runOp("Unsqueeze", [x, int64s([2], [0, 0])], constant: [1]) }?.contains("twice") == true)
    }

    @Test("Concat along a negative axis (FP32) and axis 0 (INT64); mismatched shapes name the node")
    func concat() throws {
        let a = floats([2, 1], [1, 2]), b = floats([2, 2], [3, 4, 5, 6])
        let y = try runOp("Concat", [a, b], attributes: [Attribute(name: "axis", value: .int(-1))])
        #expect(y.shape == [2, 3] && y.floats == [1, 3, 4, 2, 5, 6])
        let ints = try runOp("Concat", [int64s([1], [9]), int64s([2], [8, 7]), int64s([0], [])], attributes: [Attribute(name: "axis", value: .int(0))], output: .int64)
        #expect(ints.int64Values == [9, 8, 7])
        #expect(engineMessage { _ = try runOp("Concat", [a, floats([3, 1], [0, 0, 0])], attributes: [Attribute(name: "axis", value: .int(1))]) }?
            .hasPrefix("node 'op' (Concat): input 1 has shape [3, 1], which does not match input 0's [2, 1] outside axis 1") == true)
    }
}

// MARK: - Cast, Equal, Where, Expand, Slice, ConstantOfShape, Range

@Suite("ShapeOps: types, selection and generators")
struct ShapeOpsValueTests {
    func cast(_ input: Tensor, to onnxType: Int64, _ output: DType) throws -> Tensor {
        try runOp("Cast", [input], attributes: [Attribute(name: "to", value: .int(onnxType))], output: output)
    }

    @Test("Cast between FP32, INT64, INT32 and BOOL, and FP16 to FP32")
    func castTypes() throws {
        let x = floats([5], [-2.7, -0.5, 0, 1.9, 3e9])
        #expect(try cast(x, to: 7, .int64).int64Values == [-2, 0, 0, 1, 3_000_000_000])
        #expect(try cast(x, to: 6, .int32).int32Values == [-2, 0, 0, 1, Int32.max])
        #expect(try cast(x, to: 9, .bool).boolValues == [true, true, false, true, true])
        #expect(try cast(int64s([3], [-3, 0, 1 << 40]), to: 1, .fp32).floats == [-3, 0, Float(1 << 40)])
        #expect(try cast(int32s([2], [-7, 8]), to: 1, .fp32).floats == [-7, 8])
        #expect(try cast(int32s([2], [-7, 8]), to: 7, .int64).int64Values == [-7, 8])
        #expect(try cast(bools([3], [true, false, true]), to: 1, .fp32).floats == [1, 0, 1])
        #expect(try cast(int64s([2], [4, 5]), to: 7, .int64).int64Values == [4, 5])
        let halfBits: [UInt16] = [0x3C00, 0xC000, 0x3555, 0x7C00, 0x0001, 0x8000]
        let half = try Tensor(dtype: .fp16, shape: [6], storage: halfBits.withUnsafeBytes { TensorStorage(copying: $0) })
        let widened = try cast(half, to: 1, .fp32).floats
        #expect(widened == [1, -2, 0.333251953125, .infinity, 0x1p-24, -0.0])
        #expect(widened[5].sign == .minus)
        #expect(engineMessage { _ = try cast(x, to: 11, .fp64) }?.hasPrefix("node 'op' (Cast): attribute 'to' is ONNX type 11") == true)
    }

    @Test("Equal broadcasts and gives BOOL; Not and And on the result")
    func equal() throws {
        let a = int64s([2, 3], [1, 2, 3, 4, 2, 6]), b = int64s([3], [1, 2, 6])
        let eq = try runOp("Equal", [a, b], output: .bool)
        #expect(eq.shape == [2, 3] && eq.boolValues == [true, true, false, false, true, true])
        let f = try runOp("Equal", [floats([2], [0.5, 1]), floats([], [1])], output: .bool)
        #expect(f.boolValues == [false, true])
        #expect(try runOp("Not", [eq], output: .bool).boolValues == [false, false, true, true, false, false])
        #expect(try runOp("And", [eq, bools([2, 1], [true, false])], output: .bool).boolValues == [true, true, false, false, false, false])
        #expect(engineMessage { _ = try runOp("Equal", [a, int64s([2], [1, 2])], output: .bool) }?
            .hasPrefix("node 'op' (Equal): shapes [2, 3] and [2] cannot be broadcast together") == true)
    }

    @Test("Where broadcasts condition, X and Y together")
    func whereBroadcast() throws {
        let condition = bools([2, 1], [true, false])
        let x = floats([3], [1, 2, 3]), y = floats([], [-1])
        let out = try runOp("Where", [condition, x, y])
        #expect(out.shape == [2, 3] && out.floats == [1, 2, 3, -1, -1, -1])
        // Condition the widest, X and Y INT64 of different shapes.
        let c = bools([2, 2, 2], [true, false, false, true, true, true, false, false])
        let longs = try runOp("Where", [c, int64s([2, 1], [10, 20]), int64s([1, 2], [-1, -2])], output: .int64)
        #expect(longs.shape == [2, 2, 2] && longs.int64Values == [10, -2, -1, 20, 10, 10, -1, -2])
        #expect(engineMessage { _ = try runOp("Where", [condition, x, floats([2], [0, 0])]) }?.contains("cannot be broadcast together") == true)
    }

    @Test("Expand broadcasts both ways; an impossible shape names the node")
    func expand() throws {
        let x = floats([3, 1], [1, 2, 3])
        let y = try runOp("Expand", [x, int64s([3], [2, 1, 4])], constant: [1])
        #expect(y.shape == [2, 3, 4])
        #expect(y.floats == allCoordinates([2, 3, 4]).map { Float($0[1] + 1) })
        // A shape smaller than the input's keeps the input's dimensions (NumPy broadcast).
        #expect(try runOp("Expand", [x, int64s([1], [1])], constant: [1]).shape == [3, 1])
        let ints = try runOp("Expand", [int64s([], [5]), int64s([2], [2, 2])], constant: [1], output: .int64)
        #expect(ints.int64Values == [5, 5, 5, 5])
        #expect(try runOp("Expand", [x, int64s([1], [2])], constant: [1]).shape == [3, 2])
        #expect(engineMessage { _ = try runOp("Expand", [x, int64s([2], [2, 2])], constant: [1]) }
            == "node 'op' (Expand): cannot expand [3, 1] to [2, 2] (with input shapes 'in0' [3, 1])")
    }

    /// Reference for one axis: the indices a[start:end:step] picks from `dim`, with ONNX's
    /// clamping (as NumPy's, except a negative step clamps the start to 0, not -1).
    func numpyIndices(_ dim: Int, _ start: Int, _ end: Int, _ step: Int) -> [Int] {
        var s = start < 0 ? start + dim : start, e = end < 0 ? end + dim : end
        if step > 0 {
            s = min(max(s, 0), dim); e = min(max(e, 0), dim)
            return Array(stride(from: s, to: e, by: step))
        }
        s = min(max(s, 0), dim - 1); e = min(max(e, -1), dim - 1)
        return Array(stride(from: s, to: e, by: step))
    }

    @Test("Slice with negative and clamped starts/ends, axes and steps (positive and negative)")
    func slice() throws {
        let shape = [3, 4, 5]
        let x = floats(shape, (0..<60).map(Float.init))
        let big = Int64.max, small = Int64.min
        let cases: [(starts: [Int64], ends: [Int64], axes: [Int64]?, steps: [Int64]?)] = [
            ([1], [3], nil, nil),
            ([-3, 1], [big, -1], [-1, 1], nil),
            ([-1], [small], [2], [-2]),
            ([0, 3, 4], [3, 0, -10], [0, 1, 2], [2, -1, -3]),
            ([10], [20], [1], [1]),
            ([-100], [100], [0], [1]),
        ]
        for c in cases {
            var inputs = [x, int64s([c.starts.count], c.starts), int64s([c.ends.count], c.ends)]
            if let axes = c.axes { inputs.append(int64s([axes.count], axes)) }
            if let steps = c.steps { inputs.append(int64s([steps.count], steps)) }
            let y = try runOp("Slice", inputs, constant: Set(1..<inputs.count))
            // Reference: per-axis NumPy index lists, then their product.
            var picks = shape.map { Array(0..<$0) }
            let axes = c.axes.map { $0.map { Int($0) < 0 ? Int($0) + 3 : Int($0) } } ?? Array(0..<c.starts.count)
            for (k, axis) in axes.enumerated() {
                let start = Int(clamping: c.starts[k]), end = Int(clamping: c.ends[k]), step = Int(c.steps?[k] ?? 1)
                picks[axis] = numpyIndices(shape[axis], start, end, step)
            }
            let outShape = picks.map(\.count)
            let expected = allCoordinates(outShape).map { coordinates in
                Float(flatIndex(coordinates.enumerated().map { picks[$0][$1] }, shape))
            }
            #expect(y.shape == outShape && y.floats == expected, "\(c)")
        }
        #expect(engineMessage { _ = try runOp("Slice", [x, int64s([1], [0]), int64s([1], [1]), int64s([1], [0]), int64s([1], [0])], constant: [1, 2, 3, 4]) }?
            .hasPrefix("node 'op' (Slice): step 0 on axis 0") == true)
    }

    @Test("ConstantOfShape (FP32 default, INT64) and Range (INT64, FP32, negative delta, empty)")
    func generators() throws {
        let zeros = try runOp("ConstantOfShape", [int64s([2], [2, 3])], constant: [0])
        #expect(zeros.shape == [2, 3] && zeros.floats == [Float](repeating: 0, count: 6))
        let ones = try runOp("ConstantOfShape", [int64s([1], [3])], constant: [0], attributes: [Attribute(name: "value", value: .ints([1]))], output: .int64)
        #expect(ones.int64Values == [1, 1, 1])

        func range(_ values: [Int64]) throws -> [Int64] {
            try runOp("Range", values.map { int64s([], [$0]) }, constant: [0, 1, 2], output: .int64).int64Values
        }
        #expect(try range([0, 5, 1]) == [0, 1, 2, 3, 4])
        #expect(try range([10, 3, -3]) == [10, 7, 4])
        #expect(try range([5, 5, 1]) == [])
        #expect(try range([0, 7, 3]) == [0, 3, 6])
        let f = try runOp("Range", [floats([], [1]), floats([], [2]), floats([], [0.25])], constant: [0, 1, 2])
        #expect(f.floats == [1, 1.25, 1.5, 1.75])
        // Bounds given as graph inputs are read when the plan is made.
        #expect(try runOp("Range", [int64s([], [0]), int64s([], [5]), int64s([], [2])], output: .int64).int64Values == [0, 2, 4])
    }
}

// MARK: - Shapes computed in the graph

@Suite("ShapeOps: shapes computed in the graph")
struct ShapeOpsGraphTests {
    /// x [B, 6] → Reshape to [B, 2, 3], the target built as Concat(Unsqueeze(Gather(Shape(x), 0)), [2, 3]);
    /// plus a mask Range(0, Gather(Shape(x), 1)) that feeds an Expand to [B, 6].
    func graph() -> Graph {
        var graph = Graph()
        graph.inputs = [ValueInfo(name: "x", dtype: .fp32, shape: [-1, 6])]
        graph.initializers = [
            Initializer(name: "zero", tensor: int64s([], [0])),
            Initializer(name: "one", tensor: int64s([], [1])),
            Initializer(name: "axes0", tensor: int64s([1], [0])),
            Initializer(name: "tail", tensor: int64s([2], [2, 3])),
        ]
        graph.nodes = [
            Node(opType: "Shape", name: "shape", inputs: ["x"], outputs: ["s"]),
            Node(opType: "Gather", name: "batch", inputs: ["s", "zero"], outputs: ["b"], attributes: [Attribute(name: "axis", value: .int(0))]),
            Node(opType: "Unsqueeze", name: "unsq", inputs: ["b", "axes0"], outputs: ["b1"]),
            Node(opType: "Concat", name: "target", inputs: ["b1", "tail"], outputs: ["t"], attributes: [Attribute(name: "axis", value: .int(0))]),
            Node(opType: "Reshape", name: "reshape", inputs: ["x", "t"], outputs: ["y"]),
            Node(opType: "Gather", name: "width", inputs: ["s", "one"], outputs: ["w"]),
            Node(opType: "Range", name: "range", inputs: ["zero", "w", "one"], outputs: ["positions"]),
            Node(opType: "Expand", name: "expand", inputs: ["positions", "s"], outputs: ["grid"]),
        ]
        graph.outputs = [
            ValueInfo(name: "y", dtype: .fp32, shape: [-1, 2, 3]),
            ValueInfo(name: "t", dtype: .int64, shape: [3]),
            ValueInfo(name: "grid", dtype: .int64, shape: [-1, 6]),
        ]
        return graph
    }

    @Test("a Reshape target from Shape → Gather → Unsqueeze → Concat, run at batch sizes 1 and 3")
    func reshapeFromShape() throws {
        let executor = try Executor(graph: graph())
        for batch in [1, 3, 1] {
            let values = (0..<(batch * 6)).map(Float.init)
            let result = try executor.run(["x": floats([batch, 6], values)])
            #expect(result["y"]?.shape == [batch, 2, 3] && result["y"]?.floats == values)
            #expect(result["t"]?.int64Values == [Int64(batch), 2, 3])
            #expect(result["grid"]?.shape == [batch, 6])
            #expect(result["grid"]?.int64Values == (0..<batch).flatMap { _ in (0..<6).map(Int64.init) })
            // The shape arithmetic ran when the plan was made; runs skip it and only reshape.
            let plan = try #require(executor.plans.cached(for: [[batch, 6]]))
            let skipped = zip(executor.program.steps, plan.skips).filter(\.1).map(\.0.opType)
            #expect(skipped.contains("Shape") && skipped.contains("Concat"), "\(skipped)")
            #expect(!skipped.contains("Reshape"))
        }
        #expect(executor.cachedPlanCount == 2)
    }

    @Test("a shape given as an INT64 graph input is read when planning, with a plan per distinct value")
    func shapeFromInput() throws {
        var graph = Graph()
        graph.inputs = [ValueInfo(name: "x", dtype: .fp32, shape: [-1]), ValueInfo(name: "n", dtype: .int64, shape: [2])]
        graph.nodes = [Node(opType: "Expand", name: "grow", inputs: ["x", "n"], outputs: ["y"])]
        graph.outputs = [ValueInfo(name: "y", dtype: .fp32, shape: [-1, -1])]
        let executor = try Executor(graph: graph)
        #expect(executor.program.planTimeInputs == [1])
        let wide = try executor.run(["x": floats([1], [7]), "n": int64s([2], [2, 3])])["y"]!
        #expect(wide.shape == [2, 3] && wide.floats == [Float](repeating: 7, count: 6))
        let tall = try executor.run(["x": floats([1], [5]), "n": int64s([2], [4, 1])])["y"]!
        #expect(tall.shape == [4, 1] && tall.floats == [5, 5, 5, 5])
        // Same shapes, different contents: two plans.
        #expect(executor.cachedPlanCount == 2)
    }

    @Test("a shape computed from float input data is refused, naming the node")
    func dataDependentShape() throws {
        var graph = Graph()
        graph.inputs = [ValueInfo(name: "x", dtype: .fp32, shape: [-1]), ValueInfo(name: "n", dtype: .fp32, shape: [1])]
        graph.nodes = [Node(opType: "Cast", name: "to_int", inputs: ["n"], outputs: ["ni"], attributes: [Attribute(name: "to", value: .int(7))]),
                       Node(opType: "Expand", name: "grow", inputs: ["x", "ni"], outputs: ["y"])]
        graph.outputs = [ValueInfo(name: "y", dtype: .fp32, shape: [-1])]
        let executor = try Executor(graph: graph)
        #expect(executor.program.planTimeInputs.isEmpty)
        let message = engineMessage { _ = try executor.run(["x": floats([1], [1]), "n": floats([1], [4])]) }
        #expect(message?.hasPrefix("node 'grow' (Expand): the shape input must be known when the plan is made") == true)
    }

    @Test("a plan-time Gather with an index out of range fails when planning, naming the node")
    func planTimeGatherError() throws {
        var graph = graph()
        graph.initializers[0] = Initializer(name: "zero", tensor: int64s([], [5]))
        let executor = try Executor(graph: graph)
        let message = engineMessage { _ = try executor.run(["x": floats([2, 6], .init(repeating: 0, count: 12))]) }
        #expect(message?.hasPrefix("node 'batch' (Gather): index 5 (at position 0 of the indices) is out of range for axis 0 of size 2") == true)
    }
}

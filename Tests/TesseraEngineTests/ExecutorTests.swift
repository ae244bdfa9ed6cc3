import Foundation
import Testing
@testable import TesseraEngine

/// A 2-layer MLP, x[-1, 4] -> Gemm(W1 [4, 8], b1) -> Relu -> Gemm(W2 stored [3, 8], transB, b2)
/// -> Softmax, with its weights and a plain-Swift double-precision reference.
struct MLP {
    static let (inputs, hidden, classes) = (4, 8, 3)
    let w1 = randomFloats(inputs * hidden, seed: 11)
    let b1 = randomFloats(hidden, seed: 12)
    let w2 = randomFloats(classes * hidden, seed: 13)
    let b2 = randomFloats(classes, seed: 14)

    func graph(weights: (Tensor, Tensor)? = nil) -> Graph {
        var graph = Graph()
        graph.inputs = [ValueInfo(name: "x", dtype: .fp32, shape: [-1, Self.inputs])]
        graph.outputs = [ValueInfo(name: "probabilities", dtype: .fp32, shape: [-1, Self.classes])]
        graph.initializers = [
            Initializer(name: "w1", tensor: weights?.0 ?? floats([Self.inputs, Self.hidden], w1)),
            Initializer(name: "b1", tensor: floats([Self.hidden], b1)),
            Initializer(name: "w2", tensor: weights?.1 ?? floats([Self.classes, Self.hidden], w2)),
            Initializer(name: "b2", tensor: floats([Self.classes], b2)),
        ]
        graph.nodes = [
            Node(opType: "Gemm", name: "fc1", inputs: ["x", "w1", "b1"], outputs: ["h"]),
            Node(opType: "Relu", name: "relu", inputs: ["h"], outputs: ["a"]),
            Node(opType: "Gemm", name: "fc2", inputs: ["a", "w2", "b2"], outputs: ["logits"],
                 attributes: [Attribute(name: "transB", value: .int(1))]),
            Node(opType: "Softmax", name: "softmax", inputs: ["logits"], outputs: ["probabilities"]),
        ]
        return graph
    }

    /// The reference outputs; `logitScale` multiplies the second layer (its Gemm's alpha and beta).
    func reference(_ x: [Float], logitScale: Double = 1) -> [Double] {
        let batch = x.count / Self.inputs
        var result: [Double] = []
        for row in 0..<batch {
            let hidden = (0..<Self.hidden).map { j in
                max(0, (0..<Self.inputs).reduce(Double(b1[j])) { $0 + Double(x[row * Self.inputs + $1]) * Double(w1[$1 * Self.hidden + j]) })
            }
            let logits = (0..<Self.classes).map { c in
                logitScale * (0..<Self.hidden).reduce(Double(b2[c])) { $0 + hidden[$1] * Double(w2[c * Self.hidden + $1]) }
            }
            let top = logits.max()!
            let sum = logits.reduce(0) { $0 + Foundation.exp($1 - top) }
            result += logits.map { Foundation.exp($0 - top) / sum }
        }
        return result
    }
}

@Suite("Executor")
struct ExecutorTests {
    let mlp = MLP()

    @Test("a 2-layer MLP matches a plain-Swift reference, for batch 1 and 5 on one executor")
    func mlpDynamicBatch() throws {
        let executor = try Executor(graph: mlp.graph())
        for batch in [1, 5, 1] {
            let x = randomFloats(batch * MLP.inputs, seed: UInt64(batch), in: -2...2)
            let y = try executor.run(["x": floats([batch, MLP.inputs], x)])["probabilities"]!
            #expect(y.shape == [batch, MLP.classes])
            expectClose(y.floats, mlp.reference(x), relative: 1e-5, absolute: 1e-6, "batch \(batch)")
        }
        #expect(executor.cachedPlanCount == 2)
    }

    @Test("weights in read-only memory are packed without being written")
    func readOnlyWeights() throws {
        func readOnly(_ shape: [Int], _ values: [Float]) throws -> Tensor {
            let size = values.count * 4
            let memory = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)!
            values.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: size) }
            #expect(mprotect(memory, size, PROT_READ) == 0)
            // Any write to it now faults, failing the test loudly.
            let address = Int(bitPattern: memory)
            let storage = TensorStorage(borrowing: UnsafeRawPointer(memory), byteCount: size) {
                munmap(UnsafeMutableRawPointer(bitPattern: address), size)
            }
            return try Tensor(dtype: .fp32, shape: shape, storage: storage)
        }
        var graph = mlp.graph(weights: (try readOnly([MLP.inputs, MLP.hidden], mlp.w1), try readOnly([MLP.classes, MLP.hidden], mlp.w2)))
        // alpha != 1 makes the executor scale the weights: into a copy, never in place.
        graph.nodes[2].attributes += [Attribute(name: "alpha", value: .float(1.5)), Attribute(name: "beta", value: .float(1.5))]
        let x = randomFloats(3 * MLP.inputs, seed: 3)
        let y = try Executor(graph: graph).run(["x": floats([3, MLP.inputs], x)])["probabilities"]!
        #expect(y.shape == [3, MLP.classes])
        expectClose(y.floats, mlp.reference(x, logitScale: 1.5), relative: 1e-5, absolute: 1e-6)
    }

    @Test("packed weights are not held twice: the originals are freed once the graph is dropped")
    func packedWeightsReleased() throws {
        final class Flag: @unchecked Sendable { var released = false }
        let w1Freed = Flag(), b1Freed = Flag()
        func tracked(_ shape: [Int], _ values: [Float], _ flag: Flag) throws -> Tensor {
            let copy = UnsafeMutableRawPointer.allocate(byteCount: values.count * 4, alignment: 64)
            values.withUnsafeBytes { copy.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            let address = Int(bitPattern: copy)
            let storage = TensorStorage(borrowing: UnsafeRawPointer(copy), byteCount: values.count * 4) {
                flag.released = true
                UnsafeMutableRawPointer(bitPattern: address)?.deallocate()
            }
            return try Tensor(dtype: .fp32, shape: shape, storage: storage)
        }
        var graph: Graph? = mlp.graph(weights: (try tracked([MLP.inputs, MLP.hidden], mlp.w1, w1Freed), floats([MLP.classes, MLP.hidden], mlp.w2)))
        // b1 is read at run time only if Gemm could not make it the packed kernel's bias; a
        // tracked copy of it shows that it is released too.
        graph!.initializers[1] = Initializer(name: "b1", tensor: try tracked([MLP.hidden], mlp.b1, b1Freed))
        let executor = try Executor(graph: graph!)
        graph = nil
        #expect(w1Freed.released, "the executor kept the unpacked W1")
        #expect(b1Freed.released, "the executor kept C although it became the packed bias")
        let x = randomFloats(2 * MLP.inputs, seed: 4)
        expectClose(try executor.run(["x": floats([2, MLP.inputs], x)])["probabilities"]!.floats, mlp.reference(x),
                    relative: 1e-5, absolute: 1e-6)
    }

    @Test("runs with shapes already seen allocate no arena")
    func steadyState() throws {
        let executor = try Executor(graph: mlp.graph())
        let big = floats([5, MLP.inputs], randomFloats(5 * MLP.inputs, seed: 1))
        let small = floats([1, MLP.inputs], randomFloats(MLP.inputs, seed: 2))
        let first = try executor.run(["x": big])["probabilities"]!
        let allocated = executor.arenaAllocationCount
        #expect(allocated == 1)
        for _ in 0..<5 {
            #expect(try executor.run(["x": big])["probabilities"]!.floats == first.floats)
            _ = try executor.run(["x": small])
        }
        #expect(executor.arenaAllocationCount == allocated, "the batch-5 arena also serves batch 1")
        #expect(executor.cachedPlanCount == 2)
    }

    @Test("values whose lifetimes do not overlap share buffers")
    func bufferReuse() throws {
        // x -> r1 -> r2 -> r3 -> r4 -> r5 -> y: each intermediate dies once the next is made,
        // so two alternating buffers suffice for the four intermediates.
        var graph = Graph()
        graph.inputs = [ValueInfo(name: "x", dtype: .fp32, shape: [-1])]
        graph.outputs = [ValueInfo(name: "y", dtype: .fp32, shape: [-1])]
        let names = ["x", "r1", "r2", "r3", "r4", "y"]
        graph.nodes = (1..<names.count).map { Node(opType: "Relu", name: "relu\($0)", inputs: [names[$0 - 1]], outputs: [names[$0]]) }
        let executor = try Executor(graph: graph)
        let plan = try executor.program.makePlan(inputShapes: [[1000]], memoryLimit: .max)
        #expect(plan.arenaBytes == 2 * 4032)
        let offsets = ["r1", "r2", "r3", "r4"].map { plan.offsets[executor.program.names.firstIndex(of: $0)!] }
        #expect(offsets[0] == offsets[2] && offsets[1] == offsets[3] && offsets[0] != offsets[1])
        let x = randomFloats(1000, seed: 4)
        #expect(try executor.run(["x": floats([1000], x)])["y"]!.floats == x.map { max(0, $0) })
    }

    @Test("relabeling steps share their input's buffer and are skipped; graph inputs and outputs are still copied")
    func relabelingAliases() throws {
        // x -> Relu a -> Reshape b -> Unsqueeze c -> Squeeze d -> Flatten e; y = a + Reshape(e);
        // z = Reshape(x) (a graph input: copied); w = Reshape(a) is a graph output (copied).
        var graph = Graph()
        graph.inputs = [ValueInfo(name: "x", dtype: .fp32, shape: [2, 6])]
        graph.outputs = [ValueInfo(name: "y", dtype: .fp32, shape: [2, 6]), ValueInfo(name: "z", dtype: .fp32, shape: [12]),
                         ValueInfo(name: "w", dtype: .fp32, shape: [3, 4])]
        graph.initializers = [
            Initializer(name: "s34", tensor: int64s([2], [3, 4])), Initializer(name: "s26", tensor: int64s([2], [2, 6])),
            Initializer(name: "s12", tensor: int64s([1], [12])), Initializer(name: "axis0", tensor: int64s([1], [0])),
        ]
        graph.nodes = [
            Node(opType: "Relu", name: "relu", inputs: ["x"], outputs: ["a"]),
            Node(opType: "Reshape", name: "reshape", inputs: ["a", "s34"], outputs: ["b"]),
            Node(opType: "Unsqueeze", name: "unsqueeze", inputs: ["b", "axis0"], outputs: ["c"]),
            Node(opType: "Squeeze", name: "squeeze", inputs: ["c", "axis0"], outputs: ["d"]),
            Node(opType: "Flatten", name: "flatten", inputs: ["d"], outputs: ["e"]),
            Node(opType: "Reshape", name: "back", inputs: ["e", "s26"], outputs: ["f"]),
            Node(opType: "Add", name: "add", inputs: ["a", "f"], outputs: ["y"]),
            Node(opType: "Reshape", name: "input", inputs: ["x", "s12"], outputs: ["z"]),
            Node(opType: "Reshape", name: "output", inputs: ["a", "s34"], outputs: ["w"]),
        ]
        let executor = try Executor(graph: graph, optimize: false)
        let program = executor.program
        let plan = try program.makePlan(inputShapes: [[2, 6]], memoryLimit: .max)
        func offset(_ name: String) -> Int { plan.offsets[program.names.firstIndex(of: name)!] }
        func skipped(_ node: String) -> Bool { plan.skips[program.steps.firstIndex { $0.name == node }!] }
        #expect(["b", "c", "d", "e", "f"].allSatisfy { offset($0) == offset("a") }, "the relabeled values share a's buffer")
        #expect(["reshape", "unsqueeze", "squeeze", "flatten", "back"].allSatisfy(skipped))
        #expect(!skipped("input") && !skipped("output") && !skipped("relu") && !skipped("add"))
        #expect(plan.arenaBytes == 64, "one 48-byte buffer, aligned, for a and everything relabeled from it")

        let x = (0..<12).map { Float($0) - 5.5 }
        let outputs = try executor.run(["x": floats([2, 6], x)])
        #expect(outputs["y"]!.floats == x.map { 2 * max(0, $0) })
        #expect(outputs["y"]!.shape == [2, 6])
        #expect(outputs["z"]!.floats == x && outputs["z"]!.shape == [12])
        #expect(outputs["w"]!.floats == x.map { max(0, $0) } && outputs["w"]!.shape == [3, 4])
    }

    @Test("8 concurrent tasks on one executor get the serial results, bit for bit")
    func concurrency() async throws {
        let executor = try Executor(graph: mlp.graph())
        let inputs = (0..<8).map { floats([1 + $0 % 3 * 2, MLP.inputs], randomFloats((1 + $0 % 3 * 2) * MLP.inputs, seed: UInt64($0))) }
        let expected = try inputs.map { try executor.run(["x": $0])["probabilities"]!.floats }
        let sameInput = try executor.run(["x": inputs[0]])["probabilities"]!.floats
        try await withThrowingTaskGroup(of: (Int, [Float], [Float]).self) { group in
            for task in 0..<8 {
                group.addTask {
                    var own: [Float] = [], shared: [Float] = []
                    for _ in 0..<25 {
                        own = try executor.run(["x": inputs[task]])["probabilities"]!.floats
                        shared = try executor.run(["x": inputs[0]])["probabilities"]!.floats
                    }
                    return (task, own, shared)
                }
            }
            for try await (task, own, shared) in group {
                #expect(own == expected[task], "task \(task) got a different result for its own input")
                #expect(shared == sameInput, "task \(task) got a different result for the shared input")
            }
        }
    }

    @Test("an output that is a graph input or an initializer comes back as a copy")
    func passThrough() throws {
        var graph = Graph()
        graph.inputs = [ValueInfo(name: "x", dtype: .fp32, shape: [2])]
        graph.initializers = [Initializer(name: "w", tensor: floats([1], [9]))]
        graph.outputs = [ValueInfo(name: "x", dtype: .fp32, shape: [2]), ValueInfo(name: "w", dtype: .fp32, shape: [1])]
        let x = floats([2], [1, 2])
        let result = try Executor(graph: graph).run(["x": x])
        #expect(result["x"]?.floats == [1, 2] && result["w"]?.floats == [9])
        #expect(result["x"]?.storage !== x.storage)
    }
}

extension ExecutorTests {
    @Suite("Executor errors")
    struct Errors {
        let mlp = MLP()

        func message(_ body: () throws -> Void) -> String? {
            do {
                try body()
                return nil
            } catch {
                return (error as? EngineError)?.message
            }
        }

        @Test("an unknown op names the node and the op and lists the supported ones")
        func unknownOp() {
            var graph = mlp.graph()
            graph.nodes[1] = Node(opType: "Swish", name: "act", inputs: ["h"], outputs: ["a"])
            #expect {
                try Executor(graph: graph)
            } throws: { error in
                let error = error as? EngineError
                return error?.code == .unsupportedOperator
                    && error?.message.hasPrefix("node 'act' uses op 'Swish', which the executor does not support; supported ops: ") == true
                    && error?.message.hasSuffix(Executor.supportedOperators.joined(separator: ", ")) == true
            }
            #expect(Executor.supportedOperators.contains("Gemm") && Executor.supportedOperators.count == 47)
        }

        @Test("missing, unknown, mistyped and misshapen inputs are refused with what was expected")
        func badInputs() throws {
            let executor = try Executor(graph: mlp.graph())
            let good = floats([2, 4], .init(repeating: 0, count: 8))
            #expect(message { _ = try executor.run([:]) } == "missing input 'x' (FP32 [-1, 4]); the graph's inputs are 'x' (FP32 [-1, 4])")
            #expect(message { _ = try executor.run(["x": good, "y": good]) } == "unknown input 'y'; the graph's inputs are 'x' (FP32 [-1, 4])")
            #expect(message { _ = try executor.run(["x": int64s([2, 4], .init(repeating: 0, count: 8))]) } == "input 'x' must be FP32 but is INT64")
            #expect(message { _ = try executor.run(["x": floats([2, 5], .init(repeating: 0, count: 10))]) }
                == "input 'x' must have shape [-1, 4] (-1: any size) but has [2, 5]")
            #expect(message { _ = try executor.run(["x": floats([8], .init(repeating: 0, count: 8))]) }
                == "input 'x' must have shape [-1, 4] (-1: any size) but has [8]")
            #expect(try executor.run(["x": good])["probabilities"]?.shape == [2, 3])
        }

        @Test("a shape the graph accepts but a node cannot use names the node")
        func nodeShapeMismatch() throws {
            var graph = mlp.graph()
            graph.inputs[0].shape = [-1, -1]
            let executor = try Executor(graph: graph)
            let error = message { _ = try executor.run(["x": floats([2, 3], .init(repeating: 0, count: 6))]) }
            #expect(error == "node 'fc1' (Gemm): op(A) is 2 x 3 but op(B) is 4 x 8; the inner dimensions must agree (with input shapes 'x' [2, 3])")
        }

        @Test("a cycle is refused at construction")
        func cycle() {
            var graph = mlp.graph()
            graph.nodes[0].inputs[0] = "a"
            #expect(message { _ = try Executor(graph: graph) }?.hasPrefix("the graph has a cycle through nodes 'fc1', 'relu'") == true)
        }

        @Test("bad attributes and arity name the node")
        func badNodes() {
            var graph = mlp.graph()
            graph.nodes[3].attributes = [Attribute(name: "axis", value: .string("last"))]
            #expect(message { _ = try Executor(graph: graph) } == "node 'softmax' (Softmax): attribute 'axis' must be an int, not string(\"last\")")
            graph = mlp.graph()
            graph.nodes[1].inputs.append("h")
            #expect(message { _ = try Executor(graph: graph) } == "node 'relu' (Relu): takes 1 input but has 2")
        }
    }
}

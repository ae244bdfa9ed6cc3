import Testing
import TesseraEngine

@Suite("Graph validation")
struct GraphValidationTests {
    func graph(_ nodes: [Node], inputs: [String] = ["x"], outputs: [String] = ["y"]) -> Graph {
        var graph = Graph()
        graph.inputs = inputs.map { ValueInfo(name: $0, dtype: .fp32, shape: [-1, 4]) }
        graph.outputs = outputs.map { ValueInfo(name: $0, dtype: .fp32, shape: [-1, 4]) }
        graph.nodes = nodes
        return graph
    }

    @Test("nodes listed out of order are scheduled producers first")
    func order() throws {
        let nodes = [
            Node(opType: "Relu", name: "second", inputs: ["h"], outputs: ["y"]),
            Node(opType: "Neg", name: "first", inputs: ["x"], outputs: ["h"]),
        ]
        #expect(try graph(nodes).validatedOrder() == [1, 0])
    }

    @Test("a cycle is reported with the nodes on it")
    func cycle() {
        let nodes = [
            Node(opType: "Add", name: "a", inputs: ["x", "c"], outputs: ["b"]),
            Node(opType: "Relu", name: "b", inputs: ["b"], outputs: ["c"]),
            Node(opType: "Relu", name: "out", inputs: ["b"], outputs: ["y"]),
        ]
        #expect {
            try graph(nodes).validatedOrder()
        } throws: { error in
            (error as? EngineError)?.message.hasPrefix("the graph has a cycle through nodes 'a', 'b'") == true
        }
    }

    @Test("a missing input names the node that reads it")
    func missingInput() {
        let nodes = [Node(opType: "MatMul", name: "mm", inputs: ["x", "w"], outputs: ["y"])]
        #expect(throws: EngineError(.invalidGraph, "node 'mm' (MatMul) reads 'w', which no input, initializer or node produces")) {
            try graph(nodes).validatedOrder()
        }
    }

    @Test("a value produced twice is refused")
    func twoProducers() {
        let nodes = [
            Node(opType: "Relu", name: "r1", inputs: ["x"], outputs: ["y"]),
            Node(opType: "Relu", name: "r2", inputs: ["x"], outputs: ["y"]),
        ]
        #expect(throws: EngineError.self) { try graph(nodes).validatedOrder() }
    }

    @Test("an output nothing produces is refused")
    func unproducedOutput() {
        #expect(throws: EngineError(.invalidGraph, "graph output 'y' is not produced by any node, input or initializer")) {
            try graph([]).validatedOrder()
        }
    }
}

@Suite("Tensors")
struct TensorTests {
    @Test("storage must hold exactly shape × element size bytes")
    func sizeCheck() throws {
        let storage = TensorStorage(zeroedByteCount: 12)
        #expect(throws: EngineError.self) { try Tensor(dtype: .fp32, shape: [2, 2], storage: storage) }
        #expect(try Tensor(dtype: .fp32, shape: [3], storage: storage).elementCount == 3)
        #expect(throws: EngineError.self) { try Tensor(dtype: .fp32, shape: [-1, 3], storage: storage) }
    }

    @Test("lent memory is given back exactly once, when the last tensor using it goes")
    func release() throws {
        final class Counter: @unchecked Sendable { var count = 0 }
        let counter = Counter()
        var values: [Float] = [1, 2]
        try values.withUnsafeBytes { bytes in
            do {
                let storage = TensorStorage(borrowing: bytes.baseAddress, byteCount: bytes.count) { counter.count += 1 }
                let a = try Tensor(dtype: .fp32, shape: [2], storage: storage)
                let b = a
                #expect(b.floats == [1, 2])
            }
        }
        values[0] = 0
        #expect(counter.count == 1)
    }

    @Test("OIP datatype names round-trip", arguments: DType.allCases)
    func names(dtype: DType) {
        #expect(DType(name: dtype.name) == dtype)
        #expect(DType(name: dtype.name.lowercased()) == dtype)
    }
}

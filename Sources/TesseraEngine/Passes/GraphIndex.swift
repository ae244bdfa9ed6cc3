/// Who produces and who reads each value of a graph, for passes that match patterns. Built
/// once per pass over a graph that `validatedOrder()` accepted; stale after any edit.
struct GraphIndex {
    /// The node index producing each value name (inputs and initializers have none).
    let producer: [String: Int]
    /// For each value name, the indices of the nodes reading it (once per node).
    let readers: [String: [Int]]
    /// Names of the graph's outputs: a value listed here is read from outside the graph.
    let graphOutputs: Set<String>
    /// Initializers by name.
    let initializers: [String: Tensor]

    init(_ graph: Graph) {
        var producer: [String: Int] = [:]
        var readers: [String: [Int]] = [:]
        for (index, node) in graph.nodes.enumerated() {
            for output in node.outputs where !output.isEmpty { producer[output] = index }
            for input in Set(node.inputs) where !input.isEmpty { readers[input, default: []].append(index) }
        }
        self.producer = producer
        self.readers = readers
        graphOutputs = Set(graph.outputs.map(\.name))
        initializers = Dictionary(graph.initializers.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
    }

    /// Whether `value` is read by exactly one node and is not a graph output, so a pass may
    /// fold its producer into that node without anyone else losing it.
    func isPrivate(_ value: String) -> Bool {
        !graphOutputs.contains(value) && readers[value]?.count == 1
    }

    /// The only node reading `value`, when it is private.
    func soleReader(of value: String) -> Int? {
        isPrivate(value) ? readers[value]![0] : nil
    }

    /// The value of a single-element FP32 initializer, for matching constants like 0.5 or √2.
    /// Only rank 0 by default: a [1] or [1, 1] operand could raise the rank of what it is
    /// broadcast with, which a fused node would not reproduce.
    func scalar(_ value: String, maxRank: Int = 0) -> Float? {
        guard let tensor = initializers[value], tensor.dtype == .fp32, tensor.elementCount == 1,
              tensor.shape.count <= maxRank else { return nil }
        return tensor.storage.baseAddress?.load(as: Float.self)
    }

    /// For a binary node with one rank-0 FP32 constant operand: the other operand and the
    /// constant (x / √2, x * 0.5, …).
    func scalarOperands(_ node: Node) -> (String, Float)? {
        guard node.inputs.count == 2 else { return nil }
        if let c = scalar(node.inputs[1]) { return (node.inputs[0], c) }
        if let c = scalar(node.inputs[0]) { return (node.inputs[1], c) }
        return nil
    }
}

extension Graph {
    /// A copy without the nodes at `indices`, keeping the others in order.
    func removingNodes(_ indices: Set<Int>) -> Graph {
        var copy = self
        copy.nodes = nodes.enumerated().filter { !indices.contains($0.offset) }.map(\.element)
        return copy
    }
}

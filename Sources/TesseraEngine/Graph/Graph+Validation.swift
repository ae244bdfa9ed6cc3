extension Graph {
    /// Checks that the graph is well formed: every value a node reads is produced exactly once
    /// (by an input, an initializer or an earlier-sortable node), every output is produced, and
    /// there is no cycle. Returns the nodes' indices in an order that runs producers first.
    public func validatedOrder() throws(EngineError) -> [Int] {
        var producer: [String: String] = [:]  // value name -> what produces it, for messages
        func declare(_ value: String, by owner: String) throws(EngineError) {
            if let earlier = producer[value] {
                throw EngineError(.invalidGraph, "value '\(value)' is produced by both \(earlier) and \(owner); each value must have one producer")
            }
            producer[value] = owner
        }
        for input in inputs { try declare(input.name, by: "graph input '\(input.name)'") }
        for initializer in initializers { try declare(initializer.name, by: "initializer '\(initializer.name)'") }
        var producingNode: [String: Int] = [:]
        for (index, node) in nodes.enumerated() {
            for output in node.outputs where !output.isEmpty {
                try declare(output, by: "node '\(node.name)' (\(node.opType))")
                producingNode[output] = index
            }
        }
        for node in nodes {
            for input in node.inputs where !input.isEmpty && producer[input] == nil {
                throw EngineError(.invalidGraph, "node '\(node.name)' (\(node.opType)) reads '\(input)', which no input, initializer or node produces")
            }
        }
        for output in outputs where producer[output.name] == nil {
            throw EngineError(.invalidGraph, "graph output '\(output.name)' is not produced by any node, input or initializer")
        }

        // Kahn's algorithm; what is left over sits on a cycle.
        var remaining = nodes.map { node in Set(node.inputs.compactMap { producingNode[$0] }).count }
        var consumers: [[Int]] = Array(repeating: [], count: nodes.count)
        for (index, node) in nodes.enumerated() {
            for producerIndex in Set(node.inputs.compactMap({ producingNode[$0] })) {
                consumers[producerIndex].append(index)
            }
        }
        var ready = remaining.indices.filter { remaining[$0] == 0 }
        var order: [Int] = []
        while let next = ready.popLast() {
            order.append(next)
            for consumer in consumers[next] {
                remaining[consumer] -= 1
                if remaining[consumer] == 0 { ready.append(consumer) }
            }
        }
        if order.count < nodes.count {
            let stuck = nodes.indices.filter { remaining[$0] > 0 }.map { "'\(nodes[$0].name)'" }
            throw EngineError(.invalidGraph, "the graph has a cycle through nodes \(stuck.prefix(5).joined(separator: ", "))")
        }
        return order
    }
}

/// Rewrites exact GELU as exporters spell it out — `x * (erf(x / √2) + 1) * 0.5`, in any of
/// the operand orders PyTorch and TensorFlow produce — into one ONNX `Gelu` node (opset 20,
/// approximate "none"), which runs as one vectorized loop instead of five passes over memory.
///
/// Matched: Erf(Div(x, √2) or Mul(x, 1/√2)) → Add(·, 1) → Mul(·, x) → Mul(·, 0.5), and the form
/// where x is halved first: Mul(Mul(x, 0.5), Add(·, 1)). Constants must be single-element FP32
/// initializers within 1e-6 of the expected values, and every intermediate value must be read
/// only inside the pattern.
enum GeluFusion {
    static func run(_ graph: Graph, report: inout GraphOptimizer.Report) -> Graph {
        var graph = graph
        // Each rewrite invalidates the index, so match one at a time from a fresh index.
        while let (removed, gelu, at) = findOne(graph) {
            graph.nodes[at] = gelu
            graph = graph.removingNodes(removed)
            report.fusedGelu += 1
        }
        return graph
    }

    /// One match: the nodes to remove, the Gelu node and the index it takes (the last node
    /// of the pattern, so everything it reads is produced before it).
    private static func findOne(_ graph: Graph) -> (Set<Int>, Node, Int)? {
        let index = GraphIndex(graph)
        for (erfIndex, erf) in graph.nodes.enumerated() where erf.opType == "Erf" && erf.inputs.count == 1 {
            guard let match = match(erfIndex, erf, graph, index) else { continue }
            return match
        }
        return nil
    }

    private static func match(_ erfIndex: Int, _ erf: Node, _ graph: Graph, _ index: GraphIndex) -> (Set<Int>, Node, Int)? {
        let nodes = graph.nodes
        // x / √2 or x * (1/√2)
        guard let scaleIndex = index.producer[erf.inputs[0]], index.isPrivate(erf.inputs[0]) else { return nil }
        let scale = nodes[scaleIndex]
        let x: String
        if scale.opType == "Div", scale.inputs.count == 2, near(index.scalar(scale.inputs[1]), 2.0.squareRoot()) {
            x = scale.inputs[0]
        } else if scale.opType == "Mul", let (other, c) = index.scalarOperands(scale), near(c, 0.5.squareRoot()) {
            x = other
        } else {
            return nil
        }
        // erf(…) + 1
        guard let addIndex = index.soleReader(of: erf.outputs[0]) else { return nil }
        let add = nodes[addIndex]
        guard add.opType == "Add", let (erfOut, one) = index.scalarOperands(add), erfOut == erf.outputs[0], near(one, 1) else { return nil }
        guard let mulIndex = index.soleReader(of: add.outputs[0]), nodes[mulIndex].opType == "Mul",
              nodes[mulIndex].inputs.count == 2 else { return nil }
        let mul = nodes[mulIndex]
        let partner = mul.inputs[0] == add.outputs[0] ? mul.inputs[1] : mul.inputs[0]

        var removed: Set<Int> = [scaleIndex, erfIndex, addIndex]
        let output: String
        let last: Int
        if partner == x {
            // (x * (erf + 1)) * 0.5
            guard let halfIndex = index.soleReader(of: mul.outputs[0]) else { return nil }
            let half = nodes[halfIndex]
            guard half.opType == "Mul", let (product, c) = index.scalarOperands(half), product == mul.outputs[0], near(c, 0.5) else { return nil }
            removed.insert(mulIndex)
            output = half.outputs[0]
            last = halfIndex
        } else {
            // (x * 0.5) * (erf + 1)
            guard let halvedIndex = index.producer[partner], index.isPrivate(partner) else { return nil }
            let halved = nodes[halvedIndex]
            guard halved.opType == "Mul", let (source, c) = index.scalarOperands(halved), source == x, near(c, 0.5) else { return nil }
            removed.insert(halvedIndex)
            output = mul.outputs[0]
            last = mulIndex
        }
        removed.remove(last)
        let gelu = Node(opType: "Gelu", name: nodes[last].name, inputs: [x], outputs: [output],
                        attributes: [Attribute(name: "approximate", value: .string("none"))])
        return (removed, gelu, last)
    }

    private static func near(_ value: Float?, _ expected: Double) -> Bool {
        guard let value else { return false }
        return abs(Double(value) - expected) <= 1e-6 * max(1, abs(expected))
    }
}

/// Fuses layer normalization written out as ops — how older exporters and hand-built graphs
/// spell it — into one `LayerNormalization` (axis -1), which makes two passes over each row
/// instead of nine element-wise ones:
///
///     mean = ReduceMean(x, axes [-1]);  d = Sub(x, mean)
///     var = ReduceMean(Pow(d, 2), axes [-1]);  z = Div(d, Sqrt(Add(var, epsilon)))
///     y = Mul(z, scale) [then Add(·, bias)]
///
/// Matched only when: both ReduceMeans reduce exactly the last axis with keepdims (attribute
/// or constant input); the exponent is a rank-0 2; epsilon a single-element FP32 constant;
/// scale (and bias) FP32 constants of shape [n] with n > 1, so no broadcast is lost; `d` is
/// read only by the Pow and the Div, and every other intermediate only by the next node.
enum LayerNormFusion {
    static func run(_ graph: Graph, report: inout GraphOptimizer.Report) -> Graph {
        let index = GraphIndex(graph)
        var graph = graph
        var removed = Set<Int>()
        for (subIndex, sub) in graph.nodes.enumerated() where sub.opType == "Sub" && sub.inputs.count == 2 {
            guard let match = match(subIndex, sub, graph, index), match.removed.isDisjoint(with: removed) else { continue }
            graph.nodes[match.last] = match.node
            removed.formUnion(match.removed)
            report.fusedLayerNorm += 1
        }
        return graph.removingNodes(removed)
    }

    private struct Match {
        let removed: Set<Int>
        let last: Int
        let node: Node
    }

    private static func match(_ subIndex: Int, _ sub: Node, _ graph: Graph, _ index: GraphIndex) -> Match? {
        let nodes = graph.nodes
        let (x, mean, d) = (sub.inputs[0], sub.inputs[1], sub.outputs[0])
        guard let meanIndex = index.producer[mean], index.isPrivate(mean), reducesLastAxis(nodes[meanIndex], index),
              nodes[meanIndex].inputs[0] == x else { return nil }
        // d feeds the Pow (variance) and the Div (normalization), nothing else.
        guard !index.graphOutputs.contains(d), let readers = index.readers[d], readers.count == 2,
              let powIndex = readers.first(where: { nodes[$0].opType == "Pow" }),
              let divIndex = readers.first(where: { nodes[$0].opType == "Div" }) else { return nil }
        let pow = nodes[powIndex], div = nodes[divIndex]
        guard pow.inputs.count == 2, pow.inputs[0] == d, index.scalar(pow.inputs[1]) == 2,
              div.inputs.count == 2, div.inputs[0] == d else { return nil }
        guard let varianceIndex = index.soleReader(of: pow.outputs[0]), reducesLastAxis(nodes[varianceIndex], index),
              let addIndex = index.soleReader(of: nodes[varianceIndex].outputs[0]), nodes[addIndex].opType == "Add",
              let (_, epsilon) = epsilonOperand(nodes[addIndex], of: nodes[varianceIndex].outputs[0], index),
              let sqrtIndex = index.soleReader(of: nodes[addIndex].outputs[0]), nodes[sqrtIndex].opType == "Sqrt",
              index.soleReader(of: nodes[sqrtIndex].outputs[0]) == divIndex, div.inputs[1] == nodes[sqrtIndex].outputs[0]
        else { return nil }
        // z * scale (either order), then optionally + bias.
        guard let scaleIndex = index.soleReader(of: div.outputs[0]), nodes[scaleIndex].opType == "Mul",
              let scale = vectorOperand(nodes[scaleIndex], of: div.outputs[0], index) else { return nil }
        var last = scaleIndex
        var inputs = [x, scale.name]
        var removed: Set<Int> = [meanIndex, subIndex, powIndex, varianceIndex, addIndex, sqrtIndex, divIndex, scaleIndex]
        if let biasIndex = index.soleReader(of: nodes[scaleIndex].outputs[0]), nodes[biasIndex].opType == "Add",
           let bias = vectorOperand(nodes[biasIndex], of: nodes[scaleIndex].outputs[0], index), bias.count == scale.count {
            last = biasIndex
            inputs.append(bias.name)
            removed.insert(biasIndex)
        }
        removed.remove(last)
        let node = Node(opType: "LayerNormalization", name: sub.name, inputs: inputs, outputs: [nodes[last].outputs[0]],
                        attributes: [Attribute(name: "axis", value: .int(-1)), Attribute(name: "epsilon", value: .float(Double(epsilon)))])
        return Match(removed: removed, last: last, node: node)
    }

    /// A ReduceMean over exactly the last axis, keeping it.
    private static func reducesLastAxis(_ node: Node, _ index: GraphIndex) -> Bool {
        guard node.opType == "ReduceMean", !node.inputs.isEmpty, node.outputs.count == 1 else { return false }
        if case .int(let keep)? = node.attributes.last(where: { $0.name == "keepdims" })?.value, keep == 0 { return false }
        if case .ints(let axes)? = node.attributes.last(where: { $0.name == "axes" })?.value {
            return axes == [-1] && node.inputs.count == 1
        }
        guard node.inputs.count == 2, let axes = index.initializers[node.inputs[1]], axes.dtype == .int64 else { return false }
        return axes.intValues == [-1]
    }

    /// For Add(value, ε) in either order: ε as a single-element FP32 constant of rank ≤ 1.
    private static func epsilonOperand(_ node: Node, of value: String, _ index: GraphIndex) -> (String, Float)? {
        guard node.inputs.count == 2, let side = node.inputs.firstIndex(of: value),
              let epsilon = index.scalar(node.inputs[1 - side], maxRank: 1), epsilon >= 0 else { return nil }
        return (node.inputs[1 - side], epsilon)
    }

    /// For a binary node reading `value` and an FP32 constant of shape [n], n > 1: that constant.
    private static func vectorOperand(_ node: Node, of value: String, _ index: GraphIndex) -> (name: String, count: Int)? {
        guard node.inputs.count == 2, let side = node.inputs.firstIndex(of: value) else { return nil }
        let name = node.inputs[1 - side]
        guard name != value, let tensor = index.initializers[name], tensor.dtype == .fp32, tensor.shape.count == 1,
              tensor.shape[0] > 1 else { return nil }
        return (name, tensor.shape[0])
    }
}

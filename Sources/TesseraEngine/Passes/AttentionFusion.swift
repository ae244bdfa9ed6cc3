/// Fuses scaled dot-product attention — MatMul(Q, K), an optional additive mask, Softmax over
/// the last axis (or `Tessera.SafeSoftmax`), MatMul with V — into `Tessera.Attention` (see
/// `AttentionKernel`): each batch-and-head problem runs as one task with its scores kept in
/// a small buffer, instead of four passes over a [batch, heads, s, t] tensor.
///
/// Scalar multiplications of Q or K just before the first MatMul (BERT exports scale both by
/// d^-1/4) are folded into the node's `scale`. Matched only when every intermediate is read
/// by the next node of the pattern alone, the softmax axis is -1, and scale constants are
/// rank-0 FP32 initializers.
enum AttentionFusion {
    static let opType = "Tessera.Attention"

    static func run(_ graph: Graph, report: inout GraphOptimizer.Report) -> Graph {
        let index = GraphIndex(graph)
        var graph = graph
        var removed = Set<Int>()
        for (outputIndex, output) in graph.nodes.enumerated() where output.opType == "MatMul" && output.inputs.count == 2 {
            let p = output.inputs[0]
            guard let softmaxIndex = index.producer[p], index.isPrivate(p), !removed.contains(softmaxIndex) else { continue }
            let softmax = graph.nodes[softmaxIndex]
            let safe = softmax.opType == SafeSoftmaxFusion.opType
            guard safe || softmax.opType == "Softmax", softmax.inputs.count == 1, lastAxis(softmax) else { continue }

            var logits = softmax.inputs[0]
            var mask: String?
            var pattern: Set<Int> = [softmaxIndex]
            if let addIndex = index.producer[logits], graph.nodes[addIndex].opType == "Add", index.isPrivate(logits),
               graph.nodes[addIndex].inputs.count == 2 {
                let add = graph.nodes[addIndex]
                let scoreSide = add.inputs.firstIndex { name in
                    index.isPrivate(name) && index.producer[name].map { graph.nodes[$0].opType == "MatMul" } == true
                }
                guard let scoreSide else { continue }
                logits = add.inputs[scoreSide]
                mask = add.inputs[1 - scoreSide]
                pattern.insert(addIndex)
            }
            guard let scoresIndex = index.producer[logits], index.isPrivate(logits), graph.nodes[scoresIndex].opType == "MatMul",
                  graph.nodes[scoresIndex].inputs.count == 2 else { continue }
            pattern.insert(scoresIndex)

            var scale: Float = 1
            var operands = graph.nodes[scoresIndex].inputs
            for side in 0..<2 {
                guard let mulIndex = index.producer[operands[side]], index.isPrivate(operands[side]),
                      graph.nodes[mulIndex].opType == "Mul",
                      let (source, factor) = index.scalarOperands(graph.nodes[mulIndex]) else { continue }
                scale *= factor
                operands[side] = source
                pattern.insert(mulIndex)
            }
            guard pattern.isDisjoint(with: removed) else { continue }

            var attributes = [Attribute(name: "scale", value: .float(Double(scale)))]
            if safe { attributes.append(Attribute(name: "zero_nan", value: .int(1))) }
            graph.nodes[outputIndex] = Node(opType: opType, name: graph.nodes[scoresIndex].name,
                                            inputs: operands + [output.inputs[1]] + (mask.map { [$0] } ?? []),
                                            outputs: output.outputs, attributes: attributes)
            removed.formUnion(pattern)
            report.fusedAttention += 1
        }
        return graph.removingNodes(removed)
    }

    private static func lastAxis(_ node: Node) -> Bool {
        switch node.attributes.last(where: { $0.name == "axis" })?.value {
        case nil, .int(-1)?: true
        default: false
        }
    }
}

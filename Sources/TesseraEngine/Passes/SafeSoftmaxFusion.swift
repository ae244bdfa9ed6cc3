/// Fuses `Where(IsNaN(s), 0, s)` after `s = Softmax(x)` — what exporters add so that a row
/// whose every logit is masked to -inf comes out as zeros rather than NaN — into
/// `Tessera.SafeSoftmax`, which zeroes such rows as it writes them (two fewer passes and no
/// BOOL temporary).
///
/// Matched when the Softmax output is read only by that IsNaN and that Where, the IsNaN
/// output only by the Where, and the replacement is an FP32 zero of rank 0 or 1.
enum SafeSoftmaxFusion {
    static let opType = "Tessera.SafeSoftmax"

    static func run(_ graph: Graph, report: inout GraphOptimizer.Report) -> Graph {
        let index = GraphIndex(graph)
        var graph = graph
        var removed = Set<Int>()
        for (softmaxIndex, softmax) in graph.nodes.enumerated() where softmax.opType == "Softmax" {
            let s = softmax.outputs[0]
            guard !index.graphOutputs.contains(s), let readers = index.readers[s], readers.count == 2 else { continue }
            guard let isNaNIndex = readers.first(where: { graph.nodes[$0].opType == "IsNaN" }),
                  let whereIndex = readers.first(where: { graph.nodes[$0].opType == "Where" }),
                  index.soleReader(of: graph.nodes[isNaNIndex].outputs[0]) == whereIndex
            else { continue }
            let select = graph.nodes[whereIndex]
            guard select.inputs.count == 3, select.inputs[0] == graph.nodes[isNaNIndex].outputs[0], select.inputs[2] == s,
                  index.scalar(select.inputs[1], maxRank: 1) == 0
            else { continue }
            removed.formUnion([softmaxIndex, isNaNIndex])
            graph.nodes[whereIndex] = Node(opType: opType, name: softmax.name, inputs: softmax.inputs,
                                           outputs: select.outputs, attributes: softmax.attributes)
            report.fusedSoftmax += 1
        }
        return graph.removingNodes(removed)
    }
}

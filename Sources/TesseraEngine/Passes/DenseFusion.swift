/// Fuses a MatMul by a constant weight with the bias Add after it, and with the activation
/// after that when there is one, into `Tessera.Dense` (see `DenseKernel`): the bias is added
/// by the GEMM kernel as it writes each tile, and the activation runs on the result while it
/// is still in cache, instead of two more passes over memory.
///
/// Matched: MatMul(A, W) with W a 2-D FP32 initializer [k, n]; Add(·, b) or Add(b, ·) with b
/// an FP32 initializer of shape [n]; then optionally Relu, Sigmoid, Tanh or Gelu. Each
/// intermediate must be read only by the next node of the pattern.
enum DenseFusion {
    static let opType = "Tessera.Dense"

    /// Activations the fused kernel applies, by the op type that spelled them.
    static let activations: [String: String] = ["Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Gelu": "gelu"]

    static func run(_ graph: Graph, report: inout GraphOptimizer.Report) -> Graph {
        let index = GraphIndex(graph)
        var graph = graph
        var removed = Set<Int>()
        for (matmulIndex, matmul) in graph.nodes.enumerated() where matmul.opType == "MatMul" && matmul.inputs.count == 2 {
            guard let weight = index.initializers[matmul.inputs[1]], weight.dtype == .fp32, weight.shape.count == 2,
                  weight.shape.allSatisfy({ $0 > 0 }),
                  let addIndex = index.soleReader(of: matmul.outputs[0]), graph.nodes[addIndex].opType == "Add",
                  graph.nodes[addIndex].inputs.count == 2
            else { continue }
            let add = graph.nodes[addIndex]
            let bias = add.inputs[0] == matmul.outputs[0] ? add.inputs[1] : add.inputs[0]
            guard bias != matmul.outputs[0], let b = index.initializers[bias], b.dtype == .fp32, b.shape == [weight.shape[1]] else { continue }

            var last = addIndex
            var attributes: [Attribute] = []
            if let actIndex = index.soleReader(of: add.outputs[0]), let activation = activation(graph.nodes[actIndex]) {
                attributes.append(Attribute(name: "activation", value: .string(activation)))
                removed.insert(addIndex)
                last = actIndex
                report.fusedActivations += 1
            }
            removed.insert(matmulIndex)
            graph.nodes[last] = Node(opType: opType, name: matmul.name, inputs: [matmul.inputs[0], matmul.inputs[1], bias],
                                     outputs: [graph.nodes[last].outputs[0]], attributes: attributes)
            report.fusedDense += 1
        }
        return graph.removingNodes(removed)
    }

    /// The fused kernel's name for the node's activation, if it is one it can apply.
    private static func activation(_ node: Node) -> String? {
        guard node.inputs.count == 1, node.outputs.count == 1, let name = activations[node.opType] else { return nil }
        guard node.opType == "Gelu" else { return name }
        switch node.attributes.last(where: { $0.name == "approximate" })?.value {
        case nil, .string("none")?: return "gelu"
        case .string("tanh")?: return "gelu_tanh"
        default: return nil
        }
    }
}

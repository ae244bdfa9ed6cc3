/// Evaluates, once, every node whose inputs are all constant, and replaces it by initializers
/// holding its outputs: Constant nodes first, then chains fed only by them and by weights
/// (a Transpose or Cast of a weight, shape arithmetic on constants).
///
/// A node is left alone when folding could cost memory or fail differently: its outputs
/// would be larger than both 64 KiB and its inputs together (an Expand or ConstantOfShape
/// blowing a small constant up), its op is a plugin's, or evaluating it fails (the executor
/// then reports the error, naming the node, as it would without folding).
enum ConstantFolding {
    static let smallOutputBytes = 64 << 10

    static func run(_ graph: Graph, report: inout GraphOptimizer.Report) -> Graph {
        guard let order = try? graph.validatedOrder() else { return graph }
        var constants = Dictionary(graph.initializers.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        var result = graph
        var folded = Set<Int>()
        for index in order {
            let node = graph.nodes[index]
            guard let factory = Operators.factories[node.opType],
                  node.inputs.allSatisfy({ $0.isEmpty || constants[$0] != nil }),
                  let outputs = evaluate(node, factory: factory, constants: constants)
            else { continue }
            for (name, tensor) in zip(node.outputs, outputs) where !name.isEmpty {
                constants[name] = tensor
                result.initializers.append(Initializer(name: name, tensor: tensor))
            }
            folded.insert(index)
        }
        report.foldedConstants += folded.count
        return result.removingNodes(folded)
    }

    /// The node's outputs, or nil when it is not worth or not possible to fold.
    private static func evaluate(_ node: Node, factory: Operators.Factory, constants: [String: Tensor]) -> [Tensor]? {
        let context = KernelContext(node: node, constants: constants)
        guard let kernel = try? factory(context) else { return nil }
        if let constant = kernel as? any ConstantKernel { return [constant.value] }
        let inputs = node.inputs.prefix(context.presentInputCount).map { constants[$0]! }
        let types = inputs.map { ValueType(dtype: $0.dtype, shape: $0.shape) }
        guard let outputTypes = try? kernel.outputTypes(types, values: inputs),
              outputTypes.count == node.outputs.count
        else { return nil }
        let inputBytes = inputs.reduce(0) { $0 + $1.storage.byteCount }
        let outputBytes = outputTypes.reduce(0) { $0 + $1.byteCount }
        guard outputBytes <= max(smallOutputBytes, inputBytes) else { return nil }

        let storages = outputTypes.map { TensorStorage(zeroedByteCount: $0.byteCount) }
        let kernelInputs = zip(inputs, types).map { tensor, type in
            KernelInput(type: type, data: tensor.storage.baseAddress ?? foldingScratchAddress)
        }
        let kernelOutputs = zip(outputTypes, storages).map { type, storage in
            KernelOutput(type: type, data: UnsafeMutableRawPointer(mutating: storage.baseAddress!))
        }
        do {
            try withExtendedLifetime(inputs) { () throws(EngineError) in try kernel.run(kernelInputs, kernelOutputs) }
            var tensors: [Tensor] = []
            for (type, storage) in zip(outputTypes, storages) {
                tensors.append(try Tensor(dtype: type.dtype, shape: type.shape, storage: storage))
            }
            return tensors
        } catch {
            return nil
        }
    }
}

/// The address given for empty constant inputs; never read.
nonisolated(unsafe) private let foldingScratchAddress = UnsafeRawPointer(UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64))

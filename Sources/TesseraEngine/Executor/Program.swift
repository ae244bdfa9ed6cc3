/// A graph compiled once per executor: values numbered, nodes turned into kernels in run
/// order, Constant nodes folded into constants, and each value's last reader known so the
/// memory planner can reuse its buffer afterwards.
struct Program: Sendable {
    /// Where a value comes from.
    enum Source: Sendable {
        case input(Int)
        case constant(Tensor)
        /// A constant whose every reader copied it at construction (a packed weight): only
        /// its type is kept, so the original can be freed.
        case released(ValueType)
        case computed
    }

    struct Step: Sendable {
        let name: String
        let opType: String
        let kernel: any Kernel
        let inputs: [Int]
        let outputs: [Int]
    }

    let graphInputs: [ValueInfo]
    let graphOutputs: [ValueInfo]
    /// Per value id.
    let names: [String]
    let sources: [Source]
    /// The last step that reads each value (the producing step when nothing reads it, -1 for
    /// values no step produces).
    let lastUse: [Int]
    /// Whether each value is a graph output: those get fresh storage per run, never the arena.
    let isGraphOutput: [Bool]
    /// The graph outputs' value ids, in graph order.
    let outputIDs: [Int]
    let steps: [Step]
    /// Graph inputs (by index; INT64/INT32 only) whose contents some step needs when the plan
    /// is made, directly or through shape arithmetic: a Reshape target or Slice bounds given
    /// as inputs. Plans are made per their contents; most models have none.
    let planTimeInputs: [Int]

    init(graph: Graph, custom: [String: CustomOperator] = [:]) throws(EngineError) {
        let order = try graph.validatedOrder()
        try Program.checkSupported(graph.nodes, custom: custom)

        var ids: [String: Int] = [:]
        var names: [String] = []
        var sources: [Source] = []
        func add(_ name: String, _ source: Source) -> Int {
            ids[name] = names.count
            names.append(name)
            sources.append(source)
            return names.count - 1
        }
        for (index, input) in graph.inputs.enumerated() { _ = add(input.name, .input(index)) }
        var constants: [String: Tensor] = [:]
        for initializer in graph.initializers {
            _ = add(initializer.name, .constant(initializer.tensor))
            constants[initializer.name] = initializer.tensor
        }

        var steps: [Step] = []
        for index in order {
            let node = graph.nodes[index]
            let context = KernelContext(node: node, constants: constants)
            let kernel: any Kernel
            do {
                if let factory = Operators.factory(node.opType) {
                    kernel = try factory(context)
                } else {
                    kernel = try CustomOperatorKernel(context, custom[node.opType]!)
                }
            } catch {
                throw EngineError(error.code, "node '\(node.name)' (\(node.opType)): \(error.message)")
            }
            if let constant = kernel as? any ConstantKernel {
                _ = add(node.outputs[0], .constant(constant.value))
                constants[node.outputs[0]] = constant.value
                continue
            }
            // validatedOrder guarantees every input name has a producer scheduled earlier.
            let inputs = node.inputs.prefix(context.presentInputCount).map { ids[$0]! }
            let outputs = node.outputs.map { add($0, .computed) }
            steps.append(Step(name: node.name, opType: node.opType, kernel: kernel, inputs: inputs, outputs: outputs))
        }

        var lastUse = [Int](repeating: -1, count: names.count)
        for (position, step) in steps.enumerated() {
            for id in step.outputs { lastUse[id] = position }
            for id in step.inputs { lastUse[id] = position }
        }
        let outputIDs = graph.outputs.map { ids[$0.name]! }
        var isGraphOutput = [Bool](repeating: false, count: names.count)
        for id in outputIDs { isGraphOutput[id] = true }
        Self.releaseCopiedConstants(&sources, steps: steps, isGraphOutput: isGraphOutput)

        self.graphInputs = graph.inputs
        self.graphOutputs = graph.outputs
        self.names = names
        self.sources = sources
        self.lastUse = lastUse
        self.isGraphOutput = isGraphOutput
        self.outputIDs = outputIDs
        self.steps = steps
        planTimeInputs = Self.planTimeInputs(steps: steps, sources: sources, inputs: graph.inputs)
    }

    /// The graph inputs whose contents reach a step's `planTimeInputs`, following steps
    /// backwards (in reverse run order, so one pass suffices); steps that read only their
    /// inputs' types (Shape) end the trail.
    private static func planTimeInputs(steps: [Step], sources: [Source], inputs: [ValueInfo]) -> [Int] {
        var needed = [Bool](repeating: false, count: sources.count)
        for step in steps {
            for slot in step.kernel.planTimeInputs where slot < step.inputs.count { needed[step.inputs[slot]] = true }
        }
        for step in steps.reversed() where step.kernel.readsInputData && step.outputs.contains(where: { needed[$0] }) {
            for id in step.inputs { needed[id] = true }
        }
        return sources.indices.compactMap { id in
            guard needed[id], case .input(let index) = sources[id], [.int64, .int32].contains(inputs[index].dtype) else { return nil }
            return index
        }.sorted()
    }

    /// Drops the tensors of constants that no step reads at run time because every reader
    /// copied them at construction (`Kernel.copiedInputs`): a model's weights are otherwise
    /// held twice, as loaded and as packed.
    private static func releaseCopiedConstants(_ sources: inout [Source], steps: [Step], isGraphOutput: [Bool]) {
        var copiedByAll = [Bool](repeating: true, count: sources.count)
        var read = [Bool](repeating: false, count: sources.count)
        for step in steps {
            let copied = step.kernel.copiedInputs
            for (slot, id) in step.inputs.enumerated() {
                read[id] = true
                if !copied.contains(slot) { copiedByAll[id] = false }
            }
        }
        for id in sources.indices where read[id] && copiedByAll[id] && !isGraphOutput[id] {
            if case .constant(let tensor) = sources[id] {
                sources[id] = .released(ValueType(dtype: tensor.dtype, shape: tensor.shape))
            }
        }
    }

    /// Refuses the graph if any node's op is unknown, naming the first such node.
    static func checkSupported(_ nodes: [Node], custom: [String: CustomOperator]) throws(EngineError) {
        let known = { (op: String) in Operators.factory(op) != nil || custom[op] != nil }
        guard let node = nodes.first(where: { !known($0.opType) }) else { return }
        let others = Set(nodes.map(\.opType)).filter { !known($0) && $0 != node.opType }.sorted()
        let also = others.isEmpty ? "" : " (the graph also uses unsupported \(others.map { "'\($0)'" }.joined(separator: ", ")))"
        throw EngineError(.unsupportedOperator,
            "node '\(node.name)' uses op '\(node.opType)', which the executor does not support\(also); supported ops: \(Operators.supported.joined(separator: ", "))"
                + (custom.isEmpty ? "" : "; ops from plugins: \(custom.keys.sorted().joined(separator: ", "))"))
    }
}

extension ErrorCode where Domain == EngineError {
    /// The graph uses an op the executor cannot run.
    public static let unsupportedOperator = Self(name: "unsupported-operator")
}

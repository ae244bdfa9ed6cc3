/// An op type the engine does not have, provided from outside (a plugin's kernel): the
/// executor runs it as a shape-preserving op whose output 0 has input 0's element type and
/// shape, and starts as a copy of input 0 (so kernels that work in place need only one buffer).
public struct CustomOperator: Sendable {
    /// Runs one node: `output` holds a copy of input 0, `inputs` are every input's data,
    /// `elementCount` is the number of elements of output 0.
    public typealias Run = @Sendable (_ output: UnsafeMutableRawPointer, _ inputs: [UnsafeRawPointer], _ elementCount: Int) throws -> Void

    /// Who provides it, for messages (e.g. the plugin's name).
    public let provider: String
    /// Called once per node when the executor is built (check the node's attributes there and
    /// bind them); the returned function runs the node.
    public let prepare: @Sendable (Node) throws -> Run

    public init(provider: String, prepare: @escaping @Sendable (Node) throws -> Run) {
        self.provider = provider
        self.prepare = prepare
    }
}

/// The kernel for a node of a custom op type.
struct CustomOperatorKernel: Kernel {
    let run: CustomOperator.Run
    let provider: String

    init(_ context: KernelContext, _ custom: CustomOperator) throws(EngineError) {
        guard context.presentInputCount >= 1, context.node.outputs.count == 1 else {
            throw EngineError(.invalidGraph, "a custom op takes at least one input and has one output")
        }
        provider = custom.provider
        do {
            run = try custom.prepare(context.node)
        } catch {
            throw EngineError(.invalidGraph, "\(custom.provider): \(error)")
        }
    }

    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] {
        [inputs[0]]
    }

    var readsInputData: Bool { true }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let output = outputs[0]
        output.data.copyMemory(from: inputs[0].data, byteCount: output.type.byteCount)
        do {
            try run(output.data, inputs.map(\.data), output.type.elementCount)
        } catch {
            throw EngineError(.invalidTensor, "\(provider)'s kernel failed: \(error)")
        }
    }
}

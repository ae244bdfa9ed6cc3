/// Runs a graph on the CPU.
///
/// Construction does the once-per-model work: validates the graph, checks that every op is
/// supported, rewrites a copy of it with `GraphOptimizer` (constant folding, GELU,
/// MatMul+bias+activation, masked-softmax and attention fusion, dead-code elimination) and packs constant
/// MatMul/Gemm weights into the GEMM kernels' layout (copying: initializer memory is never
/// written). Each `run` then checks
/// its inputs against the graph's, looks up (or builds and caches) the plan for those input
/// shapes — every value's shape and its place in a scratch arena, with buffers shared between
/// values whose lifetimes do not overlap — and runs the nodes in order on the calling thread.
/// Large MatMul/Gemm nodes also use the kernels' process-wide worker pool (`tsk_parallel_for`;
/// its size is `TESSERA_NUM_THREADS`, default the CPU count). One multiply at a time has the
/// pool; one that finds it busy (another run's) runs on its own thread, so concurrent runs
/// never wait for each other. The bits do not depend on the thread count.
///
/// Thread safety: `run` may be called from any number of threads at once. The executor's
/// own state is immutable except for the plan cache and the arena pool, both behind locks;
/// each run has an arena of its own. Runs are deterministic: the same inputs give the same
/// bits, however many runs are in flight.
///
/// Supported ops (ONNX semantics, opset 13+, FP32 unless noted): see `supportedOperators`;
/// deviations are documented on each op's kernel.
public final class Executor: Sendable {
    /// The graph's inputs, in order; dimensions of -1 accept any size.
    public let inputs: [ValueInfo]
    /// The graph's outputs, in order.
    public let outputs: [ValueInfo]
    /// The most bytes (arena plus outputs) one run may use; a larger run fails with
    /// `.invalidTensor` instead of exhausting memory.
    public let memoryLimit: Int

    /// What the graph passes did to this executor's copy of the graph.
    public let optimization: GraphOptimizer.Report

    let program: Program
    let plans: PlanCache
    let arenas: ArenaPool

    /// The op types the executor can run, sorted.
    public static var supportedOperators: [String] { Operators.supported }

    /// Compiles `graph`. Fails with `.invalidGraph` for a malformed graph (see
    /// `Graph.validatedOrder()`) or a node whose attributes or constant inputs are invalid,
    /// and with `.unsupportedOperator` naming the first node whose op is not supported.
    ///
    /// - Parameters:
    ///   - memoryLimit: the most bytes one run may allocate (default 16 GiB).
    ///   - concurrency: how many idle arenas to keep for concurrent runs (default 8).
    ///   - customOperators: op types the engine does not have, by name (plugins' kernels).
    ///   - optimize: whether to apply the graph passes (default true; false runs the graph
    ///     node for node, for comparing against the passes).
    public init(graph: Graph, memoryLimit: Int = 16 << 30, concurrency: Int = 8,
                customOperators: [String: CustomOperator] = [:], optimize: Bool = true) throws(EngineError) {
        if optimize {
            // Errors are reported against the graph as given, before any rewrite.
            _ = try graph.validatedOrder()
            try Program.checkSupported(graph.nodes, custom: customOperators)
            let (optimized, report) = try GraphOptimizer.optimize(graph)
            program = try Program(graph: optimized, custom: customOperators)
            optimization = report
        } else {
            program = try Program(graph: graph, custom: customOperators)
            optimization = GraphOptimizer.Report()
        }
        inputs = graph.inputs
        outputs = graph.outputs
        self.memoryLimit = memoryLimit
        plans = PlanCache(capacity: 32)
        arenas = ArenaPool(limit: max(concurrency, 1))
    }

    /// Runs the graph on `inputs` (one tensor per graph input, by name) and returns every
    /// graph output, by name, in storage of its own that no later run touches.
    ///
    /// Fails with `.invalidTensor` when an input is missing or unknown, has the wrong element
    /// type or a shape the graph's input does not accept, or the shapes do not fit some node
    /// (the message names the node).
    public func run(_ inputs: [String: Tensor]) throws(EngineError) -> [String: Tensor] {
        let given = try checkedInputs(inputs)
        let shapes = given.map(\.shape)
        // Inputs the plan reads (a Reshape target given as an input): their contents are part
        // of the plan's key. Large ones are left out, and the plan then says it needs them.
        var key = shapes
        var planValues: [Int: Tensor] = [:]
        for index in program.planTimeInputs where given[index].elementCount <= 4096 {
            planValues[index] = given[index]
            key.append(given[index].intValues ?? [])
        }
        let plan = try plans.plan(for: key) { () throws(EngineError) in
            try program.makePlan(inputShapes: shapes, inputValues: planValues, memoryLimit: memoryLimit)
        }
        let arena = arenas.take(bytes: plan.arenaBytes)
        defer { arenas.give(back: arena) }

        // Graph outputs are written straight into fresh storage; everything else computed
        // lives in the arena.
        // Per value id (an array: every value is looked up below).
        var fresh = [TensorStorage?](repeating: nil, count: program.names.count)
        for id in program.outputIDs where fresh[id] == nil {
            fresh[id] = TensorStorage(zeroedByteCount: plan.types[id].byteCount)
        }
        let addresses = program.sources.indices.map { id -> UnsafeRawPointer in
            switch program.sources[id] {
            case .input(let index): given[index].storage.baseAddress ?? emptyAddress
            case .constant(let tensor): tensor.storage.baseAddress ?? emptyAddress
            // Never read: the kernels that read it hold their own copy.
            case .released: emptyAddress
            case .computed:
                if let storage = fresh[id] {
                    storage.baseAddress ?? emptyAddress
                } else if let value = plan.precomputed[id] {
                    value.storage.baseAddress ?? emptyAddress
                } else {
                    UnsafeRawPointer(arena.base + plan.offsets[id])
                }
            }
        }
        // Graph outputs the plan computed are copied into their fresh storage.
        // An output listed twice is copied twice: harmless, and no set to build per run.
        for id in program.outputIDs {
            guard let storage = fresh[id], let value = plan.precomputed[id], value.storage.byteCount > 0 else { continue }
            UnsafeMutableRawPointer(mutating: storage.baseAddress!).copyMemory(from: value.storage.baseAddress!, byteCount: value.storage.byteCount)
        }

        // The addresses point into the inputs' storage: keep it alive until the last node ran.
        defer { withExtendedLifetime(given) {} }
        for (position, step) in program.steps.enumerated() where !plan.skips[position] {
            let kernelInputs = step.inputs.map { KernelInput(type: plan.types[$0], data: addresses[$0]) }
            // Outputs are arena or fresh storage this run owns, never inputs or constants.
            let kernelOutputs = step.outputs.map {
                KernelOutput(type: plan.types[$0], data: UnsafeMutableRawPointer(mutating: addresses[$0]))
            }
            do {
                try step.kernel.run(kernelInputs, kernelOutputs)
            } catch {
                throw EngineError(error.code, "node '\(step.name)' (\(step.opType)): \(error.message)")
            }
        }

        var results: [String: Tensor] = [:]
        for (info, id) in zip(program.graphOutputs, program.outputIDs) {
            let type = plan.types[id]
            let storage = fresh[id]!
            if case .computed = program.sources[id] {} else if type.byteCount > 0 {
                // An input or constant passed straight through: copy, so callers never share
                // (or could free) the executor's or the request's memory.
                UnsafeMutableRawPointer(mutating: storage.baseAddress!).copyMemory(from: addresses[id], byteCount: type.byteCount)
            }
            results[info.name] = try Tensor(dtype: type.dtype, shape: type.shape, storage: storage)
        }
        return results
    }

    /// Checks `inputs` as `run` would — names, element types, shapes against the graph's
    /// inputs — without running anything, so a server can refuse a request before queueing it.
    public func validate(_ inputs: [String: Tensor]) throws(EngineError) {
        _ = try checkedInputs(inputs)
    }

    /// The inputs in graph order, after checking names, element types and shapes.
    private func checkedInputs(_ given: [String: Tensor]) throws(EngineError) -> [Tensor] {
        let expected = program.graphInputs
        // Built only for an error message: this check runs on every request.
        var listing: String { expected.map { "'\($0.name)' (\($0.dtype) \($0.shape))" }.joined(separator: ", ") }
        if let unknown = given.keys.sorted().first(where: { name in !expected.contains { $0.name == name } }) {
            throw EngineError(.invalidTensor, "unknown input '\(unknown)'; the graph's inputs are \(listing)")
        }
        var ordered: [Tensor] = []
        for info in expected {
            guard let tensor = given[info.name] else {
                throw EngineError(.invalidTensor, "missing input '\(info.name)' (\(info.dtype) \(info.shape)); the graph's inputs are \(listing)")
            }
            guard tensor.dtype == info.dtype else {
                throw EngineError(.invalidTensor, "input '\(info.name)' must be \(info.dtype) but is \(tensor.dtype)")
            }
            let fits = tensor.shape.count == info.shape.count
                && zip(tensor.shape, info.shape).allSatisfy { given, declared in declared < 0 || given == declared }
            guard fits else {
                throw EngineError(.invalidTensor, "input '\(info.name)' must have shape \(info.shape) (-1: any size) but has \(tensor.shape)")
            }
            guard tensor.storage.baseAddress != nil || tensor.storage.byteCount == 0 else {
                throw EngineError(.invalidTensor, "input '\(info.name)' has \(tensor.storage.byteCount) bytes of storage but no address")
            }
            ordered.append(tensor)
        }
        return ordered
    }

    /// Arenas allocated so far; steady-state runs of already-seen shapes add none.
    var arenaAllocationCount: Int { arenas.allocations }

    /// Input-shape signatures with a cached plan.
    public var cachedPlanCount: Int { plans.count }
}

/// A valid address for empty tensors (borrowed storage may have none); never read or written.
nonisolated(unsafe) private let emptyAddress = UnsafeRawPointer(UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64))

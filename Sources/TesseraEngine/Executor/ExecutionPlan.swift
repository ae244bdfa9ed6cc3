import Synchronization

/// Everything a run needs that depends only on the input shapes: every value's type and
/// where in the arena each intermediate lives. Built once per input-shape signature.
final class ExecutionPlan: Sendable {
    /// Per value id.
    let types: [ValueType]
    /// Byte offset in the arena per value id; -1 for values that live elsewhere (inputs,
    /// constants, graph outputs).
    let offsets: [Int]
    /// The arena size this plan needs.
    let arenaBytes: Int
    /// Bytes of fresh output storage each run allocates.
    let outputBytes: Int
    /// Per value id: the value when the plan already computed it (shape arithmetic); runs
    /// read it from here. An array, not a dictionary: runs look every value up.
    let precomputed: [Tensor?]
    /// Per step: whether runs skip it, because all its outputs are precomputed or its one
    /// output shares its input's memory (a relabeling step).
    let skips: [Bool]

    init(types: [ValueType], offsets: [Int], arenaBytes: Int, outputBytes: Int,
         precomputed: [Tensor?], skips: [Bool]) {
        self.types = types
        self.offsets = offsets
        self.arenaBytes = arenaBytes
        self.outputBytes = outputBytes
        self.precomputed = precomputed
        self.skips = skips
    }
}

extension Program {
    /// Infers every value's type for these input shapes and assigns arena offsets.
    /// Shape errors name the node and the input shapes, since the same graph may accept
    /// other shapes.
    ///
    /// Shape values are constant-propagated per input-shape signature: constants' contents
    /// are known, and each step whose outputs are small INT64/INT32/BOOL tensors and whose inputs'
    /// contents are all known (Shape needs only its input's type) is run here on scratch
    /// storage (`evaluateShapeValues`). Kernels see the known contents through
    /// `outputTypes(_:values:)`, so Reshape, Expand, ConstantOfShape, Range, Slice, Unsqueeze,
    /// Squeeze and ReduceSum can take shapes and axes computed in the graph. The plan keeps
    /// those values: they depend only on the input shapes it is made for, so runs skip the
    /// steps that computed them (a BERT export has hundreds of such steps).
    func makePlan(inputShapes: [[Int]], inputValues: [Int: Tensor] = [:], memoryLimit: Int) throws(EngineError) -> ExecutionPlan {
        var known = [ValueType?](repeating: nil, count: names.count)
        // Contents known at plan time: constants, and shape values evaluated below.
        var values = [Tensor?](repeating: nil, count: names.count)
        for (id, source) in sources.enumerated() {
            switch source {
            case .input(let index):
                known[id] = ValueType(dtype: graphInputs[index].dtype, shape: inputShapes[index])
                values[id] = inputValues[index]
            case .constant(let tensor):
                known[id] = ValueType(dtype: tensor.dtype, shape: tensor.shape)
                values[id] = tensor
            case .released(let type): known[id] = type
            case .computed: break
            }
        }
        var precomputed = [Tensor?](repeating: nil, count: names.count)
        var skips = [Bool](repeating: false, count: steps.count)
        for (position, step) in steps.enumerated() {
            let inputs = step.inputs.map { known[$0]! }
            let outputs: [ValueType]
            do {
                outputs = try step.kernel.outputTypes(inputs, values: step.inputs.map { values[$0] })
                if let folded = try Self.evaluateShapeValues(step, inputs: inputs, outputs: outputs, values: values) {
                    for (id, tensor) in zip(step.outputs, folded) {
                        values[id] = tensor
                        precomputed[id] = tensor
                    }
                    skips[position] = true
                }
            } catch {
                let given = zip(graphInputs, inputShapes).map { "'\($0.name)' \($1)" }.joined(separator: ", ")
                throw EngineError(.invalidTensor, "node '\(step.name)' (\(step.opType)): \(error.message) (with input shapes \(given))")
            }
            precondition(outputs.count == step.outputs.count, "\(step.opType) kernel returned \(outputs.count) output types")
            for (id, type) in zip(step.outputs, outputs) {
                // Checked here so that no later size sum can overflow.
                let bytes = Tensor.elementCount(of: type.shape)?.multipliedReportingOverflow(by: type.dtype.byteSize)
                guard let bytes, !bytes.overflow, bytes.partialValue <= memoryLimit else {
                    throw EngineError(.invalidTensor, "node '\(step.name)' (\(step.opType)) would produce \(type), over the executor's memory limit of \(memoryLimit) bytes")
                }
                known[id] = type
            }
        }
        let types = known.map { $0! }
        for (id, info) in zip(outputIDs, graphOutputs) where types[id].dtype != info.dtype {
            throw EngineError(.invalidGraph, "graph output '\(info.name)' is declared \(info.dtype) but computes \(types[id].dtype)")
        }

        let (offsets, arenaBytes) = assignOffsets(types, precomputed: precomputed, skips: &skips)
        let outputBytes = Set(outputIDs).reduce(0) { $0 + types[$1].byteCount }
        guard arenaBytes + outputBytes <= memoryLimit else {
            throw EngineError(.invalidTensor, "a run with input shapes \(inputShapes) needs \(arenaBytes + outputBytes) bytes, over the executor's memory limit of \(memoryLimit) bytes")
        }
        return ExecutionPlan(types: types, offsets: offsets, arenaBytes: arenaBytes, outputBytes: outputBytes,
                             precomputed: precomputed, skips: skips)
    }

    /// Shape values: a step whose outputs are all small INT64/INT32 tensors and whose inputs'
    /// contents are all known (constants or earlier shape values; Shape needs only its
    /// input's type) is run now, on scratch storage, so that later kernels can size their
    /// outputs from the result (Shape → Gather → Unsqueeze → Concat → Reshape). The plan
    /// keeps nothing else of it: at run time the step runs again and writes the same values.
    /// Returns nil when the step cannot be evaluated now.
    private static func evaluateShapeValues(_ step: Step, inputs: [ValueType], outputs: [ValueType],
                                            values: [Tensor?]) throws(EngineError) -> [Tensor]? {
        let limit = 4096
        // BOOL too: exporters compute shapes with Equal + Where (e.g. a -1 in a target shape
        // replaced by the matching dimension before an Expand).
        let shapeTypes: Set<DType> = [.int64, .int32, .bool]
        guard outputs.allSatisfy({ shapeTypes.contains($0.dtype) && $0.elementCount <= limit }) else { return nil }
        let reads = step.kernel.readsInputData
        var held: [Tensor] = []
        for id in step.inputs {
            if let value = values[id] {
                held.append(value)
            } else if reads {
                return nil
            }
        }
        let kernelInputs = step.inputs.enumerated().map { index, id in
            KernelInput(type: inputs[index], data: values[id]?.storage.baseAddress ?? shapeScratchAddress)
        }
        let storages = outputs.map { TensorStorage(zeroedByteCount: $0.byteCount) }
        let kernelOutputs = zip(outputs, storages).map { type, storage in
            KernelOutput(type: type, data: UnsafeMutableRawPointer(mutating: storage.baseAddress!))
        }
        try withExtendedLifetime(held) { () throws(EngineError) in
            try step.kernel.run(kernelInputs, kernelOutputs)
        }
        var tensors: [Tensor] = []
        for (type, storage) in zip(outputs, storages) {
            tensors.append(try Tensor(dtype: type.dtype, shape: type.shape, storage: storage))
        }
        return tensors
    }

    /// Greedy buffer sharing in run order: each intermediate takes a slot whose previous
    /// occupant's last reader has already run (best fit; else the largest free slot, grown;
    /// else a new slot). A value's slot is released only after its last reader's step, so a
    /// node's output never shares memory with its own inputs, with one exception: the output
    /// of a step that only relabels its input (`Kernel.relabelsInput`) shares the input's slot
    /// (kept until both are dead) and the step is marked skipped. Values are never written after
    /// they are computed, so two names for the same bytes are safe.
    private func assignOffsets(_ types: [ValueType], precomputed: [Tensor?], skips: inout [Bool]) -> (offsets: [Int], total: Int) {
        struct Slot {
            var size: Int
            var busyThrough: Int
        }
        var slots: [Slot] = []
        var slotOf = [Int](repeating: -1, count: types.count)
        for (position, step) in steps.enumerated() {
            if step.kernel.relabelsInput, !skips[position], step.outputs.count == 1, let input = step.inputs.first,
               !isGraphOutput[step.outputs[0]], slotOf[input] >= 0, precomputed[input] == nil {
                let output = step.outputs[0], slot = slotOf[input]
                slotOf[output] = slot
                slots[slot].busyThrough = max(slots[slot].busyThrough, lastUse[output])
                skips[position] = true
                continue
            }
            for id in step.outputs where !isGraphOutput[id] {
                // 64-byte alignment for the vector kernels (and separate cache lines).
                let size = (types[id].byteCount + 63) & ~63
                let free = slots.indices.filter { slots[$0].busyThrough < position }
                let chosen = free.filter { slots[$0].size >= size }.min { slots[$0].size < slots[$1].size }
                    ?? free.max { slots[$0].size < slots[$1].size }
                if let chosen {
                    slots[chosen].size = max(slots[chosen].size, size)
                    slots[chosen].busyThrough = lastUse[id]
                    slotOf[id] = chosen
                } else {
                    slots.append(Slot(size: size, busyThrough: lastUse[id]))
                    slotOf[id] = slots.count - 1
                }
            }
        }
        var slotOffsets: [Int] = []
        var total = 0
        for slot in slots {
            slotOffsets.append(total)
            total += slot.size
        }
        return (slotOf.map { $0 < 0 ? -1 : slotOffsets[$0] }, total)
    }
}

/// The address given for inputs a shape-value step does not read (Shape's); never accessed.
nonisolated(unsafe) private let shapeScratchAddress = UnsafeRawPointer(UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64))

/// Plans by input-shape signature, shared by concurrent runs. Bounded: a server fed many
/// distinct shapes (dynamic sequence lengths) keeps only the most recent ones.
final class PlanCache: Sendable {
    private struct State {
        var plans: [[[Int]]: ExecutionPlan] = [:]
        var order: [[[Int]]] = []
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The cached plan for `shapes`, or one made by `make` (outside the lock, so a slow plan
    /// never blocks runs of other shapes) and cached.
    func plan(for shapes: [[Int]], make: () throws(EngineError) -> ExecutionPlan) throws(EngineError) -> ExecutionPlan {
        if let plan = state.withLock({ $0.plans[shapes] }) { return plan }
        let plan = try make()
        return state.withLock { state in
            // Another run may have planned the same shapes meanwhile; keep the first.
            if let existing = state.plans[shapes] { return existing }
            if state.order.count >= capacity {
                state.plans[state.order.removeFirst()] = nil
            }
            state.plans[shapes] = plan
            state.order.append(shapes)
            return plan
        }
    }

    var count: Int { state.withLock { $0.plans.count } }

    /// The cached plan for `shapes`, if any (for tests).
    func cached(for shapes: [[Int]]) -> ExecutionPlan? { state.withLock { $0.plans[shapes] } }
}

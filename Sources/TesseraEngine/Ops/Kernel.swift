/// The element type and shape of one value for one input-shape signature.
struct ValueType: Hashable, Sendable, CustomStringConvertible {
    var dtype: DType
    var shape: [Int]

    var elementCount: Int { shape.reduce(1, *) }
    var byteCount: Int { elementCount * dtype.byteSize }
    var description: String { "\(dtype) \(shape)" }
}

/// A value a kernel reads. `data` is never null, even for an empty tensor.
struct KernelInput {
    let type: ValueType
    let data: UnsafeRawPointer

    var shape: [Int] { type.shape }
    var floats: UnsafePointer<Float> { data.assumingMemoryBound(to: Float.self) }
    var int64s: UnsafePointer<Int64> { data.assumingMemoryBound(to: Int64.self) }
}

/// Memory a kernel fills. It never overlaps any input of the same node, and holds garbage
/// on entry: a kernel writes every element.
struct KernelOutput {
    let type: ValueType
    let data: UnsafeMutableRawPointer

    var shape: [Int] { type.shape }
    var floats: UnsafeMutablePointer<Float> { data.assumingMemoryBound(to: Float.self) }
    var int64s: UnsafeMutablePointer<Int64> { data.assumingMemoryBound(to: Int64.self) }
}

/// One node compiled for execution. Built once per executor from the node and any constant
/// inputs; immutable afterwards, so one kernel serves concurrent runs.
///
/// Errors carry no node name: the executor adds it.
protocol Kernel: Sendable {
    /// The outputs' types for these inputs' types; called once per input-shape signature.
    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType]
    /// The outputs' types when some inputs' contents are known at plan time: `values[i]` is
    /// input i's tensor when it is a constant or a shape value the plan evaluated (see
    /// `Program.makePlan`), else nil. Kernels whose output shape depends on an input's
    /// contents (Reshape's shape, Slice's starts, …) implement this one; by default it
    /// ignores the values.
    func outputTypes(_ inputs: [ValueType], values: [Tensor?]) throws(EngineError) -> [ValueType]
    /// Whether `run` reads its inputs' elements. Shape reads only their types, so its output
    /// is known at plan time even when its input is not.
    var readsInputData: Bool { get }
    /// Inputs (by position) whose contents decide the outputs' shapes (Reshape's shape,
    /// Slice's starts, …): `outputTypes(_:values:)` needs them when the plan is made. A graph
    /// input that reaches one of these is read when planning, and plans are kept per its
    /// contents as well as per input shapes.
    var planTimeInputs: Set<Int> { get }
    /// Inputs (by position) whose constant contents the kernel copied at construction and
    /// never reads at run time, such as a packed weight; the executor then need not keep them.
    var copiedInputs: Set<Int> { get }
    /// Whether the single output is input 0's bytes unchanged under a new shape (Reshape,
    /// Squeeze, …). The planner then gives it input 0's memory and skips the run, when input 0
    /// is an intermediate; `run` still copies for the cases it cannot (graph inputs and outputs).
    var relabelsInput: Bool { get }
    /// Computes the outputs; `inputs` and `outputs` have the types `outputTypes` agreed to.
    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError)
}

extension Kernel {
    func outputTypes(_ inputs: [ValueType], values: [Tensor?]) throws(EngineError) -> [ValueType] {
        try outputTypes(inputs)
    }

    /// Kernels that implement only `outputTypes(_:values:)` get this one, which the planner
    /// never calls for them.
    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] {
        try outputTypes(inputs, values: inputs.map { _ in nil })
    }

    var readsInputData: Bool { true }

    var copiedInputs: Set<Int> { [] }

    var planTimeInputs: Set<Int> { [] }

    var relabelsInput: Bool { false }
}

/// A kernel whose output never changes: the executor evaluates it once, at construction,
/// and treats the result like an initializer (so a Reshape can read its shape from it).
protocol ConstantKernel: Kernel {
    var value: Tensor { get }
}

/// What a kernel factory sees: the node and the constant tensors it might read.
struct KernelContext {
    let node: Node
    /// Initializers and folded Constant outputs, by value name.
    let constants: [String: Tensor]

    /// The constant feeding input `index`, or nil when the input is computed at run time.
    func constantInput(_ index: Int) -> Tensor? {
        index < node.inputs.count ? constants[node.inputs[index]] : nil
    }

    /// Checks the number of inputs (trailing empty names count as absent optional inputs)
    /// and that the node has exactly one output.
    func expectArity(inputs range: ClosedRange<Int>) throws(EngineError) {
        let given = presentInputCount
        guard range.contains(given) else {
            let expected = range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
            throw EngineError(.invalidGraph, "takes \(expected) input\(range.upperBound == 1 ? "" : "s") but has \(given)")
        }
        if node.inputs.prefix(given).contains("") {
            throw EngineError(.invalidGraph, "an input other than the last is empty; only trailing optional inputs may be left out")
        }
        guard node.outputs.count == 1, !node.outputs[0].isEmpty else {
            throw EngineError(.invalidGraph, "must have exactly one output, not \(node.outputs.count)")
        }
    }

    /// The number of inputs once trailing empty (left out) ones are dropped.
    var presentInputCount: Int {
        var count = node.inputs.count
        while count > 0, node.inputs[count - 1].isEmpty { count -= 1 }
        return count
    }

    func attribute(_ name: String) -> Attribute.Value? {
        node.attributes.last { $0.name == name }?.value
    }

    func int(_ name: String, default fallback: Int) throws(EngineError) -> Int {
        switch attribute(name) {
        case nil: return fallback
        case .int(let value)?: return Int(value)
        case let other?: throw attributeError(name, "an int", other)
        }
    }

    func float(_ name: String, default fallback: Float) throws(EngineError) -> Float {
        switch attribute(name) {
        case nil: return fallback
        case .float(let value)?: return Float(value)
        // Some exporters write whole-number floats as ints.
        case .int(let value)?: return Float(value)
        case let other?: throw attributeError(name, "a float", other)
        }
    }

    func string(_ name: String, default fallback: String) throws(EngineError) -> String {
        switch attribute(name) {
        case nil: return fallback
        case .string(let value)?: return value
        case let other?: throw attributeError(name, "a string", other)
        }
    }

    func ints(_ name: String) throws(EngineError) -> [Int]? {
        switch attribute(name) {
        case nil: return nil
        case .ints(let values)?: return values.map { Int($0) }
        case let other?: throw attributeError(name, "a list of ints", other)
        }
    }

    private func attributeError(_ name: String, _ expected: String, _ value: Attribute.Value) -> EngineError {
        EngineError(.invalidGraph, "attribute '\(name)' must be \(expected), not \(value)")
    }
}

/// Shape arithmetic the ops share.
enum Shapes {
    /// The NumPy broadcast of two shapes, or nil when some pair of dimensions differs and
    /// neither is 1.
    static func broadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for axis in 0..<rank {
            let x = axis - (rank - a.count) >= 0 ? a[axis - (rank - a.count)] : 1
            let y = axis - (rank - b.count) >= 0 ? b[axis - (rank - b.count)] : 1
            guard x == y || x == 1 || y == 1 else { return nil }
            result[axis] = x == 1 ? y : x
        }
        return result
    }

    /// `axis` made non-negative for a tensor of `rank` dimensions; `allowEnd` admits `rank`
    /// itself (Flatten's axis may point past the last dimension).
    static func normalizedAxis(_ axis: Int, rank: Int, allowEnd: Bool = false) throws(EngineError) -> Int {
        let upper = allowEnd ? rank : rank - 1
        let resolved = axis < 0 ? axis + rank : axis
        guard resolved >= 0, resolved <= upper else {
            throw EngineError(.invalidGraph, "axis \(axis) is out of range for a tensor of rank \(rank) (allowed \(-rank)...\(upper))")
        }
        return resolved
    }

    static func product(_ dims: some Sequence<Int>) -> Int { dims.reduce(1, *) }
}

extension ValueType {
    /// Throws unless the type is one of `allowed`; `role` names the input in the message.
    func expect(_ allowed: [DType], _ role: String) throws(EngineError) {
        guard allowed.contains(dtype) else {
            let names = allowed.map(\.name).joined(separator: " or ")
            throw EngineError(.invalidGraph, "\(role) must be \(names), not \(dtype)")
        }
    }
}

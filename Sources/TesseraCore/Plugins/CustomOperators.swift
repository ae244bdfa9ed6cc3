public import TesseraEngine

/// Plugins' op kernels (registered with `register_op_kernel`) as engine operators.
///
/// How a node's data and attributes bind to the kernel's declared arguments, in order:
/// - each `ptr` takes the next of: output 0 (writable; it starts as a copy of input 0, so an
///   in-place kernel needs only this one), then input 0, input 1, …;
/// - the first integer argument (`i8`…`u64`) is output 0's element count; later ones take the
///   node's `int` attributes in the order the node lists them;
/// - each `f32` / `f64` takes the node's next `float` attribute.
/// Output 0 has input 0's element type and shape. A kernel whose arguments the node cannot
/// fill (too many pointers, missing attributes) is refused when the executor is built, naming
/// the node. E.g. `void my_scale(float *data, int64_t n, float k)` scales a tensor in place by
/// the node's float attribute.
extension PluginHost {
    /// Every loaded plugin's kernels by op type (the first registration of a name wins).
    public var customOperators: [String: CustomOperator] {
        var operators: [String: CustomOperator] = [:]
        for kernel in customKernels where operators[kernel.opType] == nil {
            operators[kernel.opType] = CustomOperator(provider: "plugin '\(kernel.plugin)' (\(kernel.symbol))") { node in
                try Self.bind(kernel, node)
            }
        }
        return operators
    }

    /// One argument of a call, decided when the executor is built.
    private enum Slot: Sendable {
        case output
        case input(Int)
        case count(FFIType)
        case constant(FFIConstant)
    }

    private static func bind(_ kernel: CustomKernel, _ node: Node) throws -> CustomOperator.Run {
        let inputCount = node.inputs.filter { !$0.isEmpty }.count
        var ints = node.attributes.compactMap { attribute -> Int64? in if case .int(let value) = attribute.value { value } else { nil } }[...]
        var floats = node.attributes.compactMap { attribute -> Double? in if case .float(let value) = attribute.value { value } else { nil } }[...]
        var pointers = 0, sawCount = false
        var slots: [Slot] = []
        for (index, type) in kernel.function.signature.argumentTypes.enumerated() {
            let position = "argument \(index + 1) (\(type)) of \(kernel.symbol)"
            switch type {
            case .ptr:
                guard pointers <= inputCount else {
                    throw PluginError(.invalidParameter, "\(position) would be pointer \(pointers + 1), but node '\(node.name)' has only output 0 and \(inputCount) input(s)")
                }
                slots.append(pointers == 0 ? .output : .input(pointers - 1))
                pointers += 1
            case .f32, .f64:
                guard let value = floats.popFirst() else {
                    throw PluginError(.invalidParameter, "\(position) takes a float attribute, but node '\(node.name)' has no more float attributes")
                }
                slots.append(.constant(type == .f32 ? .f32(Float(value)) : .f64(value)))
            case .void:
                throw PluginError(.invalidParameter, "\(position) cannot be void")
            default:
                if !sawCount {
                    sawCount = true
                    slots.append(.count(type))
                } else {
                    guard let value = ints.popFirst() else {
                        throw PluginError(.invalidParameter, "\(position) takes an int attribute, but node '\(node.name)' has no more int attributes")
                    }
                    slots.append(.constant(FFIConstant.integer(value, as: type)))
                }
            }
        }
        let function = kernel.function
        let bound = slots
        return { output, inputs, count in
            let arguments: [FFIArgument] = bound.map { slot in
                switch slot {
                case .output: .pointer(output)
                case .input(let index): .pointer(UnsafeMutableRawPointer(mutating: inputs[index]))
                case .count(let type): FFIConstant.integer(Int64(count), as: type).argument
                case .constant(let constant): constant.argument
                }
            }
            try function.call(arguments)
        }
    }
}

/// A scalar argument fixed when the executor is built (FFIValue itself is not Sendable,
/// since it may hold a pointer).
private enum FFIConstant: Sendable {
    case f32(Float), f64(Double), i8(Int8), u8(UInt8), i16(Int16), u16(UInt16), i32(Int32), u32(UInt32), i64(Int64), u64(UInt64)

    static func integer(_ value: Int64, as type: FFIType) -> FFIConstant {
        switch type {
        case .i8: .i8(Int8(truncatingIfNeeded: value))
        case .u8: .u8(UInt8(truncatingIfNeeded: value))
        case .i16: .i16(Int16(truncatingIfNeeded: value))
        case .u16: .u16(UInt16(truncatingIfNeeded: value))
        case .i32: .i32(Int32(truncatingIfNeeded: value))
        case .u32: .u32(UInt32(truncatingIfNeeded: value))
        case .u64: .u64(UInt64(bitPattern: value))
        default: .i64(value)
        }
    }

    var argument: FFIArgument {
        switch self {
        case .f32(let value): .f32(value)
        case .f64(let value): .f64(value)
        case .i8(let value): .i8(value)
        case .u8(let value): .u8(value)
        case .i16(let value): .i16(value)
        case .u16(let value): .u16(value)
        case .i32(let value): .i32(value)
        case .u32(let value): .u32(value)
        case .i64(let value): .i64(value)
        case .u64(let value): .u64(value)
        }
    }
}

/// The op types built into the engine, which plugins may not register kernels for.
enum EngineOperators {
    static let builtIn = Set(Executor.supportedOperators)
}

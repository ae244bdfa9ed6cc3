import CTesseraKernels

/// Cast, comparisons (Equal, Greater, GreaterOrEqual, Less, LessOrEqual), Where, Not, And,
/// Or and IsNaN. BOOL elements are one byte, 0 or 1.

/// Cast (ONNX opset 13): attribute `to` is an ONNX TensorProto element type (1 FLOAT,
/// 6 INT32, 7 INT64, 9 BOOL, 10 FLOAT16). Inputs FP32, FP16, INT64, INT32 or BOOL.
///
/// Deviation: targets are FP32, INT64, INT32 and BOOL only (FP16 is read, never written).
/// Float to integer truncates toward zero, saturating at the type's range; NaN gives 0.
struct CastKernel: Kernel {
    let target: DType

    /// ONNX TensorProto.DataType values of the supported targets.
    static let onnxTypes: [Int: DType] = [1: .fp32, 6: .int32, 7: .int64, 9: .bool]

    init(_ context: KernelContext) throws(EngineError) {
        try context.expectArity(inputs: 1...1)
        guard context.attribute("to") != nil else { throw EngineError(.invalidGraph, "needs the attribute 'to'") }
        let to = try context.int("to", default: 0)
        guard let target = Self.onnxTypes[to] else {
            throw EngineError(.invalidGraph, "attribute 'to' is ONNX type \(to); supported targets are 1 (FLOAT), 6 (INT32), 7 (INT64) and 9 (BOOL)")
        }
        self.target = target
    }

    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] {
        try inputs[0].expect([.fp32, .fp16, .int64, .int32, .bool], "input")
        return [ValueType(dtype: target, shape: inputs[0].shape)]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let input = inputs[0], out = outputs[0]
        let count = input.type.elementCount
        if input.type.dtype == target {
            out.data.copyMemory(from: input.data, byteCount: out.type.byteCount)
            return
        }
        let x = input.data, y = out.data
        // Integers go through Int64 (exact), floats through Double.
        let isFloat = input.type.dtype == .fp32 || input.type.dtype == .fp16
        for i in 0..<count {
            if isFloat {
                let value: Double = input.type.dtype == .fp32
                    ? Double(x.loadUnaligned(fromByteOffset: i * 4, as: Float.self))
                    : Double(halfToFloat(x.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
                switch target {
                case .fp32: y.storeBytes(of: Float(value), toByteOffset: i * 4, as: Float.self)
                case .int32: y.storeBytes(of: Int32(saturating(value, Double(Int32.min), Double(Int32.max))), toByteOffset: i * 4, as: Int32.self)
                case .int64: y.storeBytes(of: saturatingInt64(value), toByteOffset: i * 8, as: Int64.self)
                default: y.storeBytes(of: value != 0 ? 1 : 0, toByteOffset: i, as: UInt8.self)
                }
            } else {
                let value: Int64 = switch input.type.dtype {
                case .int64: x.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)
                case .int32: Int64(x.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))
                default: x.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0
                }
                switch target {
                case .fp32: y.storeBytes(of: Float(value), toByteOffset: i * 4, as: Float.self)
                case .int32: y.storeBytes(of: Int32(truncatingIfNeeded: value), toByteOffset: i * 4, as: Int32.self)
                case .int64: y.storeBytes(of: value, toByteOffset: i * 8, as: Int64.self)
                default: y.storeBytes(of: value != 0 ? 1 : 0, toByteOffset: i, as: UInt8.self)
                }
            }
        }
    }

    private func saturating(_ value: Double, _ low: Double, _ high: Double) -> Double {
        value.isNaN ? 0 : min(max(value.rounded(.towardZero), low), high)
    }

    private func saturatingInt64(_ value: Double) -> Int64 {
        if value.isNaN { return 0 }
        if value >= 9.223372036854775807e18 { return .max }
        if value <= -9.223372036854775808e18 { return .min }
        return Int64(value.rounded(.towardZero))
    }
}

/// IEEE half (binary16) bits to Float, subnormals, infinities and NaN included.
func halfToFloat(_ bits: UInt16) -> Float {
    let sign: UInt32 = UInt32(bits & 0x8000) << 16
    let exponent = Int((bits >> 10) & 0x1F)
    let mantissa = UInt32(bits & 0x3FF)
    let magnitude: Float
    switch exponent {
    case 0: magnitude = Float(mantissa) * 0x1p-24
    case 31: magnitude = mantissa == 0 ? .infinity : .nan
    default: magnitude = Float(bitPattern: UInt32(exponent - 15 + 127) << 23 | mantissa << 13)
    }
    return Float(bitPattern: magnitude.bitPattern | sign)
}

/// Applies `body(flatOut, offsets)` over the NumPy broadcast of `shapes`.
private func forEachBroadcast(_ shapes: [[Int]], out: [Int], _ body: (Int, [Int]) -> Void) {
    Shapes.forEachOffset(out, strides: shapes.map { Shapes.broadcastStrides($0, to: out) }, body)
}

/// Equal, Greater, GreaterOrEqual, Less and LessOrEqual (ONNX opset 13–16) with NumPy
/// broadcasting: inputs of one type (FP32, INT64, INT32 or BOOL), BOOL output.
struct CompareKernel: Kernel {
    enum Operation: Sendable { case equal, greater, greaterOrEqual, less, lessOrEqual }

    let operation: Operation

    init(_ context: KernelContext, _ operation: Operation) throws(EngineError) {
        try context.expectArity(inputs: 2...2)
        self.operation = operation
    }

    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] {
        let (a, b) = (inputs[0], inputs[1])
        try a.expect([.fp32, .int64, .int32, .bool], "input A")
        guard a.dtype == b.dtype else {
            throw EngineError(.invalidGraph, "inputs must have one element type, but A is \(a.dtype) and B is \(b.dtype)")
        }
        guard let shape = Shapes.broadcast(a.shape, b.shape) else {
            throw EngineError(.invalidGraph, "shapes \(a.shape) and \(b.shape) cannot be broadcast together")
        }
        return [ValueType(dtype: .bool, shape: shape)]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        switch inputs[0].type.dtype {
        case .fp32: compare(Float.self, inputs, outputs[0])
        case .int64: compare(Int64.self, inputs, outputs[0])
        case .int32: compare(Int32.self, inputs, outputs[0])
        default: compare(UInt8.self, inputs, outputs[0])
        }
    }

    private func compare<T: Comparable>(_: T.Type, _ inputs: [KernelInput], _ out: KernelOutput) {
        let a = inputs[0].data.assumingMemoryBound(to: T.self), b = inputs[1].data.assumingMemoryBound(to: T.self)
        let y = out.data.assumingMemoryBound(to: UInt8.self)
        let operation = operation
        forEachBroadcast([inputs[0].shape, inputs[1].shape], out: out.shape) { flat, offsets in
            let (x, z) = (a[offsets[0]], b[offsets[1]])
            let result = switch operation {
            case .equal: x == z
            case .greater: x > z
            case .greaterOrEqual: x >= z
            case .less: x < z
            case .lessOrEqual: x <= z
            }
            y[flat] = result ? 1 : 0
        }
    }
}

/// And, Or and Xor (ONNX opset 7) on BOOL with NumPy broadcasting.
struct LogicalKernel: Kernel {
    enum Operation: Sendable { case and, or, xor }

    let operation: Operation

    init(_ context: KernelContext, _ operation: Operation) throws(EngineError) {
        try context.expectArity(inputs: 2...2)
        self.operation = operation
    }

    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] {
        try inputs[0].expect([.bool], "input A")
        try inputs[1].expect([.bool], "input B")
        guard let shape = Shapes.broadcast(inputs[0].shape, inputs[1].shape) else {
            throw EngineError(.invalidGraph, "shapes \(inputs[0].shape) and \(inputs[1].shape) cannot be broadcast together")
        }
        return [ValueType(dtype: .bool, shape: shape)]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let a = inputs[0].data.assumingMemoryBound(to: UInt8.self), b = inputs[1].data.assumingMemoryBound(to: UInt8.self)
        let y = outputs[0].data.assumingMemoryBound(to: UInt8.self)
        let operation = operation
        forEachBroadcast([inputs[0].shape, inputs[1].shape], out: outputs[0].shape) { flat, offsets in
            let (x, z) = (a[offsets[0]] != 0, b[offsets[1]] != 0)
            let result = switch operation {
            case .and: x && z
            case .or: x || z
            case .xor: x != z
            }
            y[flat] = result ? 1 : 0
        }
    }
}

/// Not (ONNX opset 1) on BOOL, and IsNaN (opset 13) on FP32 giving BOOL.
struct BoolUnaryKernel: Kernel {
    enum Operation: Sendable { case not, isNaN }

    let operation: Operation

    init(_ context: KernelContext, _ operation: Operation) throws(EngineError) {
        try context.expectArity(inputs: 1...1)
        self.operation = operation
    }

    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] {
        try inputs[0].expect(operation == .not ? [.bool] : [.fp32], "input")
        return [ValueType(dtype: .bool, shape: inputs[0].shape)]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let count = inputs[0].type.elementCount
        let y = outputs[0].data.assumingMemoryBound(to: UInt8.self)
        switch operation {
        case .not:
            let x = inputs[0].data.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count { y[i] = x[i] != 0 ? 0 : 1 }
        case .isNaN:
            _ = tsk_isnan_f32(TSK_VARIANT_AUTO, count, inputs[0].floats, y)
        }
    }
}

/// Where (ONNX opset 16): condition ? X : Y elementwise, the three inputs broadcast
/// together NumPy-style. Condition BOOL; X and Y of one (any) element type.
struct WhereKernel: Kernel {
    init(_ context: KernelContext) throws(EngineError) {
        try context.expectArity(inputs: 3...3)
    }

    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] {
        let (condition, x, y) = (inputs[0], inputs[1], inputs[2])
        try condition.expect([.bool], "condition")
        guard x.dtype == y.dtype else {
            throw EngineError(.invalidGraph, "X and Y must have one element type, but X is \(x.dtype) and Y is \(y.dtype)")
        }
        guard let xy = Shapes.broadcast(x.shape, y.shape), let shape = Shapes.broadcast(condition.shape, xy) else {
            throw EngineError(.invalidGraph, "shapes \(condition.shape), \(x.shape) and \(y.shape) cannot be broadcast together")
        }
        return [ValueType(dtype: x.dtype, shape: shape)]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let out = outputs[0]
        let size = out.type.dtype.byteSize
        let condition = inputs[0].data.assumingMemoryBound(to: UInt8.self)
        let x = inputs[1].data, y = inputs[2].data, destination = out.data
        if let steps = Self.contiguousSteps(inputs, count: out.type.elementCount), size == 4 || size == 8 {
            _ = tsk_where(TSK_VARIANT_AUTO, size, out.type.elementCount, condition, steps[0], x, steps[1], y, steps[2], destination)
            return
        }
        forEachBroadcast(inputs.map(\.shape), out: out.shape) { flat, offsets in
            if condition[offsets[0]] != 0 {
                copyElement(size, from: x, offsets[1], to: destination, flat)
            } else {
                copyElement(size, from: y, offsets[2], to: destination, flat)
            }
        }
    }

    /// Each input's step (1: as long as the output, so it walks with it; 0: one value) when
    /// every input is one of the two — the attention NaN guard `Where(IsNaN(s), 0, s)` is —
    /// else nil. An input with the output's element count has the output's shape: any
    /// broadcast dimension would make it shorter.
    static func contiguousSteps(_ inputs: [KernelInput], count: Int) -> [Int]? {
        var steps: [Int] = []
        for input in inputs {
            let elements = input.type.elementCount
            if elements == count { steps.append(1) } else if elements == 1 { steps.append(0) } else { return nil }
        }
        return steps
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Sqrt (FP32) and Neg (FP32, INT64, INT32), ONNX opset 13: one loop over all elements.
/// Sqrt of a negative number is NaN, as in IEEE arithmetic.
struct MathUnaryKernel: Kernel {
    enum Operation: Sendable { case sqrt, neg }

    let operation: Operation

    init(_ context: KernelContext, _ operation: Operation) throws(EngineError) {
        try context.expectArity(inputs: 1...1)
        self.operation = operation
    }

    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] {
        try inputs[0].expect(operation == .sqrt ? [.fp32] : [.fp32, .int64, .int32], "input X")
        return [inputs[0]]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let count = inputs[0].type.elementCount
        switch (operation, inputs[0].type.dtype) {
        case (.sqrt, _):
            let x = inputs[0].floats, y = outputs[0].floats
            for i in 0..<count { y[i] = x[i].squareRoot() }
        case (.neg, .fp32):
            let x = inputs[0].floats, y = outputs[0].floats
            for i in 0..<count { y[i] = -x[i] }
        case (.neg, .int32):
            let x = inputs[0].data.assumingMemoryBound(to: Int32.self), y = outputs[0].data.assumingMemoryBound(to: Int32.self)
            for i in 0..<count { y[i] = 0 &- x[i] }
        case (.neg, _):
            let x = inputs[0].int64s, y = outputs[0].int64s
            for i in 0..<count { y[i] = 0 &- x[i] }
        }
    }
}

/// Pow (ONNX opset 15) on FP32 with NumPy broadcasting; the exponent is FP32, INT64 or INT32.
/// A scalar exponent of 2 or 1 takes an exact fast path (x*x, copy); otherwise C `powf`.
///
/// Deviation: the base must be FP32.
struct PowKernel: Kernel {
    init(_ context: KernelContext) throws(EngineError) {
        try context.expectArity(inputs: 2...2)
    }

    func outputTypes(_ inputs: [ValueType]) throws(EngineError) -> [ValueType] {
        try inputs[0].expect([.fp32], "input X")
        try inputs[1].expect([.fp32, .int64, .int32], "input Y")
        guard let shape = Shapes.broadcast(inputs[0].shape, inputs[1].shape) else {
            throw EngineError(.invalidGraph, "shapes \(inputs[0].shape) and \(inputs[1].shape) cannot be broadcast together")
        }
        return [ValueType(dtype: .fp32, shape: shape)]
    }

    func run(_ inputs: [KernelInput], _ outputs: [KernelOutput]) throws(EngineError) {
        let base = inputs[0], exponentInput = inputs[1], out = outputs[0]
        // The exponent as floats (copied when it is an integer tensor; exponents are small).
        let exponents: [Float] = switch exponentInput.type.dtype {
        case .fp32: Array(UnsafeBufferPointer(start: exponentInput.floats, count: exponentInput.type.elementCount))
        default: exponentInput.intValues.map { Float($0) }
        }
        let x = base.floats, y = out.floats
        if exponents.count == 1, base.type.elementCount == out.type.elementCount {
            let e = exponents[0], count = out.type.elementCount
            switch e {
            case 2: for i in 0..<count { y[i] = x[i] * x[i] }
            case 1: for i in 0..<count { y[i] = x[i] }
            default: for i in 0..<count { y[i] = powf(x[i], e) }
            }
            return
        }
        exponents.withUnsafeBufferPointer { e in
            let loop = BroadcastLoop(a: base.shape, b: exponentInput.shape, out: out.shape)
            loop.forEachRun { n, ia, stepA, ib, stepB, io in
                for i in 0..<n { y[io + i] = powf(x[ia + i * stepA], e[ib + i * stepB]) }
            }
        }
    }
}

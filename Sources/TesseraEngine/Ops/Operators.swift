/// The ops the executor runs, by ONNX op type.
enum Operators {
    typealias Factory = @Sendable (KernelContext) throws(EngineError) -> any Kernel

    static let factories: [String: Factory] = [
        "MatMul": { context throws(EngineError) in try MatMulKernel(context) },
        "Gemm": { context throws(EngineError) in try GemmKernel(context) },
        "Add": { context throws(EngineError) in try BinaryKernel(context, .add) },
        "Sub": { context throws(EngineError) in try BinaryKernel(context, .sub) },
        "Mul": { context throws(EngineError) in try BinaryKernel(context, .mul) },
        "Div": { context throws(EngineError) in try BinaryKernel(context, .div) },
        "Relu": { context throws(EngineError) in try UnaryKernel(context, .relu) },
        "Sigmoid": { context throws(EngineError) in try UnaryKernel(context, .sigmoid) },
        "Tanh": { context throws(EngineError) in try UnaryKernel(context, .tanh) },
        "Erf": { context throws(EngineError) in try UnaryKernel(context, .erf) },
        "Gelu": { context throws(EngineError) in try UnaryKernel(gelu: context) },
        "Softmax": { context throws(EngineError) in try SoftmaxKernel(context, log: false) },
        "LogSoftmax": { context throws(EngineError) in try SoftmaxKernel(context, log: true) },
        "Reshape": { context throws(EngineError) in try ReshapeKernel(context) },
        "Flatten": { context throws(EngineError) in try FlattenKernel(context) },
        "Transpose": { context throws(EngineError) in try TransposeKernel(context) },
        "Identity": { context throws(EngineError) in try IdentityKernel(context) },
        "Constant": { context throws(EngineError) in try ConstantValueKernel(context) },
        "ArgMax": { context throws(EngineError) in try ArgMaxKernel(context) },
    ]

    /// The supported op types, sorted.
    static let supported: [String] = factories.keys.sorted()
}

/// The ops the executor runs, by ONNX op type.
enum Operators {
    typealias Factory = @Sendable (KernelContext) throws(EngineError) -> any Kernel

    static let factories: [String: Factory] = [
        "MatMul": { context throws(EngineError) in try MatMulKernel(context) },
        "Gemm": { context throws(EngineError) in try GemmKernel(context) },
        "MatMulInteger": { context throws(EngineError) in try MatMulIntegerKernel(context) },
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
        // Shape computation and indexing (Indexing.swift).
        "Shape": { context throws(EngineError) in try ShapeKernel(context) },
        "Gather": { context throws(EngineError) in try GatherKernel(context) },
        "Unsqueeze": { context throws(EngineError) in try UnsqueezeKernel(context) },
        "Squeeze": { context throws(EngineError) in try SqueezeKernel(context) },
        "Concat": { context throws(EngineError) in try ConcatKernel(context) },
        "Expand": { context throws(EngineError) in try ExpandKernel(context) },
        "Slice": { context throws(EngineError) in try SliceKernel(context) },
        "ConstantOfShape": { context throws(EngineError) in try ConstantOfShapeKernel(context) },
        "Range": { context throws(EngineError) in try RangeKernel(context) },
        // Types, comparisons and selection (Logic.swift).
        "Cast": { context throws(EngineError) in try CastKernel(context) },
        "Equal": { context throws(EngineError) in try CompareKernel(context, .equal) },
        "Greater": { context throws(EngineError) in try CompareKernel(context, .greater) },
        "GreaterOrEqual": { context throws(EngineError) in try CompareKernel(context, .greaterOrEqual) },
        "Less": { context throws(EngineError) in try CompareKernel(context, .less) },
        "LessOrEqual": { context throws(EngineError) in try CompareKernel(context, .lessOrEqual) },
        "And": { context throws(EngineError) in try LogicalKernel(context, .and) },
        "Or": { context throws(EngineError) in try LogicalKernel(context, .or) },
        "Xor": { context throws(EngineError) in try LogicalKernel(context, .xor) },
        "Not": { context throws(EngineError) in try BoolUnaryKernel(context, .not) },
        "IsNaN": { context throws(EngineError) in try BoolUnaryKernel(context, .isNaN) },
        "Where": { context throws(EngineError) in try WhereKernel(context) },
        // Arithmetic and reductions (Math.swift, Reduce.swift, LayerNorm.swift).
        "Sqrt": { context throws(EngineError) in try MathUnaryKernel(context, .sqrt) },
        "Neg": { context throws(EngineError) in try MathUnaryKernel(context, .neg) },
        "Pow": { context throws(EngineError) in try PowKernel(context) },
        "ReduceMean": { context throws(EngineError) in try ReduceKernel(context, .mean) },
        "ReduceSum": { context throws(EngineError) in try ReduceKernel(context, .sum) },
        "LayerNormalization": { context throws(EngineError) in try LayerNormKernel(context) },
    ]

    /// Ops the graph passes (Passes/) create from patterns of the ops above. Not ONNX ops and
    /// not listed as supported, but a graph may use them directly.
    static let fused: [String: Factory] = [
        DenseFusion.opType: { context throws(EngineError) in try DenseKernel(context) },
        SafeSoftmaxFusion.opType: { context throws(EngineError) in try SoftmaxKernel(context, log: false, zeroNaN: true) },
        AttentionFusion.opType: { context throws(EngineError) in try AttentionKernel(context) },
    ]

    /// The kernel factory for an op type, ONNX or fused.
    static func factory(_ opType: String) -> Factory? {
        factories[opType] ?? fused[opType]
    }

    /// The supported op types, sorted.
    static let supported: [String] = factories.keys.sorted()
}

/// A model graph: named values flowing from inputs and initializers through nodes to outputs.
/// Op types and attribute names follow ONNX where ONNX has the op. The IR is what format
/// plugins build and optimizer plugins edit through the C ABI, so it stays deliberately plain.
public struct Graph: Sendable {
    public var inputs: [ValueInfo] = []
    public var outputs: [ValueInfo] = []
    public var nodes: [Node] = []
    /// Constant tensors (weights), in the order they were added.
    public var initializers: [Initializer] = []

    public init() {}

    /// The index of the initializer called `name`.
    public func initializerIndex(named name: String) -> Int? {
        initializers.firstIndex { $0.name == name }
    }

    /// Total number of elements in all initializers.
    public var parameterCount: Int { initializers.reduce(0) { $0 + $1.tensor.elementCount } }
}

/// A graph input or output: a name, an element type and a shape where `-1` is a dimension
/// known only at run time.
public struct ValueInfo: Sendable, Equatable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]

    public init(name: String, dtype: DType, shape: [Int]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
    }
}

/// A named constant tensor.
public struct Initializer: Sendable {
    public var name: String
    public var tensor: Tensor

    public init(name: String, tensor: Tensor) {
        self.name = name
        self.tensor = tensor
    }
}

/// One operation.
public struct Node: Sendable, Equatable {
    public var opType: String
    public var name: String
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [Attribute]

    public init(opType: String, name: String, inputs: [String], outputs: [String], attributes: [Attribute] = []) {
        self.opType = opType
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }
}

/// A node attribute.
public struct Attribute: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case int(Int64)
        case float(Double)
        case string(String)
        case ints([Int64])
        case floats([Double])
    }

    public var name: String
    public var value: Value

    public init(name: String, value: Value) {
        self.name = name
        self.value = value
    }
}

/// An error from the engine: a growable code and a message that says what to fix.
public struct EngineError: CodedError {
    public typealias Code = ErrorCode<EngineError>

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension ErrorCode where Domain == EngineError {
    public static let invalidTensor = Self(name: "invalid-tensor")
    public static let invalidGraph = Self(name: "invalid-graph")
    public static let notFound = Self(name: "not-found")
}

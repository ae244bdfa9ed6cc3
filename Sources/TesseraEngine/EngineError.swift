/// An error from the engine: a growable code and a message that says what to fix.
public struct EngineError: Error, CustomStringConvertible, Sendable, Equatable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }
        public static let invalidTensor = Code(name: "invalid-tensor")
        public static let invalidGraph = Code(name: "invalid-graph")
        public static let notFound = Code(name: "not-found")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

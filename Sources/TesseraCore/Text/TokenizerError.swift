/// A tokenizer that cannot be built; `message` says what is wrong and what to change.
public struct TokenizerError: Error, CustomStringConvertible, Sendable {
    public let message: String

    init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

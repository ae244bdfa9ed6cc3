/// Why a TOML document was rejected, and where.
///
/// The parser stops at the first problem: later errors in a broken document are usually
/// consequences of the first, and naming them would only bury the real one.
public struct TOMLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, e.g. `duplicate key 'listen' (first defined on line 2)`.
    public let message: String
    /// Where the problem is: the offending character, key or value.
    public let position: TOMLPosition

    public init(_ message: String, at position: TOMLPosition) {
        self.message = message
        self.position = position
    }

    /// `line L, column C: message`; callers prefix the file name.
    public var description: String { "line \(position.line), column \(position.column): \(message)" }
}

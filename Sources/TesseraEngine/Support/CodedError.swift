/// The shape of every Tessera error: a code callers can match on and a message that says what
/// happened and what to do. Each module declares its own error type (`EngineError`,
/// `PluginError`, `RegistryError`, …) with its codes as static members of `ErrorCode`, so a new
/// code never breaks a caller's `switch`.
public protocol CodedError: Error, CustomStringConvertible, Sendable, Equatable {
    var code: ErrorCode<Self> { get }
    var message: String { get }
}

extension CodedError {
    public var description: String { message }
}

/// A growable error code of the error type `Domain`; codes are declared as
/// `extension ErrorCode where Domain == MyError { static let thing = Self(name: "thing") }`.
public struct ErrorCode<Domain>: Hashable, Sendable, CustomStringConvertible {
    public let name: String

    public init(name: String) {
        self.name = name
    }

    public var description: String { name }
}

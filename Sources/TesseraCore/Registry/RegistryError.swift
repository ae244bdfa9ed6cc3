public import TesseraEngine

/// Why a registry call failed. Every message says what happened and what to do; the code lets
/// callers tell the cases apart (the REST layer maps them to statuses: invalid → 400,
/// not-found → 404, conflict → 409, busy → 503, the rest → 500).
public struct RegistryError: CodedError {
    public typealias Code = ErrorCode<RegistryError>

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension ErrorCode where Domain == RegistryError {
    /// A model, alias, tag key, actor, format or producer name breaks the naming rules.
    public static let invalidName = Self(name: "invalid-name")
    /// A version reference (`name`, `name:3`, `name@alias`) could not be parsed.
    public static let invalidReference = Self(name: "invalid-reference")
    /// Some other argument is out of range or malformed (digest, weight, JSON, …).
    public static let invalidArgument = Self(name: "invalid-argument")
    /// The model, version, alias, tag or deployment does not exist.
    public static let notFound = Self(name: "not-found")
    /// The change contradicts what is recorded (the model exists, nothing to roll back to, …).
    public static let conflict = Self(name: "conflict")
    /// The database was written by a newer Tessera with a schema this build does not know.
    public static let schemaTooNew = Self(name: "schema-too-new")
    /// The file is not a Tessera registry (another SQLite database, or not SQLite at all).
    public static let notARegistry = Self(name: "not-a-registry")
    /// Another writer held the database longer than the busy timeout.
    public static let busy = Self(name: "busy")
    /// SQLite reported an error (I/O, corruption, disk full, …); the message carries its text.
    public static let database = Self(name: "database")
}

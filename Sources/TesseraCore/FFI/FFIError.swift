public import TesseraEngine

/// Why a foreign function could not be declared, resolved or called. Messages quote the
/// signature or symbol involved and say what would have been accepted; the code lets
/// callers tell the cases apart without parsing the message.
public struct FFIError: CodedError {
    public typealias Code = ErrorCode<FFIError>

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension ErrorCode where Domain == FFIError {
    /// The signature string does not follow `ret(arg,arg,...)` with known types.
    public static let badSignature = Self(name: "bad-signature")
    /// The library does not export the requested symbol.
    public static let symbolNotFound = Self(name: "symbol-not-found")
    /// libffi refused the signature (`ffi_prep_cif` failed).
    public static let prepareFailed = Self(name: "prepare-failed")
    /// A call passed more or fewer arguments than the signature declares.
    public static let argumentCount = Self(name: "argument-count")
    /// A call passed an argument of a different kind than the signature declares.
    public static let argumentType = Self(name: "argument-type")
}

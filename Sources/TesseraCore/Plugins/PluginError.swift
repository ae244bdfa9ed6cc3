public import TesseraEngine

/// Why a plugin could not be loaded or used. Every message names the plugin and says what to
/// do; the code lets callers (tests, `tessera plugins check`) tell the cases apart.
public struct PluginError: CodedError {
    public typealias Code = ErrorCode<PluginError>

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension ErrorCode where Domain == PluginError {
    public static let fileMissing = Self(name: "file-missing")
    public static let notSharedObject = Self(name: "not-a-shared-object")
    public static let noEntrySymbol = Self(name: "no-entry-symbol")
    public static let badDescriptor = Self(name: "bad-descriptor")
    public static let abiMajorMismatch = Self(name: "abi-major-mismatch")
    public static let abiMinorTooNew = Self(name: "abi-minor-too-new")
    public static let fingerprintMismatch = Self(name: "fingerprint-mismatch")
    public static let duplicateCapability = Self(name: "duplicate-capability")
    public static let duplicatePlugin = Self(name: "duplicate-plugin")
    public static let sha256Mismatch = Self(name: "sha256-mismatch")
    public static let settingsRejected = Self(name: "settings-rejected")
    public static let initFailed = Self(name: "init-failed")
    public static let activateFailed = Self(name: "activate-failed")
    public static let capabilityMissing = Self(name: "capability-missing")
    public static let notFound = Self(name: "not-found")
    public static let callFailed = Self(name: "call-failed")
    public static let wrongState = Self(name: "wrong-state")
    public static let invalidParameter = Self(name: "invalid-parameter")
}

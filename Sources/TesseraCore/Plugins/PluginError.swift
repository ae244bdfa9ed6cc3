/// Why a plugin could not be loaded or used. Every message names the plugin and says what to
/// do; the code lets callers (tests, `tessera plugins check`) tell the cases apart.
public struct PluginError: Error, CustomStringConvertible, Sendable, Equatable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }
        public static let fileMissing = Code(name: "file-missing")
        public static let notSharedObject = Code(name: "not-a-shared-object")
        public static let noEntrySymbol = Code(name: "no-entry-symbol")
        public static let badDescriptor = Code(name: "bad-descriptor")
        public static let abiMajorMismatch = Code(name: "abi-major-mismatch")
        public static let abiMinorTooNew = Code(name: "abi-minor-too-new")
        public static let fingerprintMismatch = Code(name: "fingerprint-mismatch")
        public static let duplicateCapability = Code(name: "duplicate-capability")
        public static let duplicatePlugin = Code(name: "duplicate-plugin")
        public static let sha256Mismatch = Code(name: "sha256-mismatch")
        public static let settingsRejected = Code(name: "settings-rejected")
        public static let initFailed = Code(name: "init-failed")
        public static let activateFailed = Code(name: "activate-failed")
        public static let capabilityMissing = Code(name: "capability-missing")
        public static let notFound = Code(name: "not-found")
        public static let callFailed = Code(name: "call-failed")
        public static let wrongState = Code(name: "wrong-state")
        public static let invalidParameter = Code(name: "invalid-parameter")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

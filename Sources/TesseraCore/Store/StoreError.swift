#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the artifact store could not do what was asked. Every message says what happened, to
/// which path or object, and what to do next; the code lets callers (the registry, `tessera
/// store …`, tests) tell the cases apart.
public struct StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }
        /// The disk (or quota) filled up while writing.
        public static let noSpace = Code(name: "no-space")
        /// The operating system refused access to a file or folder.
        public static let permissionDenied = Code(name: "permission-denied")
        /// Reading, writing or syncing failed for another reason (EIO, read-only file system, …).
        public static let ioFailed = Code(name: "io-failed")
        /// The file or folder to store does not exist.
        public static let sourceMissing = Code(name: "source-missing")
        /// The file to store changed size while it was being copied.
        public static let sourceChanged = Code(name: "source-changed")
        /// A folder was given where a single file is expected.
        public static let notAFile = Code(name: "not-a-file")
        /// A FIFO, socket, device or symbolic link to a folder: only regular files are stored.
        public static let unsupportedFile = Code(name: "unsupported-file")
        /// A symbolic link inside a folder artifact points outside the folder (or nowhere).
        public static let symlinkOutside = Code(name: "symlink-outside")
        /// A folder artifact without a single file.
        public static let emptyArtifact = Code(name: "empty-artifact")
        /// A manifest that is not valid JSON, has an unknown format, or lists an unsafe path.
        public static let invalidManifest = Code(name: "invalid-manifest")
        /// A string that is not 64 lower-case hex characters was used as a digest.
        public static let invalidDigest = Code(name: "invalid-digest")
        /// An object the operation needs is not in the store.
        public static let objectMissing = Code(name: "object-missing")
        /// An object's content does not hash to its name.
        public static let corruptObject = Code(name: "corrupt-object")
        /// Export would overwrite an existing file.
        public static let destinationExists = Code(name: "destination-exists")
        /// The store's lock file could not be opened or locked.
        public static let lockFailed = Code(name: "lock-failed")
        /// `withExclusive` was called while the same thread holds the shared lock (it would deadlock).
        public static let lockMisuse = Code(name: "lock-misuse")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// The error for a failed system call: `errno` `number` while `action` (e.g. "writing
    /// /models/a.onnx into the store at /srv/store"), followed by `outcome` (what state the
    /// store is left in, e.g. "nothing was stored").
    static func system(_ number: Int32, _ action: String, outcome: String) -> StoreError {
        let reason = String(cString: strerror(number))
        switch number {
        case ENOSPC:
            return StoreError(.noSpace, "no space left on device while \(action); free space and retry — \(outcome)")
        case EDQUOT:
            return StoreError(.noSpace, "disk quota exceeded while \(action); free space or raise the quota and retry — \(outcome)")
        case EACCES, EPERM:
            return StoreError(.permissionDenied,
                              "permission denied while \(action); check the owner and permissions of the folder — \(outcome)")
        case EROFS:
            return StoreError(.ioFailed, "the file system is read-only while \(action); remount it read-write or use another store folder — \(outcome)")
        case EIO:
            return StoreError(.ioFailed, "I/O error while \(action); the disk may be failing (check the kernel log) — \(outcome)")
        default:
            return StoreError(.ioFailed, "\(reason) (errno \(number)) while \(action) — \(outcome)")
        }
    }

    static func invalidDigest(_ digest: String) -> StoreError {
        StoreError(.invalidDigest, "'\(digest.prefix(80))' is not an object digest; digests are 64 lower-case hex characters (SHA-256)")
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import TesseraEngine

/// Why the artifact store could not do what was asked. Every message says what happened, to
/// which path or object, and what to do next; the code lets callers (the registry, `tessera
/// store …`, tests) tell the cases apart.
public struct StoreError: CodedError {
    public typealias Code = ErrorCode<StoreError>

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

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

extension ErrorCode where Domain == StoreError {
    /// The disk (or quota) filled up while writing.
    public static let noSpace = Self(name: "no-space")
    /// The operating system refused access to a file or folder.
    public static let permissionDenied = Self(name: "permission-denied")
    /// Reading, writing or syncing failed for another reason (EIO, read-only file system, …).
    public static let ioFailed = Self(name: "io-failed")
    /// The file or folder to store does not exist.
    public static let sourceMissing = Self(name: "source-missing")
    /// The file to store changed size while it was being copied.
    public static let sourceChanged = Self(name: "source-changed")
    /// A folder was given where a single file is expected.
    public static let notAFile = Self(name: "not-a-file")
    /// A FIFO, socket, device or symbolic link to a folder: only regular files are stored.
    public static let unsupportedFile = Self(name: "unsupported-file")
    /// A symbolic link inside a folder artifact points outside the folder (or nowhere).
    public static let symlinkOutside = Self(name: "symlink-outside")
    /// A folder artifact without a single file.
    public static let emptyArtifact = Self(name: "empty-artifact")
    /// A manifest that is not valid JSON, has an unknown format, or lists an unsafe path.
    public static let invalidManifest = Self(name: "invalid-manifest")
    /// A string that is not 64 lower-case hex characters was used as a digest.
    public static let invalidDigest = Self(name: "invalid-digest")
    /// An object the operation needs is not in the store.
    public static let objectMissing = Self(name: "object-missing")
    /// An object's content does not hash to its name.
    public static let corruptObject = Self(name: "corrupt-object")
    /// Export would overwrite an existing file.
    public static let destinationExists = Self(name: "destination-exists")
    /// The store's lock file could not be opened or locked.
    public static let lockFailed = Self(name: "lock-failed")
    /// `withExclusive` was called while the same thread holds the shared lock (it would deadlock).
    public static let lockMisuse = Self(name: "lock-misuse")
}

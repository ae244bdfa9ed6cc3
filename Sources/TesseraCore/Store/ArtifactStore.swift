public import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One object in the store: content named by its SHA-256.
public struct StoredObject: Sendable, Hashable {
    /// SHA-256 of the content, 64 lower-case hex characters.
    public let digest: String
    public let size: Int64

    public init(digest: String, size: Int64) {
        self.digest = digest
        self.size = size
    }
}

/// A model artifact as the registry records it: a single file, or a folder stored as a manifest
/// of objects (see `ArtifactManifest`).
public struct Artifact: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case file
        case directory
    }

    public let kind: Kind
    /// For a file, the digest of its content; for a folder, the digest of its manifest object.
    public let digest: String
    /// Total size of the artifact's files in bytes (the manifest not included).
    public let size: Int64
    /// Number of files (1 for a file artifact).
    public let files: Int

    public init(kind: Kind, digest: String, size: Int64, files: Int) {
        self.kind = kind
        self.digest = digest
        self.size = size
        self.files = files
    }
}

/// The content-addressed artifact store: a folder holding
///
///     objects/ab/cdef…   one read-only (0444) file per distinct content, named by its SHA-256
///     tmp/               files being written; anything left here after a crash is removed
///     lock               the `StoreLock` file
///
/// Writing an object streams it into `tmp/`, hashing as it goes, fsyncs it, renames it into
/// place and fsyncs the folders, so an object is either complete and durable or not visible at
/// all; identical content is stored once. Callers that record artifacts elsewhere (the registry)
/// wrap "put, then commit the row" in `lock.withShared`, so garbage collection (which takes the
/// lock exclusively) cannot remove an object between its write and the commit.
///
/// All methods are synchronous and block on disk I/O and on the lock; the class holds no
/// mutable state and may be used from any thread, and by several processes at once.
public final class ArtifactStore: Sendable {
    public let root: URL
    /// The lock shared by every process using this store (see `StoreLock`).
    public let lock: StoreLock

    let rootPath: String
    let objectsPath: String
    let tmpPath: String

    /// Opens the store at `root`, creating it if needed, and removes temporary files that
    /// earlier crashed writes left behind (only when no other process is writing right now).
    public init(root: URL) throws {
        let rootPath = root.standardizedFileURL.path
        self.root = URL(fileURLWithPath: rootPath, isDirectory: true)
        self.rootPath = rootPath
        self.objectsPath = rootPath + "/objects"
        self.tmpPath = rootPath + "/tmp"
        self.lock = StoreLock(path: rootPath + "/lock")

        let outcome = "the store was not opened"
        if StoreIO.targetInfo(rootPath) == nil {
            do {
                try FileManager.default.createDirectory(atPath: rootPath, withIntermediateDirectories: true)
            } catch {
                throw StoreError(.ioFailed, "cannot create the store folder \(rootPath) (\(error.localizedDescription)); "
                    + "check the path and permissions — \(outcome)")
            }
            try StoreIO.syncDirectory((rootPath as NSString).deletingLastPathComponent, outcome: outcome)
        }
        var created = false
        for path in [objectsPath, tmpPath] {
            if mkdir(path, 0o755) == 0 {
                created = true
            } else if errno != EEXIST {
                throw StoreError.system(errno, "creating \(path)", outcome: outcome)
            } else if StoreIO.targetInfo(path).map({ StoreIO.kind($0.st_mode) }) != .directory {
                throw StoreError(.ioFailed, "\(path) exists but is not a folder; move it away — \(outcome)")
            }
        }
        if created { try StoreIO.syncDirectory(rootPath, outcome: outcome) }
        // Temporary files belong to writers, who hold the lock in shared mode while they write:
        // if the lock can be taken exclusively right now, every file in tmp/ is left over from a crash.
        _ = try lock.ifExclusiveAvailable { try removeTemporaryFiles() }
    }

    /// The path of the object `digest` (which need not exist).
    public func objectURL(_ digest: String) throws -> URL {
        guard StoreIO.isDigest(digest[...]) else { throw StoreError.invalidDigest(digest) }
        return URL(fileURLWithPath: objectPath(digest))
    }

    /// Whether the object `digest` is in the store (false for anything that is not a digest).
    public func contains(_ digest: String) -> Bool {
        guard StoreIO.isDigest(digest[...]), let info = StoreIO.entryInfo(objectPath(digest)) else { return false }
        return StoreIO.kind(info.st_mode) == .regular
    }

    /// The manifest of a folder artifact, checked against its digest and for safe paths.
    public func manifest(_ digest: String) throws -> ArtifactManifest {
        let data = try readObject(digest, limit: Int64(ArtifactManifest.maximumSize), purpose: "a manifest")
        do {
            return try ArtifactManifest(decoding: data)
        } catch let error as StoreError {
            throw StoreError(error.code, "manifest \(digest): \(error.message)")
        }
    }

    /// Every object an artifact needs: for a folder, its files' digests (each once) and then the manifest's.
    public func objectDigests(of artifact: Artifact) throws -> [String] {
        guard StoreIO.isDigest(artifact.digest[...]) else { throw StoreError.invalidDigest(artifact.digest) }
        switch artifact.kind {
        case .file:
            return [artifact.digest]
        case .directory:
            var seen = Set<String>()
            let files = try manifest(artifact.digest).files.map(\.digest).filter { seen.insert($0).inserted }
            return files + [artifact.digest]
        }
    }

    // MARK: - Internals shared by the operations

    /// `objects/<first 2 hex>/<remaining 62 hex>`; `digest` must be valid.
    func objectPath(_ digest: String) -> String {
        let split = digest.index(digest.startIndex, offsetBy: 2)
        return "\(objectsPath)/\(digest[..<split])/\(digest[split...])"
    }

    /// Reads a whole (small) object and checks that it hashes to its name.
    func readObject(_ digest: String, limit: Int64, purpose: String) throws -> Data {
        guard StoreIO.isDigest(digest[...]) else { throw StoreError.invalidDigest(digest) }
        let path = objectPath(digest)
        let fd = StoreIO.openFile(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            if errno == ENOENT || errno == ELOOP {
                throw StoreError(.objectMissing, "object \(digest) is missing from the store at \(rootPath); "
                    + "run `tessera store verify`, then re-push the artifact that needs it")
            }
            throw StoreError.system(errno, "opening object \(path)", outcome: "nothing was read")
        }
        defer { _ = StoreIO.closeFile(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw StoreError.system(errno, "reading object \(path)", outcome: "nothing was read") }
        guard Int64(info.st_size) <= limit else {
            throw StoreError(.invalidManifest, "object \(digest) is \(info.st_size) bytes, too large to be \(purpose); "
                + "is it the digest of a file artifact rather than a folder artifact?")
        }
        var data = Data(count: Int(info.st_size))
        var filled = 0
        var hasher = StreamingSHA256()
        try data.withUnsafeMutableBytes { bytes in
            while filled < bytes.count {
                let count = StoreIO.readSome(fd, into: UnsafeMutableRawBufferPointer(rebasing: bytes[filled...]))
                guard count >= 0 else { throw StoreError.system(errno, "reading object \(path)", outcome: "nothing was read") }
                if count == 0 { break }
                filled += count
            }
            hasher.update(UnsafeRawBufferPointer(rebasing: bytes[..<filled]))
        }
        let actual = hasher.finish()
        guard filled == data.count, actual == digest else {
            throw StoreError(.corruptObject, "object \(digest) is corrupt (its content hashes to \(actual)); "
                + "run `tessera store verify`, then re-push the artifact that needs it")
        }
        return data
    }

    /// The objects a set of artifacts needs, and what stands in the way of knowing.
    struct References {
        /// The artifacts' own objects and the files their manifests list (present or not).
        var objects = Set<String>()
        /// Artifact objects that are not in the store, sorted.
        var missing: [String] = []
        /// Artifact objects that could not be checked: corrupt, unreadable, or not a digest.
        var unreadable: [StoreError] = []
    }

    /// Resolves artifact digests (as the registry records them) to every object they need. A
    /// folder artifact is recognised by its content: an object of at most
    /// `ArtifactManifest.maximumSize` bytes that hashes to its name and is a valid manifest. (A
    /// file artifact that happens to be a valid manifest keeps the objects it lists too: that
    /// only ever keeps more.)
    func resolve(_ referenced: Set<String>) -> References {
        var references = References()
        for digest in referenced.sorted() {
            guard StoreIO.isDigest(digest[...]) else {
                references.unreadable.append(StoreError.invalidDigest(digest))
                continue
            }
            references.objects.insert(digest)
            guard let info = StoreIO.entryInfo(objectPath(digest)), StoreIO.kind(info.st_mode) == .regular else {
                references.missing.append(digest)
                continue
            }
            guard Int64(info.st_size) <= Int64(ArtifactManifest.maximumSize) else { continue }
            do {
                let data = try readObject(digest, limit: Int64(ArtifactManifest.maximumSize), purpose: "a manifest")
                if let manifest = ArtifactManifest.recognise(data) {
                    references.objects.formUnion(manifest.files.map(\.digest))
                }
            } catch let error as StoreError {
                references.unreadable.append(error)
            } catch {
                references.unreadable.append(StoreError(.ioFailed, "object \(digest): \(error)"))
            }
        }
        return references
    }

    /// One directory entry under `objects/` whose path is a valid object name.
    struct ObjectEntry {
        let digest: String
        let path: String
        let folder: String
        let info: stat
        var isRegularFile: Bool { StoreIO.kind(info.st_mode) == .regular }
    }

    /// Every entry under `objects/`: those named like objects, and the relative paths of the
    /// rest (which the store never creates). Both sorted.
    func listObjects(outcome: String) throws -> (objects: [ObjectEntry], unexpected: [String]) {
        var objects: [ObjectEntry] = []
        var unexpected: [String] = []
        for fan in try StoreIO.entries(of: objectsPath, outcome: outcome).sorted(by: StoreIO.utf8Precedes) {
            let folder = objectsPath + "/" + fan
            guard let info = StoreIO.entryInfo(folder) else { continue }  // removed meanwhile
            guard fan.utf8.count == 2, StoreIO.isLowerHex(fan[...]), StoreIO.kind(info.st_mode) == .directory else {
                unexpected.append("objects/" + fan)
                continue
            }
            for name in try StoreIO.entries(of: folder, outcome: outcome).sorted(by: StoreIO.utf8Precedes) {
                let path = folder + "/" + name
                guard name.utf8.count == 62, StoreIO.isLowerHex(name[...]) else {
                    unexpected.append("objects/\(fan)/\(name)")
                    continue
                }
                guard let info = StoreIO.entryInfo(path) else { continue }
                objects.append(ObjectEntry(digest: fan + name, path: path, folder: folder, info: info))
            }
        }
        return (objects, unexpected)
    }

    /// Removes everything in `tmp/`; the caller holds the lock exclusively. Returns how many entries.
    @discardableResult
    func removeTemporaryFiles() throws -> Int {
        let names = try StoreIO.entries(of: tmpPath, outcome: "nothing was removed")
        for name in names {
            let path = tmpPath + "/" + name
            if unlink(path) != 0 && errno != ENOENT {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        return names.count
    }
}

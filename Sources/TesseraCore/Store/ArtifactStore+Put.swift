public import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ArtifactStore {
    /// Stores the regular file at `url` and returns its object. The file is read once: copied
    /// into `tmp/` and hashed at the same time, fsync'ed, then renamed into `objects/` (or
    /// dropped, if that content is already stored). On any failure (no space, I/O error, the
    /// file changing size meanwhile) nothing becomes visible and the temporary copy is removed.
    ///
    /// `progress` receives (bytes copied, total bytes) after every 1 MiB.
    /// Takes the lock in shared mode; wrap it together with the registry commit in
    /// `lock.withShared` so the object cannot be collected before the commit.
    public func putFile(_ url: URL, progress: (@Sendable (Int64, Int64) -> Void)? = nil) throws -> StoredObject {
        let path = url.standardizedFileURL.path
        return try lock.withShared {
            try storeFile(at: path, expectedSize: nil, done: 0, total: nil, progress: progress)
        }
    }

    /// Stores a file or a folder. A file becomes a `.file` artifact whose digest is its
    /// content's. A folder becomes a `.directory` artifact: every regular file in it (recursively,
    /// in path order) is stored as an object, then its `ArtifactManifest` is stored as an object
    /// too, and the manifest's digest is the artifact's. Symbolic links to files inside the folder
    /// are stored as the files they point to; links leading outside the folder, links to folders,
    /// FIFOs, sockets and devices are refused before anything is written. Empty folders are not
    /// recorded.
    ///
    /// `progress` receives (bytes stored, total bytes of all files). If storing fails midway, the
    /// objects already written stay in the store unreferenced (`collectGarbage` removes them);
    /// no partial object is ever visible.
    public func putArtifact(_ url: URL, progress: (@Sendable (Int64, Int64) -> Void)? = nil) throws -> Artifact {
        let path = url.standardizedFileURL.path
        let outcome = "nothing was stored"
        guard let info = StoreIO.targetInfo(path) else {
            if errno == ENOENT {
                throw StoreError(.sourceMissing, "there is no file or folder at \(path); check the path — \(outcome)")
            }
            throw StoreError.system(errno, "looking at \(path)", outcome: outcome)
        }
        switch StoreIO.kind(info.st_mode) {
        case .regular:
            let object = try putFile(url, progress: progress)
            return Artifact(kind: .file, digest: object.digest, size: object.size, files: 1)
        case .directory:
            break
        case .symlink, .other:
            throw StoreError(.unsupportedFile, "\(path) is \(Self.describe(info)); only regular files and folders "
                + "can be stored — \(outcome)")
        }

        guard let folder = StoreIO.realPath(path) else {
            throw StoreError.system(errno, "resolving \(path)", outcome: outcome)
        }
        var files: [FolderFile] = []
        try collectFiles(in: folder, relative: "", root: folder, into: &files)
        files.sort { StoreIO.utf8Precedes($0.relative, $1.relative) }
        guard !files.isEmpty else {
            throw StoreError(.emptyArtifact, "the folder \(path) contains no files; point at the folder that holds "
                + "the model files — \(outcome)")
        }
        let total = files.reduce(Int64(0)) { $0 + $1.size }

        return try lock.withShared {
            var entries: [ArtifactManifest.Entry] = []
            var done: Int64 = 0
            for file in files {
                let object = try storeFile(at: file.absolute, expectedSize: file.size, done: done, total: total,
                                           progress: progress)
                entries.append(ArtifactManifest.Entry(path: file.relative, digest: object.digest, size: object.size))
                done += object.size
            }
            let manifest = try ArtifactManifest(files: entries)
            let bytes = manifest.encoded()
            guard bytes.count <= ArtifactManifest.maximumSize else {
                throw StoreError(.unsupportedFile, "the folder \(path) has too many files (\(entries.count)): its manifest "
                    + "would exceed \(ArtifactManifest.maximumSize >> 20) MiB; split the artifact — the files were stored "
                    + "but no artifact was recorded (`tessera store gc` removes them)")
            }
            let stored = try writeObject(label: "the manifest of \(path)") { sink in
                try bytes.withUnsafeBytes { try sink.append($0) }
            }
            return Artifact(kind: .directory, digest: stored.digest, size: manifest.totalSize, files: entries.count)
        }
    }

    // MARK: - Writing objects

    /// A file found in a folder artifact.
    private struct FolderFile {
        let relative: String
        /// Where to read it (the link target for a symbolic link).
        let absolute: String
        let size: Int64
    }

    private func collectFiles(in folder: String, relative: String, root: String, into files: inout [FolderFile]) throws {
        let outcome = "nothing was stored"
        for name in try StoreIO.entries(of: folder, outcome: outcome) {
            let absolute = folder + "/" + name
            let path = relative.isEmpty ? name : relative + "/" + name
            guard let info = StoreIO.entryInfo(absolute) else {
                throw StoreError.system(errno, "looking at \(absolute)", outcome: outcome)
            }
            switch StoreIO.kind(info.st_mode) {
            case .directory:
                try collectFiles(in: absolute, relative: path, root: root, into: &files)
            case .regular:
                files.append(FolderFile(relative: path, absolute: absolute, size: Int64(info.st_size)))
            case .symlink:
                let inside = root.hasSuffix("/") ? root : root + "/"
                guard let target = StoreIO.realPath(absolute) else {
                    throw StoreError(.symlinkOutside, "'\(path)' in \(root) is a symbolic link to a missing file; "
                        + "remove the link or restore its target — \(outcome)")
                }
                guard target.hasPrefix(inside) else {
                    throw StoreError(.symlinkOutside, "'\(path)' in \(root) is a symbolic link to \(target), outside the "
                        + "folder; copy that file into the folder in place of the link and retry — \(outcome)")
                }
                guard let targetInfo = StoreIO.targetInfo(target), StoreIO.kind(targetInfo.st_mode) == .regular else {
                    let what = StoreIO.targetInfo(target).map(Self.describe) ?? "unreadable"
                    throw StoreError(.unsupportedFile, "'\(path)' in \(root) is a symbolic link to \(what) (\(target)); "
                        + "only links to regular files are followed — replace it with a real folder or file — \(outcome)")
                }
                files.append(FolderFile(relative: path, absolute: target, size: Int64(targetInfo.st_size)))
            case .other:
                throw StoreError(.unsupportedFile, "'\(path)' in \(root) is \(Self.describe(info)); only regular files "
                    + "(and links to files inside the folder) can be stored — remove it and retry — \(outcome)")
            }
        }
    }

    /// Copies the file at `path` into a new object. `expectedSize`, when given, is the size
    /// seen when the folder was listed. Progress reports `done` + bytes copied out of `total`
    /// (the file's size when nil). Called with the lock held.
    private func storeFile(at path: String, expectedSize: Int64?, done: Int64, total: Int64?,
                           progress: (@Sendable (Int64, Int64) -> Void)?) throws -> StoredObject {
        let outcome = "nothing was stored"
        // O_NONBLOCK so that opening a FIFO cannot hang; regular files ignore it.
        let source = StoreIO.openFile(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard source >= 0 else {
            if errno == ENOENT {
                throw StoreError(.sourceMissing, "there is no file at \(path); check the path — \(outcome)")
            }
            throw StoreError.system(errno, "opening \(path)", outcome: outcome)
        }
        defer { _ = StoreIO.closeFile(source) }
        var before = stat()
        guard fstat(source, &before) == 0 else { throw StoreError.system(errno, "reading \(path)", outcome: outcome) }
        switch StoreIO.kind(before.st_mode) {
        case .regular:
            break
        case .directory:
            throw StoreError(.notAFile, "\(path) is a folder, not a file; store it as a folder artifact — \(outcome)")
        case .symlink, .other:
            throw StoreError(.unsupportedFile, "\(path) is \(Self.describe(before)), not a regular file; only regular "
                + "files can be stored — \(outcome)")
        }
        _ = fcntl(source, F_SETFL, fcntl(source, F_GETFL) & ~O_NONBLOCK)
        let size = Int64(before.st_size)
        if let expectedSize, expectedSize != size {
            throw StoreError(.sourceChanged, "\(path) changed size since its folder was listed (\(expectedSize) → "
                + "\(size) bytes); retry when nothing is writing to it — \(outcome)")
        }
        let total = total ?? size

        return try writeObject(label: path) { sink in
            let buffer = StoreIO.allocateChunk()
            defer { buffer.deallocate() }
            while true {
                let count = StoreIO.readSome(source, into: buffer)
                guard count >= 0 else { throw StoreError.system(errno, "reading \(path)", outcome: outcome) }
                if count == 0 { break }
                try sink.append(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
                progress?(done + sink.size, total)
            }
            var after = stat()
            guard fstat(source, &after) == 0 else { throw StoreError.system(errno, "reading \(path)", outcome: outcome) }
            guard sink.size == size, Int64(after.st_size) == size, Self.modified(before) == Self.modified(after) else {
                throw StoreError(.sourceChanged, "\(path) changed while it was being stored (\(size) bytes when opened, "
                    + "\(sink.size) read, \(after.st_size) now); retry when nothing is writing to it — \(outcome)")
            }
        }
    }

    /// Bytes on their way into a temporary file, hashed as they are written.
    struct ObjectSink {
        let fd: Int32
        let action: String
        var hasher = StreamingSHA256()
        private(set) var size: Int64 = 0

        init(fd: Int32, action: String) {
            self.fd = fd
            self.action = action
        }

        mutating func append(_ bytes: UnsafeRawBufferPointer) throws {
            hasher.update(bytes)
            let failure = StoreIO.writeAll(fd, bytes)
            guard failure == 0 else { throw StoreError.system(failure, action, outcome: "nothing was stored") }
            size += Int64(bytes.count)
        }
    }

    /// Writes an object: `fill` appends its bytes to a new file in `tmp/`; then, unless an object
    /// with that content already exists, the file is made read-only, fsync'ed, renamed into
    /// `objects/xx/` and the folders are fsync'ed. Whatever fails, the temporary file is removed.
    /// `label` names what is being stored in messages. Called with the lock held.
    func writeObject(label: String, _ fill: (inout ObjectSink) throws -> Void) throws -> StoredObject {
        let outcome = "nothing was stored"
        let tempPath = tmpPath + "/" + UUID().uuidString.lowercased() + ".partial"
        let fd = StoreIO.openFile(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StoreError.system(errno, "creating a temporary file in \(tmpPath) to store \(label)", outcome: outcome)
        }
        var isOpen = true
        var isRenamed = false
        defer {
            if isOpen { _ = StoreIO.closeFile(fd) }
            if !isRenamed { StoreIO.removeFile(tempPath) }
        }

        var sink = ObjectSink(fd: fd, action: "writing \(label) into the store at \(rootPath)")
        try fill(&sink)
        let digest = sink.hasher.finish()
        let object = StoredObject(digest: digest, size: sink.size)
        let folder = objectsPath + "/" + digest.prefix(2)
        let path = objectPath(digest)

        if let existing = StoreIO.entryInfo(path), StoreIO.kind(existing.st_mode) == .regular,
           Int64(existing.st_size) == object.size {
            // Identical content is stored once: drop the copy. Sync the folders anyway, in case the
            // existing object was renamed into place by a writer that has not synced them yet.
            try StoreIO.syncDirectory(folder, outcome: outcome)
            try StoreIO.syncDirectory(objectsPath, outcome: outcome)
            return object
        }

        guard fchmod(fd, 0o444) == 0 else {
            throw StoreError.system(errno, "making the copy of \(label) read-only", outcome: outcome)
        }
        let syncFailure = StoreIO.syncFile(fd)
        guard syncFailure == 0 else {
            throw StoreError.system(syncFailure, "syncing \(label) to disk in the store at \(rootPath)", outcome: outcome)
        }
        isOpen = false
        let closeFailure = StoreIO.closeFile(fd)
        guard closeFailure == 0 else {
            throw StoreError.system(closeFailure, "writing \(label) into the store at \(rootPath)", outcome: outcome)
        }
        if mkdir(folder, 0o755) != 0 && errno != EEXIST {
            throw StoreError.system(errno, "creating the object folder \(folder)", outcome: outcome)
        }
        // Replaces an existing entry only if it is damaged (wrong size), which repairs it.
        guard rename(tempPath, path) == 0 else {
            throw StoreError.system(errno, "moving \(label) into place at \(path)", outcome: outcome)
        }
        isRenamed = true
        // The object is visible now; make its name (and its fan-out folder's) durable.
        let visible = "the object \(digest) may be left unreferenced; `tessera store gc` removes it"
        try StoreIO.syncDirectory(folder, outcome: visible)
        try StoreIO.syncDirectory(objectsPath, outcome: visible)
        return object
    }

    static func describe(_ info: stat) -> String {
        switch StoreIO.kind(info.st_mode) {
        case .regular: "a regular file"
        case .directory: "a folder"
        case .symlink: "a symbolic link"
        case .other(let what): what
        }
    }

    private static func modified(_ info: stat) -> [Int] {
        #if canImport(Darwin)
        [info.st_mtimespec.tv_sec, info.st_mtimespec.tv_nsec]
        #else
        [info.st_mtim.tv_sec, info.st_mtim.tv_nsec]
        #endif
    }
}

public import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ArtifactStore {
    /// Copies an artifact out of the store: a file artifact to the file `destination`, a folder
    /// artifact's files into the folder `destination` (created if needed), recreating subfolders.
    /// Never overwrites: if any target file exists, nothing is written. Each copy is hashed while
    /// it is written and checked against its digest. On failure the files and folders this call
    /// created are removed again.
    ///
    /// `progress` receives (bytes copied, total bytes). Takes the lock in shared mode, so garbage
    /// collection cannot remove objects mid-export.
    public func export(_ artifact: Artifact, to destination: URL,
                       progress: (@Sendable (Int64, Int64) -> Void)? = nil) throws {
        let target = destination.standardizedFileURL.path
        guard StoreIO.isDigest(artifact.digest[...]) else { throw StoreError.invalidDigest(artifact.digest) }
        try lock.withShared {
            switch artifact.kind {
            case .file:
                if StoreIO.entryInfo(target) != nil { throw Self.exists(target) }
                try copyObject(artifact.digest, to: target, done: 0, total: artifact.size, progress: progress)
            case .directory:
                try exportFolder(try manifest(artifact.digest), to: target, progress: progress)
            }
        }
    }

    private func exportFolder(_ manifest: ArtifactManifest, to target: String,
                              progress: (@Sendable (Int64, Int64) -> Void)?) throws {
        // Check everything first, so a refusal leaves no partial export behind.
        for file in manifest.files {
            guard contains(file.digest) else {
                throw StoreError(.objectMissing, "object \(file.digest) ('\(file.path)') is missing from the store at "
                    + "\(rootPath); run `tessera store verify`, then re-push the artifact — nothing was exported")
            }
            let path = target + "/" + file.path
            if StoreIO.entryInfo(path) != nil { throw Self.exists(path) }
        }

        var created: [String] = []  // files and folders this export made, in creation order
        do {
            if StoreIO.targetInfo(target) == nil {
                try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
                created.append(target)
            } else if StoreIO.targetInfo(target).map({ StoreIO.kind($0.st_mode) }) != .directory {
                throw StoreError(.destinationExists, "\(target) exists and is not a folder; export into a new or "
                    + "empty folder — nothing was exported")
            }
            var done: Int64 = 0
            for file in manifest.files {
                var folder = target
                for component in file.path.split(separator: "/").dropLast() {
                    folder += "/" + component
                    try makeFolder(folder, created: &created)
                }
                let path = target + "/" + file.path
                try copyObject(file.digest, to: path, done: done, total: manifest.totalSize, progress: progress)
                created.append(path)
                done += file.size
            }
        } catch {
            for path in created.reversed() {
                if unlink(path) != 0 { _ = rmdir(path) }
            }
            throw error
        }
    }

    /// Creates one folder of an export; an existing real folder is fine, a link or file is refused
    /// (writing through a link could land outside the destination).
    private func makeFolder(_ path: String, created: inout [String]) throws {
        if let info = StoreIO.entryInfo(path) {
            guard StoreIO.kind(info.st_mode) == .directory else {
                throw StoreError(.destinationExists, "\(path) exists and is \(Self.describe(info)), not a folder; export "
                    + "into a new or empty folder — the export was undone")
            }
            return
        }
        guard mkdir(path, 0o755) == 0 else {
            throw StoreError.system(errno, "creating the folder \(path)", outcome: "the export was undone")
        }
        created.append(path)
    }

    /// Copies object `digest` to the new file `path`, checking its hash; removes the copy on failure.
    private func copyObject(_ digest: String, to path: String, done: Int64, total: Int64,
                            progress: (@Sendable (Int64, Int64) -> Void)?) throws {
        let outcome = "nothing was exported"
        let source = StoreIO.openFile(objectPath(digest), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard source >= 0 else {
            if errno == ENOENT || errno == ELOOP {
                throw StoreError(.objectMissing, "object \(digest) is missing from the store at \(rootPath); run "
                    + "`tessera store verify`, then re-push the artifact — \(outcome)")
            }
            throw StoreError.system(errno, "opening object \(objectPath(digest))", outcome: outcome)
        }
        defer { _ = StoreIO.closeFile(source) }
        let output = StoreIO.openFile(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard output >= 0 else {
            if errno == EEXIST { throw Self.exists(path) }
            throw StoreError.system(errno, "creating \(path)", outcome: outcome)
        }
        var isOpen = true
        var keep = false
        defer {
            if isOpen { _ = StoreIO.closeFile(output) }
            if !keep { StoreIO.removeFile(path) }
        }

        var hasher = StreamingSHA256()
        var copied: Int64 = 0
        let buffer = StoreIO.allocateChunk()
        defer { buffer.deallocate() }
        while true {
            let count = StoreIO.readSome(source, into: buffer)
            guard count >= 0 else { throw StoreError.system(errno, "reading object \(objectPath(digest))", outcome: outcome) }
            if count == 0 { break }
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[..<count])
            hasher.update(bytes)
            let failure = StoreIO.writeAll(output, bytes)
            guard failure == 0 else { throw StoreError.system(failure, "writing \(path)", outcome: outcome) }
            copied += Int64(count)
            progress?(done + copied, total)
        }
        isOpen = false
        let closeFailure = StoreIO.closeFile(output)
        guard closeFailure == 0 else { throw StoreError.system(closeFailure, "writing \(path)", outcome: outcome) }
        let actual = hasher.finish()
        guard actual == digest else {
            throw StoreError(.corruptObject, "object \(digest) is corrupt (its content hashes to \(actual)), so the copy "
                + "at \(path) was removed; run `tessera store verify`, then re-push the artifact")
        }
        keep = true
    }

    private static func exists(_ path: String) -> StoreError {
        StoreError(.destinationExists, "\(path) already exists; export into a new or empty folder (existing files are "
            + "never overwritten) — nothing was exported")
    }
}

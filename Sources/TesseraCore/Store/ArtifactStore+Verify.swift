import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How far a long store operation (verify, gc) has got.
public struct StoreProgress: Sendable, Hashable {
    public let objectsDone: Int
    public let objectsTotal: Int
    public let bytesDone: Int64
    public let bytesTotal: Int64

    public init(objectsDone: Int, objectsTotal: Int, bytesDone: Int64, bytesTotal: Int64) {
        self.objectsDone = objectsDone
        self.objectsTotal = objectsTotal
        self.bytesDone = bytesDone
        self.bytesTotal = bytesTotal
    }
}

/// What `ArtifactStore.verify` found.
public struct VerifyReport: Sendable {
    /// An object whose content or file is not what the store wrote.
    public struct Corrupt: Sendable, Hashable, CustomStringConvertible {
        public enum Reason: Sendable, Hashable {
            /// The content hashes to `actual`, not to the object's name.
            case contentMismatch(actual: String)
            /// The content is right, but the file is not read-only (0444): it could be changed in place.
            case wrongPermissions(mode: UInt32)
            /// A folder, link or other entry under an object's name.
            case notRegularFile
            /// The object could not be read (the error's text).
            case unreadable(String)
        }

        public let digest: String
        public let reason: Reason

        public var description: String {
            switch reason {
            case .contentMismatch(let actual): "\(digest): content hashes to \(actual)"
            case .wrongPermissions(let mode): "\(digest): permissions are \(String(mode, radix: 8)), expected 444 (read-only)"
            case .notRegularFile: "\(digest): not a regular file"
            case .unreadable(let error): "\(digest): cannot be read (\(error))"
            }
        }
    }

    /// Objects hashed (including corrupt ones).
    public internal(set) var checked = 0
    public internal(set) var bytesChecked: Int64 = 0
    /// Damaged objects, sorted by digest.
    public internal(set) var corrupt: [Corrupt] = []
    /// Paths under the store (`objects/…`) that are not object names; the store never creates
    /// them and leaves them alone (garbage collection does not remove them).
    public internal(set) var unexpected: [String] = []
    /// Every object name found, corrupt or not.
    public internal(set) var present: Set<String> = []
    /// Objects the referenced artifacts need that the store does not have, sorted: artifact
    /// objects, and files listed by intact manifests.
    public internal(set) var missing: [String] = []

    /// Whether nothing is wrong.
    public var isClean: Bool { corrupt.isEmpty && unexpected.isEmpty && missing.isEmpty }
}

extension ArtifactStore {
    /// Re-hashes every object and reports damaged ones and stray files, and which objects the
    /// `referenced` artifacts (artifact digests, as the registry records them; read them before
    /// calling, so artifacts added meanwhile are not reported missing) need but the store lacks.
    /// Reads each object once; never changes the store and takes no lock (objects removed
    /// meanwhile by gc are skipped). `progress` is called after every object and every 64 MiB
    /// within a large one.
    public func verify(referenced: Set<String> = [],
                       progress: (@Sendable (StoreProgress) -> Void)? = nil) throws -> VerifyReport {
        let (objects, unexpected) = try listObjects(outcome: "nothing was verified")
        var report = VerifyReport()
        report.unexpected = unexpected
        let totalBytes = objects.reduce(Int64(0)) { $0 + ($1.isRegularFile ? Int64($1.info.st_size) : 0) }
        let buffer = StoreIO.allocateChunk()
        defer { buffer.deallocate() }
        let reportEvery = Int64(64 << 20)

        for (index, object) in objects.enumerated() {
            report.present.insert(object.digest)
            func tell() {
                progress?(StoreProgress(objectsDone: index + 1, objectsTotal: objects.count,
                                        bytesDone: report.bytesChecked, bytesTotal: totalBytes))
            }
            guard object.isRegularFile else {
                report.corrupt.append(.init(digest: object.digest, reason: .notRegularFile))
                tell()
                continue
            }
            let fd = StoreIO.openFile(object.path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else {
                if errno == ENOENT {  // removed by gc since it was listed
                    report.present.remove(object.digest)
                    tell()
                    continue
                }
                report.corrupt.append(.init(digest: object.digest, reason: .unreadable(String(cString: strerror(errno)))))
                tell()
                continue
            }
            defer { _ = StoreIO.closeFile(fd) }
            report.checked += 1
            var hasher = StreamingSHA256()
            var sinceReport: Int64 = 0
            var readError: Int32 = 0
            while true {
                let count = StoreIO.readSome(fd, into: buffer)
                if count < 0 { readError = errno; break }
                if count == 0 { break }
                hasher.update(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
                report.bytesChecked += Int64(count)
                sinceReport += Int64(count)
                if sinceReport >= reportEvery {
                    sinceReport = 0
                    progress?(StoreProgress(objectsDone: index, objectsTotal: objects.count,
                                            bytesDone: report.bytesChecked, bytesTotal: totalBytes))
                }
            }
            let mode = UInt32(object.info.st_mode) & 0o7777
            if readError != 0 {
                report.corrupt.append(.init(digest: object.digest, reason: .unreadable(String(cString: strerror(readError)))))
            } else if case let actual = hasher.finish(), actual != object.digest {
                report.corrupt.append(.init(digest: object.digest, reason: .contentMismatch(actual: actual)))
            } else if mode != 0o444 {
                report.corrupt.append(.init(digest: object.digest, reason: .wrongPermissions(mode: mode)))
            }
            tell()
        }
        let needed = resolve(referenced).objects
        report.missing = needed.subtracting(report.present).sorted()
        return report
    }
}

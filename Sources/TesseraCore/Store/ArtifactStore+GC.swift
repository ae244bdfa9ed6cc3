import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `ArtifactStore.collectGarbage` removed (or, in a dry run, would remove).
public struct GCReport: Sendable, Hashable {
    /// Digests of the unreferenced objects, sorted.
    public internal(set) var removed: [String] = []
    public internal(set) var bytesFreed: Int64 = 0
    /// Objects kept because a referenced artifact needs them.
    public internal(set) var kept = 0
    /// Leftovers of crashed writes removed from `tmp/` (0 in a dry run).
    public internal(set) var temporaryFilesRemoved = 0
    public internal(set) var dryRun = false
}

extension ArtifactStore {
    /// Removes every object that no artifact in `referenced` needs. `referenced` holds artifact
    /// digests, as the registry records them, and must be complete (every artifact any version
    /// refers to): an artifact keeps its own object, and a folder artifact also keeps the files
    /// its manifest lists (folder artifacts are recognised by content, see `resolve`). With
    /// `dryRun`, reports what would be removed and changes nothing.
    ///
    /// Holds the lock exclusively, so it waits for writers to commit and blocks new ones. If any
    /// referenced object is missing, corrupt or unreadable, it stops before removing anything:
    /// it could be a folder manifest whose files would then lose their protection. Files under
    /// `objects/` that are not object names are left alone (`verify` reports them).
    /// `progress` is called after every object examined.
    public func collectGarbage(referenced: Set<String>, dryRun: Bool = false,
                               progress: (@Sendable (StoreProgress) -> Void)? = nil) throws -> GCReport {
        try lock.withExclusive {
            let references = resolve(referenced)
            let advice = "Run `tessera store verify`, then re-push or delete the versions that use it, and retry"
            if let digest = references.missing.first {
                throw StoreError(.objectMissing, "garbage collection removed nothing: the referenced object \(digest) "
                    + "\(references.missing.count > 1 ? "(and \(references.missing.count - 1) more) are" : "is") missing "
                    + "from the store, so gc cannot tell whether it was a folder manifest whose files must be kept. \(advice)")
            }
            if let error = references.unreadable.first {
                throw StoreError(error.code, "garbage collection removed nothing: a referenced object cannot be checked, "
                    + "so gc cannot tell which files it keeps alive (\(error.message)). \(advice)")
            }

            let (objects, _) = try listObjects(outcome: "nothing was removed")
            let totalBytes = objects.reduce(Int64(0)) { $0 + Int64($1.info.st_size) }
            var report = GCReport()
            report.dryRun = dryRun
            var examinedBytes: Int64 = 0
            var touched = Set<String>()
            for (index, object) in objects.enumerated() {
                examinedBytes += Int64(object.info.st_size)
                defer {
                    progress?(StoreProgress(objectsDone: index + 1, objectsTotal: objects.count,
                                            bytesDone: examinedBytes, bytesTotal: totalBytes))
                }
                if references.objects.contains(object.digest) {
                    report.kept += 1
                    continue
                }
                // Only regular files are objects the store wrote; anything else is left for a person to look at.
                guard object.isRegularFile else { continue }
                if !dryRun {
                    guard unlink(object.path) == 0 else {
                        throw StoreError.system(errno, "removing \(object.path)", outcome: "garbage collection stopped "
                            + "after removing \(report.removed.count) objects; fix the cause and run it again")
                    }
                    touched.insert(object.folder)
                }
                report.removed.append(object.digest)
                report.bytesFreed += Int64(object.info.st_size)
            }
            let outcome = "the removed objects may reappear after a crash; run gc again"
            for folder in touched.sorted() {
                try StoreIO.syncDirectory(folder, outcome: outcome)
            }
            // No writer holds the lock now, so everything in tmp/ is left over from a crash.
            if !dryRun {
                report.temporaryFilesRemoved = try removeTemporaryFiles()
            }
            return report
        }
    }
}

import Foundation
import Synchronization
import Testing
@testable import TesseraCore
import TesseraTestSupport

/// The content-addressed artifact store, exercised on real files: digests checked against
/// sha256sum, failures provoked with real I/O errors (a file shrinking mid-copy, EIO, a full
/// tmpfs), and the lock contended by a real second process (flock(1)).
@Suite("Artifact store")
struct ArtifactStoreTests {
    // MARK: - Helpers

    /// A new store in a fresh folder, and a separate fresh folder for source files.
    static func makeStore() throws -> (store: ArtifactStore, sources: URL) {
        let root = try TestSupport.temporaryDirectory("tessera-store")
        let sources = try TestSupport.temporaryDirectory("tessera-store-src")
        return (try ArtifactStore(root: root.appendingPathComponent("store")), sources)
    }

    /// Deterministic, non-repeating-looking bytes.
    static func bytes(_ count: Int, seed: UInt64 = 1) -> Data {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        var data = Data(count: count)
        data.withUnsafeMutableBytes { (buffer: UnsafeMutableRawBufferPointer) in
            for index in 0..<count {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                buffer[index] = UInt8(truncatingIfNeeded: state)
            }
        }
        return data
    }

    @discardableResult
    static func write(_ data: Data, _ relative: String, in folder: URL) throws -> URL {
        let url = folder.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
        return url
    }

    /// The relative paths of every file (not folder) under `folder`, sorted.
    static func files(under folder: URL) throws -> [String] {
        try FileManager.default.subpathsOfDirectory(atPath: folder.path).filter { path in
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: folder.path + "/" + path, isDirectory: &isFolder) && !isFolder.boolValue
        }.sorted()
    }

    /// Every file under objects/, as "ab/cdef…".
    static func objectFiles(_ store: ArtifactStore) throws -> [String] {
        try files(under: store.root.appendingPathComponent("objects"))
    }

    static func temporaryFiles(_ store: ArtifactStore) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: store.root.appendingPathComponent("tmp").path)
    }

    static func sha256sum(_ url: URL) throws -> String {
        let output = try TestSupport.run("/usr/bin/sha256sum", [url.path])
        return String(output.stdout.prefix(64))
    }

    static func expectStoreError(_ code: StoreError.Code, mentioning texts: [String] = [],
                                 sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected StoreError \(code), nothing was thrown", sourceLocation: sourceLocation)
        } catch let error as StoreError {
            #expect(error.code == code, "message: \(error.message)", sourceLocation: sourceLocation)
            for text in texts {
                #expect(error.message.contains(text), "message: \(error.message)", sourceLocation: sourceLocation)
            }
        } catch {
            Issue.record("expected StoreError \(code), got \(error)", sourceLocation: sourceLocation)
        }
    }

    // MARK: - Storing

    @Test("stores a file at objects/ab/… named by the digest sha256sum computes, read-only")
    func storesFile() throws {
        let (store, sources) = try Self.makeStore()
        let content = Self.bytes(2_500_000)
        let file = try Self.write(content, "model.onnx", in: sources)
        let expected = try Self.sha256sum(file)

        let object = try store.putFile(file)

        #expect(object.digest == expected)
        #expect(object.size == Int64(content.count))
        let path = store.root.appendingPathComponent("objects/\(expected.prefix(2))/\(expected.dropFirst(2))").path
        #expect(try store.objectURL(object.digest).path == path)
        #expect(FileManager.default.contents(atPath: path) == content)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o444)
        #expect(store.contains(object.digest))
        #expect(!store.contains(String(repeating: "0", count: 64)))
        #expect(!store.contains("../../etc/passwd"))
        #expect(try Self.temporaryFiles(store).isEmpty)
        // A single file is a file artifact with the same digest.
        let artifact = try store.putArtifact(file)
        #expect(artifact == Artifact(kind: .file, digest: expected, size: Int64(content.count), files: 1))
    }

    @Test("stores identical content once")
    func deduplicates() throws {
        let (store, sources) = try Self.makeStore()
        let content = Self.bytes(300_000, seed: 7)
        let first = try Self.write(content, "a.bin", in: sources)
        let second = try Self.write(content, "copy/b.bin", in: sources)

        let objects = [try store.putFile(first), try store.putFile(first), try store.putFile(second)]

        #expect(Set(objects).count == 1)
        #expect(try Self.objectFiles(store) == ["\(objects[0].digest.prefix(2))/\(objects[0].digest.dropFirst(2))"])
        #expect(try Self.temporaryFiles(store).isEmpty)
    }

    @Test("a folder with nested files round-trips through export byte-for-byte, its manifest sorted")
    func folderRoundTrip() throws {
        let (store, sources) = try Self.makeStore()
        let folder = sources.appendingPathComponent("hf-model")
        let files: [String: Data] = [
            "config.json": Data(#"{"hidden_size": 8}"#.utf8),
            "model.onnx": Self.bytes(1_200_000, seed: 2),
            "model.onnx.data": Self.bytes(2_300_000, seed: 3),
            "a.txt": Data("a".utf8),
            "a/b.txt": Data("b".utf8),
            "tokenizer/vocab/merges.txt": Data("m e\nr g\n".utf8),
            "tokenizer/empty.bin": Data(),
            "same-as-config.json": Data(#"{"hidden_size": 8}"#.utf8),
        ]
        for (path, data) in files { try Self.write(data, path, in: folder) }
        let total = Int64(files.values.reduce(0) { $0 + $1.count })
        let reports = Mutex<[Int64]>([])

        let artifact = try store.putArtifact(folder) { done, all in
            #expect(all == total)
            reports.withLock { $0.append(done) }
        }

        #expect(artifact.kind == .directory)
        #expect(artifact.files == files.count)
        #expect(artifact.size == total)
        let progress = reports.withLock { $0 }
        #expect(progress == progress.sorted())
        #expect(progress.last == total)

        let manifest = try store.manifest(artifact.digest)
        // UTF-8 byte order: "a.txt" < "a/b.txt" because '.' (0x2e) < '/' (0x2f).
        #expect(manifest.files.map(\.path) == ["a.txt", "a/b.txt", "config.json", "model.onnx", "model.onnx.data",
                                               "same-as-config.json", "tokenizer/empty.bin", "tokenizer/vocab/merges.txt"])
        for entry in manifest.files {
            #expect(entry.digest == SHA256.hex(of: files[entry.path]!))
            #expect(entry.size == Int64(files[entry.path]!.count))
        }
        // Identical files share an object; the manifest is an object too.
        let digests = try store.objectDigests(of: artifact)
        #expect(digests.count == 7 + 1)
        #expect(digests.last == artifact.digest)
        #expect(try Self.objectFiles(store).count == 8)

        let destination = sources.appendingPathComponent("exported")
        try store.export(artifact, to: destination)
        #expect(try Self.files(under: destination) == files.keys.sorted())
        for (path, data) in files {
            #expect(FileManager.default.contents(atPath: destination.appendingPathComponent(path).path) == data, "\(path)")
        }
        // A file artifact exports to a file path.
        let single = try store.putArtifact(folder.appendingPathComponent("model.onnx"))
        let target = sources.appendingPathComponent("single/model.onnx")
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try store.export(single, to: target)
        #expect(FileManager.default.contents(atPath: target.path) == files["model.onnx"])
    }

    @Test("the manifest is canonical JSON: sorted keys, sorted paths, no whitespace")
    func canonicalManifest() throws {
        let (store, sources) = try Self.makeStore()
        let folder = sources.appendingPathComponent("m")
        try Self.write(Data("2".utf8), "z \"quoted\".txt", in: folder)
        try Self.write(Data("1".utf8), "b/a.txt", in: folder)
        let artifact = try store.putArtifact(folder)

        let stored = try String(contentsOf: try store.objectURL(artifact.digest), encoding: .utf8)
        let one = SHA256.hex(of: Array("1".utf8)), two = SHA256.hex(of: Array("2".utf8))
        #expect(stored == #"{"files":[{"digest":"\#(one)","path":"b/a.txt","size":1},"#
            + #"{"digest":"\#(two)","path":"z \"quoted\".txt","size":1}],"format":"tessera-manifest/1"}"#)
        #expect(artifact.digest == SHA256.hex(of: Array(stored.utf8)))
        // The same folder stored again gives the same artifact.
        #expect(try store.putArtifact(folder) == artifact)
    }

    @Test("export never overwrites: an existing file makes it refuse before writing anything")
    func exportRefusesOverwrite() throws {
        let (store, sources) = try Self.makeStore()
        let folder = sources.appendingPathComponent("m")
        try Self.write(Data("one".utf8), "a.txt", in: folder)
        try Self.write(Data("two".utf8), "sub/b.txt", in: folder)
        let artifact = try store.putArtifact(folder)
        let file = try store.putArtifact(folder.appendingPathComponent("a.txt"))

        let existing = try Self.write(Data("mine".utf8), "out.txt", in: sources)
        Self.expectStoreError(.destinationExists, mentioning: [existing.path, "never overwritten"]) {
            try store.export(file, to: existing)
        }
        #expect(FileManager.default.contents(atPath: existing.path) == Data("mine".utf8))

        let destination = sources.appendingPathComponent("dest")
        try Self.write(Data("keep".utf8), "sub/b.txt", in: destination)
        Self.expectStoreError(.destinationExists, mentioning: ["sub/b.txt"]) {
            try store.export(artifact, to: destination)
        }
        #expect(!FileManager.default.fileExists(atPath: destination.appendingPathComponent("a.txt").path))
        #expect(FileManager.default.contents(atPath: destination.appendingPathComponent("sub/b.txt").path) == Data("keep".utf8))
    }

    // MARK: - Refusals and failures mid-write

    @Test("a folder, a FIFO and links leading outside the folder are refused before anything is written")
    func refusesUnsupportedFiles() throws {
        let (store, sources) = try Self.makeStore()
        let manager = FileManager.default

        let plain = sources.appendingPathComponent("plain")
        try Self.write(Data("x".utf8), "x.txt", in: plain)
        Self.expectStoreError(.notAFile, mentioning: ["is a folder", "nothing was stored"]) { _ = try store.putFile(plain) }

        let fifoFolder = sources.appendingPathComponent("with-fifo")
        try Self.write(Data("x".utf8), "a.txt", in: fifoFolder)
        let fifo = fifoFolder.appendingPathComponent("pipe")
        #expect(mkfifo(fifo.path, 0o644) == 0)
        // Opening a FIFO must not hang waiting for a writer.
        Self.expectStoreError(.unsupportedFile, mentioning: ["FIFO"]) { _ = try store.putFile(fifo) }
        Self.expectStoreError(.unsupportedFile, mentioning: ["'pipe'", "FIFO", "nothing was stored"]) {
            _ = try store.putArtifact(fifoFolder)
        }

        let outside = try Self.write(Data("secret".utf8), "outside.txt", in: sources)
        let leaky = sources.appendingPathComponent("leaky")
        try Self.write(Data("x".utf8), "a.txt", in: leaky)
        try manager.createSymbolicLink(atPath: leaky.appendingPathComponent("weights.bin").path, withDestinationPath: outside.path)
        Self.expectStoreError(.symlinkOutside, mentioning: ["'weights.bin'", "outside the folder", "nothing was stored"]) {
            _ = try store.putArtifact(leaky)
        }
        let relative = sources.appendingPathComponent("relative")
        try Self.write(Data("x".utf8), "a.txt", in: relative)
        try manager.createSymbolicLink(atPath: relative.appendingPathComponent("up.bin").path, withDestinationPath: "../outside.txt")
        Self.expectStoreError(.symlinkOutside) { _ = try store.putArtifact(relative) }
        let dangling = sources.appendingPathComponent("dangling")
        try Self.write(Data("x".utf8), "a.txt", in: dangling)
        try manager.createSymbolicLink(atPath: dangling.appendingPathComponent("gone").path, withDestinationPath: "nowhere")
        Self.expectStoreError(.symlinkOutside, mentioning: ["missing"]) { _ = try store.putArtifact(dangling) }

        Self.expectStoreError(.emptyArtifact) {
            _ = try store.putArtifact(try TestSupport.temporaryDirectory("tessera-empty"))
        }
        Self.expectStoreError(.sourceMissing) { _ = try store.putFile(sources.appendingPathComponent("nope")) }
        #expect(try Self.objectFiles(store).isEmpty)
        #expect(try Self.temporaryFiles(store).isEmpty)

        // A link to a file inside the folder is stored as that file.
        let linked = sources.appendingPathComponent("linked")
        try Self.write(Data("real".utf8), "blobs/abc", in: linked)
        try manager.createSymbolicLink(atPath: linked.appendingPathComponent("config.json").path, withDestinationPath: "blobs/abc")
        let artifact = try store.putArtifact(linked)
        #expect(try store.manifest(artifact.digest).files.map(\.path) == ["blobs/abc", "config.json"])
    }

    @Test("a source that shrinks mid-copy leaves no object and no temporary file")
    func sourceShrinks() throws {
        let (store, sources) = try Self.makeStore()
        let file = try Self.write(Self.bytes(3 << 20), "growing.bin", in: sources)
        let path = file.path
        // After the first 1 MiB chunk is written, cut the file to 1.5 MiB: the copy then ends early.
        Self.expectStoreError(.sourceChanged, mentioning: [path, "changed while it was being stored", "nothing was stored"]) {
            _ = try store.putFile(file) { done, _ in
                if done == 1 << 20 { _ = truncate(path, 3 << 19) }
            }
        }
        #expect(try Self.objectFiles(store).isEmpty)
        #expect(try Self.temporaryFiles(store).isEmpty)
    }

    @Test("a read error mid-copy (EIO from /proc/self/mem) leaves no object and no temporary file",
          .enabled(if: FileManager.default.fileExists(atPath: "/proc/self/mem")))
    func readError() throws {
        let (store, _) = try Self.makeStore()
        // /proc/self/mem is a regular file whose offset 0 is unmapped memory: read(2) fails with EIO.
        Self.expectStoreError(.ioFailed, mentioning: ["I/O error while reading /proc/self/mem", "nothing was stored"]) {
            _ = try store.putFile(URL(fileURLWithPath: "/proc/self/mem"))
        }
        #expect(try Self.objectFiles(store).isEmpty)
        #expect(try Self.temporaryFiles(store).isEmpty)
    }

    /// Whether this process may mount a tmpfs (root on Linux, not in a restricted container).
    static let canMountTmpfs: Bool = {
        guard getuid() == 0, let probe = try? TestSupport.temporaryDirectory("tessera-tmpfs-probe") else { return false }
        defer { try? FileManager.default.removeItem(at: probe) }
        guard let mounted = try? TestSupport.run("/usr/bin/env", ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe.path]),
              mounted.status == 0 else { return false }
        _ = try? TestSupport.run("/usr/bin/env", ["umount", probe.path])
        return true
    }()

    @Test("running out of space leaves no object and no temporary file, and says what to do",
          .enabled(if: canMountTmpfs, "needs root to mount a 64 KiB tmpfs"))
    func diskFull() throws {
        let mountPoint = try TestSupport.temporaryDirectory("tessera-full")
        try TestSupport.run("/usr/bin/env", ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint.path])
        defer { _ = try? TestSupport.run("/usr/bin/env", ["umount", mountPoint.path]) }
        let store = try ArtifactStore(root: mountPoint.appendingPathComponent("store"))
        let sources = try TestSupport.temporaryDirectory("tessera-store-src")
        let big = try Self.write(Self.bytes(256 << 10), "big.bin", in: sources)

        Self.expectStoreError(.noSpace, mentioning: ["no space left on device while writing \(big.path)", "free space and retry",
                                                     "nothing was stored"]) {
            _ = try store.putFile(big)
        }
        #expect(try Self.objectFiles(store).isEmpty)
        #expect(try Self.temporaryFiles(store).isEmpty)
        // The space of the failed copy was given back: a small file still fits.
        let small = try Self.write(Data("fits".utf8), "small.txt", in: sources)
        #expect(store.contains(try store.putFile(small).digest))
    }

    @Test("stale temporary files are removed when the store is opened, but not while a writer holds the lock")
    func staleTemporaryFiles() throws {
        let (store, _) = try Self.makeStore()
        let tmp = store.root.appendingPathComponent("tmp")
        try Self.write(Data("half".utf8), "crashed.partial", in: tmp)

        try store.lock.withShared {
            try Self.write(Data("busy".utf8), "in-flight.partial", in: tmp)
            _ = try ArtifactStore(root: store.root)
            #expect(Set(try Self.temporaryFiles(store)) == ["crashed.partial", "in-flight.partial"])
        }
        _ = try ArtifactStore(root: store.root)
        #expect(try Self.temporaryFiles(store).isEmpty)
    }

    @Test("a manifest listing an unsafe path is refused when read and exports nothing", arguments: [
        "../evil", "/etc/passwd", "a/../../b", "a//b", "./a", "a/", "",
    ])
    func unsafeManifest(path: String) throws {
        let (store, sources) = try Self.makeStore()
        let digest = SHA256.hex(of: Array("x".utf8))
        let escaped = path.replacingOccurrences(of: "/", with: "\\/")  // JSON allows escaped slashes
        let json = #"{"format":"tessera-manifest/1","files":[{"path":"\#(escaped)","digest":"\#(digest)","size":1}]}"#
        let manifest = try store.putFile(try Self.write(Data(json.utf8), "manifest.json", in: sources))
        _ = try store.putFile(try Self.write(Data("x".utf8), "x", in: sources))

        Self.expectStoreError(.invalidManifest, mentioning: ["manifest \(manifest.digest)", "refused"]) {
            _ = try store.manifest(manifest.digest)
        }
        let destination = sources.appendingPathComponent("out/inner")
        Self.expectStoreError(.invalidManifest) {
            try store.export(Artifact(kind: .directory, digest: manifest.digest, size: 1, files: 1), to: destination)
        }
        #expect(!FileManager.default.fileExists(atPath: sources.appendingPathComponent("out").path))
    }

    @Test("a manifest with duplicate paths, a file-folder clash or an unknown format is refused")
    func malformedManifests() throws {
        let digest = SHA256.hex(of: Array("x".utf8))
        func entry(_ path: String) -> String { #"{"path":"\#(path)","digest":"\#(digest)","size":1}"# }
        let cases = [
            (#"{"format":"tessera-manifest/1","files":[\#(entry("a")),\#(entry("a"))]}"#, "twice"),
            (#"{"format":"tessera-manifest/1","files":[\#(entry("a")),\#(entry("a/b"))]}"#, "both as a file and as a folder"),
            (#"{"format":"tessera-manifest/9","files":[]}"#, "upgrade Tessera"),
            (#"{"format":"tessera-manifest/1","files":[{"path":"a","digest":"XYZ","size":1}]}"#, "not 64 lower-case hex"),
            ("not json", "not valid"),
        ]
        for (json, mention) in cases {
            Self.expectStoreError(.invalidManifest, mentioning: [mention]) {
                _ = try ArtifactManifest(decoding: Data(json.utf8))
            }
        }
    }

    // MARK: - Verify and garbage collection

    @Test("verify finds a corrupted object, a writable object and unexpected files")
    func verifyFindsDamage() throws {
        let (store, sources) = try Self.makeStore()
        let good = try store.putFile(try Self.write(Self.bytes(100_000, seed: 1), "good", in: sources))
        let flipped = try store.putFile(try Self.write(Self.bytes(100_000, seed: 2), "flipped", in: sources))
        let writable = try store.putFile(try Self.write(Self.bytes(10, seed: 3), "writable", in: sources))
        #expect(try store.verify().isClean)

        let flippedPath = try store.objectURL(flipped.digest).path
        #expect(chmod(flippedPath, 0o644) == 0)
        var content = try Data(contentsOf: URL(fileURLWithPath: flippedPath))
        content[5_000] ^= 0x01
        try content.write(to: URL(fileURLWithPath: flippedPath))
        #expect(chmod(flippedPath, 0o444) == 0)
        #expect(chmod(try store.objectURL(writable.digest).path, 0o644) == 0)
        let objects = store.root.appendingPathComponent("objects")
        try Self.write(Data(), "zz/junk", in: objects)
        try Self.write(Data(), "\(good.digest.prefix(2))/not-a-digest", in: objects)

        let reports = Mutex<[StoreProgress]>([])
        let report = try store.verify { progress in reports.withLock { $0.append(progress) } }

        #expect(report.checked == 3)
        #expect(report.bytesChecked == 200_010)
        #expect(report.corrupt.map(\.digest).sorted() == [flipped.digest, writable.digest].sorted())
        let byDigest = Dictionary(uniqueKeysWithValues: report.corrupt.map { ($0.digest, $0.reason) })
        #expect(byDigest[flipped.digest] == .contentMismatch(actual: SHA256.hex(of: content)))
        #expect(byDigest[writable.digest] == .wrongPermissions(mode: 0o644))
        #expect(report.unexpected.sorted() == ["objects/\(good.digest.prefix(2))/not-a-digest", "objects/zz"].sorted())
        #expect(!report.isClean)
        #expect(report.missing.isEmpty)
        let last = reports.withLock { $0.last }
        #expect(last == StoreProgress(objectsDone: 3, objectsTotal: 3, bytesDone: 200_010, bytesTotal: 200_010))
    }

    @Test("gc removes exactly the unreferenced objects, keeps files a manifest lists; dry run removes nothing")
    func garbageCollection() throws {
        let (store, sources) = try Self.makeStore()
        let kept = try store.putArtifact(try Self.write(Data("kept".utf8), "kept.bin", in: sources))
        let dropped = try store.putArtifact(try Self.write(Data("dropped!".utf8), "dropped.bin", in: sources))
        let keptFolder = sources.appendingPathComponent("kept-folder")
        try Self.write(Data("shared".utf8), "shared.txt", in: keptFolder)
        try Self.write(Data("only in kept".utf8), "sub/own.txt", in: keptFolder)
        let folder = try store.putArtifact(keptFolder)
        let droppedFolder = sources.appendingPathComponent("dropped-folder")
        try Self.write(Data("shared".utf8), "shared.txt", in: droppedFolder)
        try Self.write(Data("only in dropped".utf8), "mine.txt", in: droppedFolder)
        let other = try store.putArtifact(droppedFolder)
        let before = try Self.objectFiles(store)
        #expect(before.count == 7)

        let expected = [dropped.digest, other.digest, SHA256.hex(of: Array("only in dropped".utf8))].sorted()
        let otherManifestSize = Int64(try Data(contentsOf: try store.objectURL(other.digest)).count)
        let expectedBytes = Int64("dropped!".utf8.count + "only in dropped".utf8.count) + otherManifestSize

        let referenced: Set<String> = [kept.digest, folder.digest]
        let dry = try store.collectGarbage(referenced: referenced, dryRun: true)
        #expect(dry.removed == expected)
        #expect(dry.bytesFreed == expectedBytes)
        #expect(dry.kept == 4)
        #expect(try Self.objectFiles(store) == before)

        let reports = Mutex<[StoreProgress]>([])
        let report = try store.collectGarbage(referenced: referenced) { progress in reports.withLock { $0.append(progress) } }
        #expect(report.removed == expected)
        #expect(report.bytesFreed == expectedBytes)
        #expect(reports.withLock { $0.last?.objectsDone } == 7)
        for digest in expected { #expect(!store.contains(digest)) }
        #expect(try Self.objectFiles(store).count == 4)
        #expect(try store.verify(referenced: referenced).isClean)
        // What stayed is still whole.
        let destination = sources.appendingPathComponent("exported")
        try store.export(folder, to: destination)
        #expect(FileManager.default.contents(atPath: destination.appendingPathComponent("sub/own.txt").path) == Data("only in kept".utf8))
        #expect(try store.collectGarbage(referenced: referenced).removed.isEmpty)
    }

    @Test("gc removes nothing when a referenced object is missing or a referenced manifest is corrupt")
    func garbageCollectionNeedsIntactReferences() throws {
        let (store, sources) = try Self.makeStore()
        let folder = sources.appendingPathComponent("f")
        try Self.write(Data("x".utf8), "x.txt", in: folder)
        let artifact = try store.putArtifact(folder)
        let stray = try store.putFile(try Self.write(Data("stray".utf8), "stray", in: sources))
        let manifestPath = try store.objectURL(artifact.digest).path
        let manifest = try Data(contentsOf: URL(fileURLWithPath: manifestPath))

        // Corrupt: one byte of the manifest flipped (so it no longer parses, nor hashes to its name).
        var damaged = manifest
        damaged[0] ^= 0x20
        #expect(chmod(manifestPath, 0o644) == 0)
        try damaged.write(to: URL(fileURLWithPath: manifestPath))
        Self.expectStoreError(.corruptObject, mentioning: ["garbage collection removed nothing", artifact.digest]) {
            _ = try store.collectGarbage(referenced: [artifact.digest])
        }
        // Missing.
        try FileManager.default.removeItem(atPath: manifestPath)
        Self.expectStoreError(.objectMissing, mentioning: ["garbage collection removed nothing", artifact.digest, "verify"]) {
            _ = try store.collectGarbage(referenced: [artifact.digest])
        }
        #expect(store.contains(stray.digest))
        #expect(store.contains(SHA256.hex(of: Array("x".utf8))))
        Self.expectStoreError(.invalidDigest) { _ = try store.collectGarbage(referenced: ["not-a-digest"]) }
    }

    @Test("verify reports the objects referenced artifacts need but the store lacks")
    func verifyFindsMissing() throws {
        let (store, sources) = try Self.makeStore()
        let folder = sources.appendingPathComponent("f")
        try Self.write(Data("lost".utf8), "lost.txt", in: folder)
        try Self.write(Data("here".utf8), "here.txt", in: folder)
        let artifact = try store.putArtifact(folder)
        let lost = SHA256.hex(of: Array("lost".utf8))
        try FileManager.default.removeItem(at: try store.objectURL(lost))
        let neverStored = String(repeating: "a", count: 64)

        let report = try store.verify(referenced: [artifact.digest, neverStored])

        #expect(report.missing == [lost, neverStored].sorted())
        #expect(report.corrupt.isEmpty)
        #expect(!report.isClean)
        #expect(report.present.contains(artifact.digest))
    }

    // MARK: - Locking

    /// Starts `flock <mode> <lock> sh -c 'echo held; sleep 0.6; touch <marker>'` and returns once
    /// it holds the lock. The marker appears just before the lock is released, so whether it
    /// exists tells, without timing, whether the other process still held the lock.
    static func holdLock(_ lock: String, mode: String, marker: URL) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        process.arguments = [mode, lock, "/bin/sh", "-c", "echo held; sleep 0.6; touch '\(marker.path)'"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("held") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += chunk
        }
        return process
    }

    @Test("another process holding the lock exclusively makes withShared wait; a shared holder does not",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/flock")))
    func lockAcrossProcesses() throws {
        let (store, sources) = try Self.makeStore()
        let lock = store.lock.path
        func finished(_ marker: URL) -> Bool { FileManager.default.fileExists(atPath: marker.path) }

        let first = sources.appendingPathComponent("exclusive-done")
        let exclusive = try Self.holdLock(lock, mode: "-x", marker: first)
        #expect(!finished(first))
        try store.lock.withShared {
            #expect(finished(first), "withShared ran while another process held the lock exclusively")
        }
        exclusive.waitUntilExit()

        let second = sources.appendingPathComponent("shared-done")
        let shared = try Self.holdLock(lock, mode: "-s", marker: second)
        try store.lock.withShared {
            #expect(!finished(second), "withShared waited for another process's shared lock")
        }
        try store.lock.withExclusive {
            #expect(finished(second), "withExclusive ran while another process held the lock in shared mode")
        }
        shared.waitUntilExit()
    }

    @Test("nested locking on one thread: shared inside shared runs, exclusive inside shared throws instead of deadlocking")
    func nestedLocking() throws {
        let (store, _) = try Self.makeStore()
        let inner = try store.lock.withShared { try store.lock.withShared { 42 } }
        #expect(inner == 42)
        try store.lock.withExclusive {
            try store.lock.withShared {}
            try store.lock.withExclusive {}
        }
        Self.expectStoreError(.lockMisuse, mentioning: ["withExclusive", "withShared"]) {
            try store.lock.withShared { try store.lock.withExclusive {} }
        }
        // gc takes the lock exclusively, so it is refused inside a writer's scope rather than hanging.
        Self.expectStoreError(.lockMisuse) {
            try store.lock.withShared { _ = try store.collectGarbage(referenced: Set<String>()) }
        }
        // A put inside a writer's shared scope (the registry pattern) just works.
        let sources = try TestSupport.temporaryDirectory("tessera-store-src")
        let object = try store.lock.withShared { try store.putFile(try Self.write(Data("row".utf8), "row", in: sources)) }
        #expect(store.contains(object.digest))
    }
}

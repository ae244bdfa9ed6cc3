import Foundation
import Testing
import TesseraTestSupport

/// The lifecycle commands of `tessera`, run as a user would, on a real store in a temp folder.
@Suite("tessera store commands", .serialized)
struct StoreCommandTests {
    let tessera = TestSupport.productsDirectory.appendingPathComponent("tessera").path
    static let fixture = TestSupport.root.appendingPathComponent("Plugins/safetensors/fixtures/tiny.safetensors")

    /// A valid safetensors file holding one U8 tensor of `size` bytes, each `fill`: laid out as
    /// the format specifies (little-endian header length, JSON header padded with spaces).
    static func safetensors(size: Int, fill: UInt8, at url: URL) throws {
        var header = "{\"w\":{\"dtype\":\"U8\",\"shape\":[\(size)],\"data_offsets\":[0,\(size)]}}"
        while header.utf8.count % 8 != 0 { header += " " }
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) }
        bytes += Array(header.utf8)
        bytes += [UInt8](repeating: fill, count: size)
        try Data(bytes).write(to: url)
    }

    func run(_ arguments: [String], store: URL) throws -> TestSupport.Output {
        try TestSupport.run(tessera, arguments + ["--store", store.path], environment: ["USER": "tester", "PATH": "/usr/bin:/bin"])
    }

    @Test("register, list, diff, alias, tag, deploy, rollback, audit and export, end to end")
    func lifecycle() throws {
        let folder = try TestSupport.temporaryDirectory("tessera-store")
        let store = folder.appendingPathComponent("store")
        let second = folder.appendingPathComponent("b.safetensors")
        try Self.safetensors(size: 64, fill: 7, at: second)

        let first = try run(["register", "bert", Self.fixture.path, "--tag", "team=search", "--alias", "staging"], store: store)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("registered bert:1 (safetensors, 919 bytes, sha256 3dc1bd41d7dd)"))
        #expect(try run(["register", "bert", second.path, "--parent", "1", "--notes", "smaller"], store: store).status == 0)

        let versions = try run(["versions", "bert", "--json"], store: store)
        let list = try #require(try JSONSerialization.jsonObject(with: Data(versions.stdout.utf8)) as? [[String: Any]])
        #expect(list.map { $0["number"] as? Int } == [1, 2])
        #expect(list[1]["parent"] as? Int == 1)
        // The digest recorded is the file's sha256, computed independently here by sha256sum.
        let digest = try TestSupport.run("/usr/bin/sha256sum", [Self.fixture.path]).stdout.prefix(64)
        #expect(list[0]["artifactDigest"] as? String == String(digest))
        #expect(list[0]["createdBy"] as? String == "cli:tester")

        let diff = try run(["diff", "bert", "1", "2"], store: store)
        #expect(diff.stdout.contains("size_bytes *"))
        #expect(diff.stdout.contains("parent *"))

        #expect(try run(["alias", "set", "bert", "production", "1"], store: store).stdout == "bert@production → 1\n")
        #expect(try run(["alias", "set", "bert", "production", "2"], store: store).stdout == "bert@production moved from 1 to 2\n")
        #expect(try run(["tag", "bert:2", "reviewed=yes"], store: store).stdout == "bert:2: reviewed=yes\n")

        #expect(try run(["deploy", "bert:1"], store: store).status == 0)
        #expect(try run(["deploy", "bert"], store: store).stdout == "bert: primary 1 → 2\n")  // bert = production = 2
        #expect(try run(["rollback", "bert"], store: store).stdout == "bert: primary 2 → 1\n")
        let show = try run(["models", "show", "bert", "--json"], store: store)
        let shown = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        #expect((shown["deployment"] as? [String: Any])?["primary"] as? Int == 1)

        let audit = try run(["audit", "bert", "--json"], store: store)
        let events = try #require(try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [[String: Any]])
        #expect(events.first?["action"] as? String == "rollback")
        #expect(events.contains { $0["action"] as? String == "alias.move" })

        let exported = folder.appendingPathComponent("out.safetensors")
        #expect(try run(["export", "bert:1", exported.path], store: store).status == 0)
        #expect(try Data(contentsOf: exported) == Data(contentsOf: Self.fixture))

        let verify = try run(["store", "verify"], store: store)
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("store is consistent"))
    }

    @Test("bad names, missing files, unknown formats and unknown models get clear errors and change nothing")
    func errors() throws {
        let folder = try TestSupport.temporaryDirectory("tessera-store")
        let store = folder.appendingPathComponent("store")
        let cases: [([String], String)] = [
            (["register", "../evil", Self.fixture.path], "the model name \"../evil\""),
            (["register", "m", folder.appendingPathComponent("missing.bin").path], "no file or folder at"),
            (["register", "m", TestSupport.root.appendingPathComponent("README.md").path], "no format plugin recognizes"),
            (["register", "m", Self.fixture.path, "--format", "tflite"], "no format plugin named 'tflite'"),
            (["register", "m", Self.fixture.path, "--format", "onnx"], "not ONNX"),
        ]
        for (arguments, message) in cases {
            let result = try run(arguments, store: store)
            #expect(result.status != 0)
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        #expect(try run(["register", "m", Self.fixture.path], store: store).status == 0)
        let missing = try run(["versions", "nope"], store: store)
        #expect(missing.stderr.contains("there is no model \"nope\""), "\(missing.stderr)")
        #expect(try run(["rollback", "m"], store: store).status != 0)
        let versions = try run(["versions", "m", "--json"], store: store)
        #expect((try JSONSerialization.jsonObject(with: Data(versions.stdout.utf8)) as? [Any])?.count == 1)
    }

    @Test("verify finds a corrupted object, and gc removes only unreferenced objects")
    func verifyAndGC() throws {
        let folder = try TestSupport.temporaryDirectory("tessera-store")
        let store = folder.appendingPathComponent("store")
        #expect(try run(["register", "m", Self.fixture.path], store: store).status == 0)
        let stray = folder.appendingPathComponent("stray.bin")
        try Data("not referenced".utf8).write(to: stray)
        let strayDigest = String(try TestSupport.run("/usr/bin/sha256sum", [stray.path]).stdout.prefix(64))
        let strayObject = store.appendingPathComponent("objects/\(strayDigest.prefix(2))/\(strayDigest.dropFirst(2))")
        try FileManager.default.createDirectory(at: strayObject.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: stray, to: strayObject)
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: strayObject.path)

        let dry = try run(["store", "gc", "--dry-run"], store: store)
        #expect(dry.stdout.contains("would remove \(strayDigest)"))
        #expect(FileManager.default.fileExists(atPath: strayObject.path))
        let gc = try run(["store", "gc"], store: store)
        #expect(gc.stdout.contains("removed \(strayDigest)"))
        #expect(!FileManager.default.fileExists(atPath: strayObject.path))

        let digest = String(try TestSupport.run("/usr/bin/sha256sum", [Self.fixture.path]).stdout.prefix(64))
        let object = store.appendingPathComponent("objects/\(digest.prefix(2))/\(digest.dropFirst(2))")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: object.path)
        let handle = try FileHandle(forWritingTo: object)
        try handle.seek(toOffset: 100)
        try handle.write(contentsOf: Data([0xFF]))
        try handle.close()
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: object.path)
        let verify = try run(["store", "verify"], store: store)
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("corrupt"))
    }

    @Test("two processes registering into one store at once lose nothing and number versions without gaps")
    func concurrentWriters() throws {
        let folder = try TestSupport.temporaryDirectory("tessera-concurrent")
        let store = folder.appendingPathComponent("store")
        for index in 0..<10 {
            try Self.safetensors(size: 256 << 10, fill: UInt8(index), at: folder.appendingPathComponent("f\(index).safetensors"))
        }
        let writers = try (0..<2).map { writer in
            let files = (0..<5).map { folder.appendingPathComponent("f\(writer * 5 + $0).safetensors").path }
            let script = files.map { "\"\(tessera)\" register shared \"\($0)\" --store \"\(store.path)\" || exit 1" }.joined(separator: "\n")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script]
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            return process
        }
        for writer in writers {
            writer.waitUntilExit()
            #expect(writer.terminationStatus == 0)
        }
        let versions = try run(["versions", "shared", "--json"], store: store)
        let list = try #require(try JSONSerialization.jsonObject(with: Data(versions.stdout.utf8)) as? [[String: Any]])
        #expect(list.compactMap { $0["number"] as? Int } == Array(1...10))
        #expect(Set(list.compactMap { $0["artifactDigest"] as? String }).count == 10)
        #expect(try run(["store", "verify"], store: store).status == 0)
    }

    @Test("registering processes killed with SIGKILL at random moments never leave the store inconsistent")
    func killNine() throws {
        let folder = try TestSupport.temporaryDirectory("tessera-crash")
        let store = folder.appendingPathComponent("store")
        var generator = SystemRandomNumberGenerator()
        // One version registered normally first, so the store exists however early (on a busy
        // machine) every later process is killed.
        let seed = folder.appendingPathComponent("seed.safetensors")
        try Self.safetensors(size: 16, fill: 7, at: seed)
        #expect(try run(["register", "crash", seed.path], store: store).status == 0)
        var completed = 1
        for round in 0..<20 {
            let file = folder.appendingPathComponent("m\(round).safetensors")
            try Self.safetensors(size: 4 << 20, fill: UInt8(round), at: file)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tessera)
            process.arguments = ["register", "crash", file.path, "--store", store.path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 0...150_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if process.terminationReason == .exit && process.terminationStatus == 0 { completed += 1 }
        }
        // Whatever was interrupted, the store is consistent: every recorded version has its
        // object, every object hashes to its name, nothing half-written is visible.
        let verify = try run(["store", "verify"], store: store)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let objects = try FileManager.default.subpathsOfDirectory(atPath: store.appendingPathComponent("objects").path)
        #expect(objects.allSatisfy { !$0.contains("tmp") })
        let versions = try run(["versions", "crash", "--json"], store: store)
        let numbers = (try? JSONSerialization.jsonObject(with: Data(versions.stdout.utf8)) as? [[String: Any]])?.compactMap { $0["number"] as? Int } ?? []
        #expect(numbers == Array(1..<(numbers.count + 1)))  // no gaps, no duplicates
        #expect(numbers.count >= completed)
        // And it still works.
        let last = folder.appendingPathComponent("last.safetensors")
        try Self.safetensors(size: 16, fill: 99, at: last)
        let final = try run(["register", "crash", last.path], store: store)
        #expect(final.status == 0, "\(final.stderr)")
        #expect(final.stdout.contains("registered crash:\(numbers.count + 1)"))
    }
}

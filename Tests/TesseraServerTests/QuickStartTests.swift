import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TesseraTestSupport

/// The README's quick start, as an operator runs it: tesserad on its embedded default in an
/// empty folder serves the iris demo, and the tessera CLI drives a canary, an abort, a deploy
/// and a rollback through it.
@Suite("Quick start", .serialized)
struct QuickStartTests {
    let tesserad = TestSupport.productsDirectory.appendingPathComponent("tesserad").path
    let tessera = TestSupport.productsDirectory.appendingPathComponent("tessera").path

    struct Reply: Decodable {
        struct Output: Decodable {
            let name: String
            let data: [Double]?
        }

        let model_version: String
        let outputs: [Output]
    }

    static func infer(port: Int, routeKey: String? = nil) async throws -> (status: Int, reply: Reply?) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v2/models/iris/infer")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let routeKey { request.setValue(routeKey, forHTTPHeaderField: "Tessera-Route-Key") }
        request.httpBody = Data(#"{"inputs":[{"name":"features","shape":[2,4],"datatype":"FP32","data":[[5.1,3.5,1.4,0.2],[6.7,3.0,5.2,2.3]]}]}"#.utf8)
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        return (status, status == 200 ? try JSONDecoder().decode(Reply.self, from: data) : nil)
    }

    static func waitUntilReady(port: Int, process: Process) async throws {
        let url = URL(string: "http://127.0.0.1:\(port)/v2/health/ready")!
        for _ in 0..<300 {
            guard process.isRunning else { break }
            if let (_, response) = try? await URLSession.shared.data(from: url), (response as? HTTPURLResponse)?.statusCode == 200 {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestSupport.CompileError(description: "tesserad did not become ready on port \(port)")
    }

    /// Starts tesserad in `folder` with `arguments`, stderr to a file there.
    func start(_ arguments: [String], in folder: URL) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tesserad)
        process.arguments = arguments
        process.currentDirectoryURL = folder
        FileManager.default.createFile(atPath: folder.appendingPathComponent("stderr.log").path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: folder.appendingPathComponent("stderr.log"))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test("tesserad --model NAME=FOLDER serves the one model file in the folder (KServe's /mnt/models); a restart reuses the version")
    func startupModel() async throws {
        let folder = try TestSupport.temporaryDirectory("tessera-startup-model")
        let mounted = folder.appendingPathComponent("mnt/models")
        try FileManager.default.createDirectory(at: mounted, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: TestSupport.root.appendingPathComponent("demo/iris/iris-mlp.onnx"),
                                         to: mounted.appendingPathComponent("model.onnx"))
        for round in 1...2 {
            let port = try TestSupport.freePort()
            let process = try start(["--listen", "127.0.0.1:\(port)", "--model", "iris=\(mounted.path)"], in: folder)
            defer { if process.isRunning { process.terminate() } }
            try await Self.waitUntilReady(port: port, process: process)
            let reply = try await Self.infer(port: port)
            #expect(reply.status == 200, "round \(round)")
            #expect(reply.reply?.model_version == "1", "round \(round): the same contents must not become a new version")
            #expect(reply.reply?.outputs.first { $0.name == "label" }?.data == [0, 2])
            process.terminate()
            process.waitUntilExit()
        }
        let versions = try TestSupport.run(tessera, ["versions", "iris", "--store", ".tessera"], directory: folder)
        #expect(versions.status == 0, "\(versions.stderr)")
        #expect(versions.stdout.split(separator: "\n").count == 2, "a header and one version: \(versions.stdout)")

        // A path that does not exist stops the daemon with a message naming it.
        let missing = try start(["--listen", "127.0.0.1:\(try TestSupport.freePort())", "--model", "iris=/no/such/folder"], in: folder)
        missing.waitUntilExit()
        #expect(missing.terminationStatus != 0)
        let log = try String(contentsOf: folder.appendingPathComponent("stderr.log"), encoding: .utf8)
        #expect(log.contains("/no/such/folder") && log.contains("no such file or folder"), "\(log)")
    }

    @Test("tesserad in an empty folder serves the iris demo; tessera runs a canary, abort, deploy and rollback through it")
    func quickStart() async throws {
        let folder = try TestSupport.temporaryDirectory("tessera-quickstart")
        let port = try TestSupport.freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tesserad)
        process.arguments = ["--listen", "127.0.0.1:\(port)"]
        process.currentDirectoryURL = folder
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        try await Self.waitUntilReady(port: port, process: process)

        let first = try await Self.infer(port: port)
        #expect(first.status == 200)
        #expect(first.reply?.model_version == "1")
        // A setosa and a virginica flower (iris rows 1 and 141).
        #expect(first.reply?.outputs.first { $0.name == "label" }?.data == [0, 2])

        let url = "http://127.0.0.1:\(port)"
        func cli(_ arguments: [String]) throws -> String {
            let result = try TestSupport.run(tessera, arguments + ["--store", ".tessera"], directory: folder)
            #expect(result.status == 0, "tessera \(arguments.joined(separator: " ")): \(result.stderr)")
            return result.stdout
        }
        _ = try cli(["register", "iris", TestSupport.root.appendingPathComponent("demo/iris/iris-mlp.onnx").path])
        #expect(try cli(["deploy", "iris:2", "--canary", "50", "--url", url]).contains("canary 2 at 50%"))
        let status = try cli(["status", "--url", url])
        #expect(status.contains("2 @ 50% (running)"), "\(status)")
        #expect(status.contains("1:primary") && status.contains("2:canary"), "\(status)")

        var seen: Set<String> = []
        for key in 0..<40 {
            let (code, reply) = try await Self.infer(port: port, routeKey: "client-\(key)")
            #expect(code == 200)
            if let version = reply?.model_version { seen.insert(version) }
        }
        #expect(seen == ["1", "2"], "a 50% canary should see traffic from both versions: \(seen)")
        // The same key always reaches the same version.
        let pinned = try await Self.infer(port: port, routeKey: "client-7").reply?.model_version
        for _ in 0..<5 { #expect(try await Self.infer(port: port, routeKey: "client-7").reply?.model_version == pinned) }

        _ = try cli(["abort", "iris", "--url", url])
        for _ in 0..<10 { #expect(try await Self.infer(port: port).reply?.model_version == "1") }
        #expect(try cli(["deploy", "iris:2", "--url", url]).contains("primary 1 → 2"))
        #expect(try await Self.infer(port: port).reply?.model_version == "2")
        #expect(try cli(["rollback", "iris", "--url", url]).contains("primary 2 → 1"))
        #expect(try await Self.infer(port: port).reply?.model_version == "1")

        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}

// The peers of Tessera's HTTP benchmark (benchmarks/http/README.md):
//
//   http-peers plain --port PORT [--host 127.0.0.1] [--body-file FILE] [--model FILE]
//       Serves `POST /plain`: reads the request body and answers a fixed JSON body (by default
//       one shaped like Tessera's iris response; run.sh passes Tessera's real response). No
//       model, no JSON work: what Hummingbird itself can do on this machine, the ceiling for
//       any route. `GET /health` answers 200 once listening. Two diagnostic routes split
//       Tessera's path into layers:
//         POST /json    the same, but the request is decoded and the answer encoded with
//                       Foundation's JSON coders, as Tessera's codec does (no model);
//         POST /engine  (with --model) decode, `executor.run` inline in the handler, encode:
//                       Tessera's path without its scheduler's hand-off to a worker thread.
//
//   http-peers raw --model FILE [--seconds 5] [--threads 1,2] [--rows 1]
//       Loads FILE through the bundled onnx plugin (found through TESSERA_PLUGIN_PATH or next
//       to the Tessera executables), compiles an Executor and calls `executor.run` in a tight
//       loop on each thread count for SECONDS, one line of results per (threads, rows):
//         raw threads=1 rows=1 seconds=5.00 calls=… calls_per_s=… p50_us=… p99_us=…
//       calls_per_s counts engine calls, not rows; the engine's ceiling for the HTTP path.

import Dispatch
import Foundation
import Hummingbird
import TesseraCore
import TesseraEngine

/// The iris sample every request carries (demo/iris/expected.json's first row).
let sampleFeatures: [Float] = [5.1, 3.5, 1.4, 0.2]

/// A body shaped like Tessera's iris answer, for running `plain` without a Tessera response at hand.
let defaultBody = #"{"model_name":"iris","model_version":"1","outputs":[{"name":"probabilities","datatype":"FP32","shape":[1,3],"data":[0.9812345,0.018765432,1.2345678e-07]},{"name":"label","datatype":"INT64","shape":[1],"data":[0]}]}"#

struct Arguments {
    var values: [String: String] = [:]

    init(_ list: ArraySlice<String>) throws {
        var rest = list
        while let key = rest.popFirst() {
            guard key.hasPrefix("--"), let value = rest.popFirst() else {
                throw Usage("expected --option value, got '\(key)'")
            }
            values[String(key.dropFirst(2))] = value
        }
    }

    func string(_ name: String, _ fallback: String? = nil) throws -> String {
        guard let value = values[name] ?? fallback else { throw Usage("--\(name) is required") }
        return value
    }

    func int(_ name: String, _ fallback: Int? = nil) throws -> Int {
        let text = try string(name, fallback.map(String.init))
        guard let value = Int(text), value > 0 else { throw Usage("--\(name) '\(text)' is not a positive integer") }
        return value
    }

    func ints(_ name: String, _ fallback: String) throws -> [Int] {
        let text = try string(name, fallback)
        let list = text.split(separator: ",").compactMap { Int($0) }
        guard !list.isEmpty, list.allSatisfy({ $0 > 0 }) else { throw Usage("--\(name) '\(text)' is not a list like 1,2") }
        return list
    }

    func double(_ name: String, _ fallback: Double) throws -> Double {
        let text = try string(name, String(fallback))
        guard let value = Double(text), value > 0 else { throw Usage("--\(name) '\(text)' is not a positive number") }
        return value
    }
}

struct Usage: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

@main
enum HTTPPeers {
    static func main() async {
        let arguments = CommandLine.arguments.dropFirst()
        do {
            switch arguments.first {
            case "plain": try await plain(try Arguments(arguments.dropFirst()))
            case "raw": try raw(try Arguments(arguments.dropFirst()))
            default: throw Usage("the mode is 'plain' or 'raw'")
            }
        } catch let error as Usage {
            FileHandle.standardError.write(Data("""
                http-peers: \(error)
                usage: http-peers plain --port PORT [--host 127.0.0.1] [--body-file FILE] [--model FILE]
                       http-peers raw --model FILE [--seconds 5] [--threads 1,2] [--rows 1]

                """.utf8))
            exit(2)
        } catch {
            FileHandle.standardError.write(Data("http-peers: \(error)\n".utf8))
            exit(1)
        }
    }

    // MARK: - plain

    /// The request Tessera decodes (Open Inference Protocol), as far as the iris body goes.
    struct InferRequest: Decodable {
        struct Input: Decodable {
            let name: String
            let shape: [Int]
            let datatype: String
            let data: [[Float]]
        }
        let inputs: [Input]
    }

    /// The response Tessera encodes for iris.
    struct InferResponse: Encodable {
        struct Output: Encodable {
            let name: String
            let datatype: String
            let shape: [Int]
            var floats: [Float] = []
            var ints: [Int64] = []

            enum CodingKeys: String, CodingKey { case name, datatype, shape, data }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(name, forKey: .name)
                try container.encode(datatype, forKey: .datatype)
                try container.encode(shape, forKey: .shape)
                if datatype == "INT64" { try container.encode(ints, forKey: .data) } else { try container.encode(floats, forKey: .data) }
            }
        }
        let model_name: String
        let model_version: String
        let outputs: [Output]
    }

    static func plain(_ arguments: Arguments) async throws {
        let host = try arguments.string("host", "127.0.0.1")
        let port = try arguments.int("port")
        var body = defaultBody
        if let file = arguments.values["body-file"] {
            body = try String(contentsOfFile: file, encoding: .utf8)
        }
        let fixed = ByteBuffer(string: body)

        let router = Router()
        router.get("health") { _, _ in HTTPResponse.Status.ok }
        router.post("plain") { request, _ -> Response in
            var request = request
            _ = try await request.collectBody(upTo: 1 << 20)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: fixed))
        }
        router.post("json") { request, _ -> Response in
            var request = request
            let bytes = try await request.collectBody(upTo: 1 << 20)
            let decoded = try JSONDecoder().decode(InferRequest.self, from: Data(bytes.readableBytesView))
            let rows = decoded.inputs.first?.shape.first ?? 1
            let encoder = JSONEncoder()
            encoder.outputFormatting = .withoutEscapingSlashes
            let json = try encoder.encode(InferResponse(model_name: "iris", model_version: "1", outputs: [
                .init(name: "probabilities", datatype: "FP32", shape: [rows, 3], floats: [0.9812345, 0.018765432, 1.2345678e-07]),
                .init(name: "label", datatype: "INT64", shape: [rows], ints: [0]),
            ]))
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: json)))
        }
        var plugins: PluginHost?  // kept loaded while the server runs
        if let model = arguments.values["model"] {
            let (executor, host) = try loadExecutor(URL(fileURLWithPath: model))
            plugins = host
            let inputName = executor.inputs[0].name
            router.post("engine") { request, _ -> Response in
                var request = request
                let bytes = try await request.collectBody(upTo: 1 << 20)
                let decoded = try JSONDecoder().decode(InferRequest.self, from: Data(bytes.readableBytesView))
                guard let input = decoded.inputs.first else { return Response(status: .badRequest) }
                let tensor = try Tensor(shape: input.shape, floats: Array(input.data.joined()))
                let outputs = try executor.run([inputName: tensor])
                let encoder = JSONEncoder()
                encoder.outputFormatting = .withoutEscapingSlashes
                let json = try encoder.encode(InferResponse(model_name: "iris", model_version: "1", outputs: executor.outputs.map { info in
                    let value = outputs[info.name]!
                    var output = InferResponse.Output(name: info.name, datatype: value.dtype == .int64 ? "INT64" : "FP32", shape: value.shape)
                    if value.dtype == .int64 {
                        output.ints = Array(value.storage.bytes.bindMemory(to: Int64.self))
                    } else {
                        output.floats = value.floats
                    }
                    return output
                }))
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: json)))
            }
        }
        // The same server name as tesserad, so both answer headers of the same size.
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "tessera"))
        print("http-peers plain: listening on \(host):\(port), POST /plain answers \(fixed.readableBytes) bytes")
        try await app.runService()
        withExtendedLifetime(plugins) { $0?.shutdown() }
    }

    // MARK: - raw

    static func raw(_ arguments: Arguments) throws {
        let model = URL(fileURLWithPath: try arguments.string("model"))
        let seconds = try arguments.double("seconds", 5)
        let threadCounts = try arguments.ints("threads", "1,2")
        let rowCounts = try arguments.ints("rows", "1")

        let (executor, host) = try loadExecutor(model)
        defer { host.shutdown() }
        let input = executor.inputs[0]
        FileHandle.standardError.write(Data("http-peers raw: \(seconds) s per configuration\n".utf8))

        for rows in rowCounts {
            let tensor = try Tensor(shape: [rows, sampleFeatures.count],
                                    floats: Array((0..<rows).map { _ in sampleFeatures }.joined()))
            let inputs = [input.name: tensor]
            // Warm up: the first run plans memory for this shape; later runs reuse the plan.
            for _ in 0..<2000 { _ = try executor.run(inputs) }
            for threads in threadCounts {
                let result = measure(threads: threads, seconds: seconds) { _ = try? executor.run(inputs) }
                print(String(format: "raw threads=%ld rows=%ld seconds=%.2f calls=%ld calls_per_s=%.0f p50_us=%.2f p99_us=%.2f",
                             threads, rows, result.seconds, result.calls, Double(result.calls) / result.seconds,
                             result.percentile(0.50) / 1000, result.percentile(0.99) / 1000))
            }
        }
    }

    /// Loads `model` through the bundled onnx plugin (as Tessera's tests do) and compiles it.
    static func loadExecutor(_ model: URL) throws -> (Executor, PluginHost) {
        let host = PluginHost(hostName: "http-peers")
        host.load([PluginSpec(source: .bundled("onnx"))])
        guard host.problems.isEmpty else {
            throw Usage("the bundled onnx plugin did not load (set TESSERA_PLUGIN_PATH to the folder with libtessera-onnx.so): "
                + host.problems.map { "\($0.name): \($0.reason ?? "")" }.joined(separator: "; "))
        }
        let detection = try FormatDetector(host: host).detect(model)
        let executor = try Executor(graph: detection.graph)
        guard let input = executor.inputs.first, executor.inputs.count == 1 else {
            throw Usage("\(model.path): expected a model with one input, like demo/iris/iris-mlp.onnx")
        }
        FileHandle.standardError.write(Data(("http-peers: \(model.lastPathComponent) via \(detection.format.name), input '\(input.name)' \(input.shape), "
            + "outputs \(executor.outputs.map(\.name))\n").utf8))
        return (executor, host)
    }

    struct Measurement {
        let seconds: Double
        let calls: Int
        /// Every call's duration in nanoseconds, sorted.
        let sorted: [UInt64]

        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))])
        }
    }

    /// Slots each worker thread fills with its own calls' durations; read after all joined.
    final class Samples: @unchecked Sendable {
        var perThread: [[UInt64]]
        init(_ threads: Int) { perThread = Array(repeating: [], count: threads) }
    }

    /// Runs `body` in a loop on `threads` threads of their own (like the scheduler's workers)
    /// for `seconds`, timing each call.
    static func measure(threads: Int, seconds: Double, _ body: @escaping @Sendable () -> Void) -> Measurement {
        let samples = Samples(threads)
        let gate = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for index in 0..<threads {
            done.enter()
            let thread = Thread {
                gate.wait()
                var local: [UInt64] = []
                local.reserveCapacity(1 << 20)
                let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
                var now = DispatchTime.now().uptimeNanoseconds
                while now < deadline {
                    body()
                    let end = DispatchTime.now().uptimeNanoseconds
                    local.append(end - now)
                    now = end
                }
                samples.perThread[index] = local
                done.leave()
            }
            thread.name = "raw-\(index)"
            thread.start()
        }
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<threads { gate.signal() }
        done.wait()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let all = samples.perThread.flatMap { $0 }.sorted()
        return Measurement(seconds: elapsed, calls: all.count, sorted: all)
    }
}

import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import TesseraCore
@testable import TesseraServer
import TesseraTestSupport

/// The Open Inference Protocol endpoints over a real store, serving the iris demo model
/// (demo/iris) loaded through the bundled onnx plugin; expected outputs are scikit-learn's
/// (demo/iris/expected.json).
@Suite("Inference API")
struct InferenceRoutesTests {
    static let expected = TestSupport.root.appendingPathComponent("demo/iris/expected.json")
    static let managementToken = "m-token"
    static let management: HTTPFields = [.authorization: "Bearer \(managementToken)", .contentType: "application/json"]
    static let json: HTTPFields = [.contentType: "application/json"]

    struct Reference: Decodable {
        let features: [[Double]]
        let probabilities: [[Double]]
        let labels: [Int]
    }

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: expected))
    }

    func withServer(versions: Int = 1, maxRequestBytes: Int = 1 << 20, inferenceToken: String? = nil,
                    _ body: @Sendable (any TestClientProtocol, ServerState) async throws -> Void) async throws {
        try await IrisServer.run(versions: versions, maxRequestBytes: maxRequestBytes, inferenceToken: inferenceToken,
                                 managementToken: Self.managementToken, body)
    }

    static func object(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
    }

    static func body(_ object: [String: Any]) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
    }

    static func error(_ buffer: ByteBuffer) throws -> String {
        try #require(try object(buffer)["error"] as? String)
    }

    static func inferBody(_ rows: [[Double]], datatype: String = "FP32", name: String = "features") throws -> ByteBuffer {
        try body(["id": "req-1", "inputs": [["name": name, "shape": [rows.count, rows.first?.count ?? 0],
                                             "datatype": datatype, "data": rows]]])
    }

    @Test("model metadata lists inputs and outputs with datatypes and -1 for dynamic dimensions")
    func metadata() async throws {
        try await withServer { client, _ in
            try await client.execute(uri: "/v2/models/iris", method: .get) { response throws in
                #expect(response.status == .ok)
                let body = try Self.object(response.body)
                #expect(body["name"] as? String == "iris")
                #expect(body["versions"] as? [String] == ["1"])
                #expect(body["platform"] as? String == "tessera_onnx")
                let inputs = try #require(body["inputs"] as? [[String: Any]])
                #expect(inputs.count == 1)
                #expect(inputs[0]["name"] as? String == "features")
                #expect(inputs[0]["datatype"] as? String == "FP32")
                #expect(inputs[0]["shape"] as? [Int] == [-1, 4])
                let outputs = try #require(body["outputs"] as? [[String: Any]])
                #expect(outputs.map { $0["name"] as? String } == ["probabilities", "label"])
                #expect(outputs.map { $0["datatype"] as? String } == ["FP32", "INT64"])
                #expect(outputs.map { $0["shape"] as? [Int] } == [[-1, 3], [-1]])
            }
            try await client.execute(uri: "/v2/models/iris/versions/1", method: .get) { response throws in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v2/models/iris/ready", method: .get) { response throws in
                #expect(response.status == .ok)
                #expect(try Self.object(response.body)["ready"] as? Bool == true)
            }
            try await client.execute(uri: "/v2/health/ready", method: .get) { response throws in
                #expect(response.status == .ok)
            }
        }
    }

    @Test("JSON inference matches scikit-learn's predict_proba and predict for the same flowers")
    func jsonInference() async throws {
        let reference = try Self.reference()
        try await withServer { client, _ in
            try await client.execute(uri: "/v2/models/iris/infer", method: .post, headers: Self.json,
                                     body: try Self.inferBody(reference.features)) { response throws in
                #expect(response.status == .ok)
                let body = try Self.object(response.body)
                #expect(body["model_name"] as? String == "iris")
                #expect(body["model_version"] as? String == "1")
                #expect(body["id"] as? String == "req-1")
                let outputs = try #require(body["outputs"] as? [[String: Any]])
                let probabilities = try #require(outputs.first { $0["name"] as? String == "probabilities" })
                #expect(probabilities["shape"] as? [Int] == [reference.features.count, 3])
                let values = try #require(probabilities["data"] as? [Double])
                let flat = reference.probabilities.flatMap { $0 }
                #expect(values.count == flat.count)
                for (got, want) in zip(values, flat) { #expect(abs(got - want) < 1e-5, "\(got) vs \(want)") }
                let labels = try #require(outputs.first { $0["name"] as? String == "label" })
                #expect(labels["datatype"] as? String == "INT64")
                #expect(labels["data"] as? [Int] == reference.labels)
            }
            try await client.execute(uri: "/v2/models/iris/stats", method: .get) { response throws in
                let stats = try #require(try Self.object(response.body)["model_stats"] as? [[String: Any]])
                #expect(stats.count == 1)
                // The warm-up run is not a request; the one inference is.
                #expect(stats[0]["inference_count"] as? Int == 1)
                let inference = try #require(stats[0]["inference_stats"] as? [String: Any])
                #expect((inference["success"] as? [String: Any])?["count"] as? Int == 1)
            }
        }
    }

    @Test("binary tensor data in and out (Inference-Header-Content-Length) round-trips exactly")
    func binaryInference() async throws {
        let reference = try Self.reference()
        let features = reference.features.flatMap { $0 }.map { Float($0) }
        let raw = features.withUnsafeBytes { Data($0) }
        let header = try JSONSerialization.data(withJSONObject: [
            "inputs": [["name": "features", "shape": [reference.features.count, 4], "datatype": "FP32",
                        "parameters": ["binary_data_size": raw.count]]],
            "outputs": [["name": "probabilities", "parameters": ["binary_data": true]], ["name": "label"]],
        ])
        var request = ByteBuffer(bytes: header)
        request.writeBytes(raw)
        let buffer = request
        try await withServer { client, _ in
            let headers: HTTPFields = [.contentType: "application/octet-stream", .inferenceHeaderContentLength: String(header.count)]
            try await client.execute(uri: "/v2/models/iris/infer", method: .post, headers: headers, body: buffer) { response throws in
                #expect(response.status == .ok)
                let jsonLength = try #require(response.headers[.inferenceHeaderContentLength].flatMap { Int($0) })
                let bytes = Data(response.body.readableBytesView)
                let json = try #require(try JSONSerialization.jsonObject(with: bytes.prefix(jsonLength)) as? [String: Any])
                let outputs = try #require(json["outputs"] as? [[String: Any]])
                #expect(outputs.map { $0["name"] as? String } == ["probabilities", "label"])
                let parameters = try #require(outputs[0]["parameters"] as? [String: Any])
                let size = try #require(parameters["binary_data_size"] as? Int)
                #expect(size == reference.features.count * 3 * 4)
                #expect(outputs[0]["data"] == nil)
                #expect(outputs[1]["data"] as? [Int] == reference.labels)
                let tail = bytes.dropFirst(jsonLength)
                #expect(tail.count == size)
                let values = tail.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
                for (got, want) in zip(values, reference.probabilities.flatMap { $0 }) { #expect(abs(Double(got) - want) < 1e-5) }
            }
        }
    }

    @Test("bad requests get 400 naming the problem, unknown models 404, oversized bodies 413")
    func errors() async throws {
        try await withServer(maxRequestBytes: 4096) { client, _ in
            let cases: [(ByteBuffer, HTTPResponse.Status, String)] = [
                (ByteBuffer(string: "{\"inputs\": [ {\"name\": "), .badRequest, "JSON"),
                (try Self.inferBody([[1, 2, 3, 4]], datatype: "FP64"), .badRequest, "'features' must be FP32"),
                (try Self.inferBody([[1, 2, 3, 4, 5]]), .badRequest, "[-1, 4]"),
                (try Self.inferBody([[1, 2, 3, 4]], name: "petals"), .badRequest, "unknown input 'petals'"),
                (try Self.inferBody([[1, 2, 3, 4]], datatype: "FLOAT"), .badRequest, "datatype 'FLOAT'"),
                (try Self.body(["inputs": [["name": "features", "shape": [2, 4], "datatype": "FP32", "data": [1, 2, 3]]]]),
                 .badRequest, "8 elements"),
                (try Self.body(["inputs": [["name": "features", "shape": [1, 4], "datatype": "FP32", "data": ["a", "b", "c", "d"]]]]),
                 .badRequest, "'features'"),
                (try Self.body(["inputs": []]), .badRequest, "no inputs"),
                (try Self.body(["inputs": [["name": "features", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]]],
                                "outputs": [["name": "colour"]]]), .badRequest, "no output 'colour'"),
                (ByteBuffer(repeating: UInt8(ascii: " "), count: 5000), .contentTooLarge, "larger"),
            ]
            for (body, status, fragment) in cases {
                try await client.execute(uri: "/v2/models/iris/infer", method: .post, headers: Self.json, body: body) { response throws in
                    #expect(response.status == status, "\(fragment)")
                    let message = try Self.error(response.body)
                    #expect(message.contains(fragment), "\(message)")
                }
            }
            try await client.execute(uri: "/v2/models/tulip/infer", method: .post, headers: Self.json,
                                     body: try Self.inferBody([[1, 2, 3, 4]])) { response throws in
                #expect(response.status == .notFound)
                #expect(try Self.error(response.body).contains("served models: iris"))
            }
            try await client.execute(uri: "/v2/models/iris/versions/7/infer", method: .post, headers: Self.json,
                                     body: try Self.inferBody([[1, 2, 3, 4]])) { response throws in
                #expect(response.status == .notFound)
                #expect(try Self.error(response.body).contains("loaded versions: 1"))
            }
            // Binary data that does not add up.
            let header = try JSONSerialization.data(withJSONObject: [
                "inputs": [["name": "features", "shape": [1, 4], "datatype": "FP32", "parameters": ["binary_data_size": 12]]]])
            var short = ByteBuffer(bytes: header)
            short.writeBytes([UInt8](repeating: 0, count: 12))
            let buffer = short
            try await client.execute(uri: "/v2/models/iris/infer", method: .post,
                                     headers: [.inferenceHeaderContentLength: String(header.count)], body: buffer) { response throws in
                #expect(response.status == .badRequest)
                #expect(try Self.error(response.body).contains("needs 16 bytes"))
            }
        }
    }

    @Test("a deploy through /v1 switches traffic to the new version; rollback switches back at once")
    func deploySwitchesTraffic() async throws {
        try await withServer(versions: 2) { client, state in
            let infer = { @Sendable () async throws -> String in
                try await client.execute(uri: "/v2/models/iris/infer", method: .post, headers: Self.json,
                                         body: try Self.inferBody([[5.1, 3.5, 1.4, 0.2]])) { response throws in
                    #expect(response.status == .ok)
                    return try #require(try Self.object(response.body)["model_version"] as? String)
                }
            }
            #expect(try await infer() == "1")
            try await client.execute(uri: "/v1/models/iris/deploy", method: .post, headers: Self.management,
                                     body: try Self.body(["version": 2])) { response throws in
                #expect(response.status == .ok)
            }
            #expect(try await infer() == "2")
            #expect(state.serving.loaded("iris", version: 1) != nil, "the old version stays loaded for rollback")
            try await client.execute(uri: "/v1/models/iris/rollback", method: .post, headers: Self.management) { response throws in
                #expect(response.status == .ok)
            }
            #expect(try await infer() == "1")
        }
    }

    @Test("with an inference token set, /v2 models need it while health stays open")
    func inferenceToken() async throws {
        try await withServer(inferenceToken: "i-token") { client, _ in
            try await client.execute(uri: "/v2/models/iris", method: .get) { response throws in
                #expect(response.status == .unauthorized)
                #expect(try Self.error(response.body).contains("inference needs a token"))
            }
            try await client.execute(uri: "/v2/models/iris", method: .get, headers: [.authorization: "Bearer i-token"]) { response throws in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v2/health/live", method: .get) { response throws in
                #expect(response.status == .ok)
            }
        }
    }

    @Test("the repository extension lists models with their state, and unload/load take a model out of and back into service")
    func repository() async throws {
        try await withServer { client, state in
            let index = { @Sendable () async throws -> [[String: Any]] in
                try await client.execute(uri: "/v2/repository/index", method: .post, headers: Self.management) { response throws in
                    #expect(response.status == .ok)
                    return try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]])
                }
            }
            try await client.execute(uri: "/v2/repository/index", method: .post) { response throws in
                #expect(response.status == .unauthorized, "the repository API needs the management token")
            }
            var entries = try await index()
            #expect(entries.count == 1)
            #expect(entries[0]["name"] as? String == "iris")
            #expect(entries[0]["state"] as? String == "READY")
            #expect(entries[0]["version"] as? String == "1")

            try await client.execute(uri: "/v2/repository/models/iris/unload", method: .post, headers: Self.management) { response throws in
                #expect(response.status == .ok)
            }
            try await state.serving.sync()  // a periodic sync must not bring it back
            try await client.execute(uri: "/v2/models/iris/infer", method: .post, headers: Self.json,
                                     body: try Self.inferBody([[1, 2, 3, 4]])) { response throws in
                #expect(response.status == .notFound)
            }
            entries = try await index()
            #expect(entries[0]["state"] as? String == "UNAVAILABLE")
            #expect((entries[0]["reason"] as? String)?.contains("load serves it again") == true)
            // Recorded in the registry: a restarted daemon (a new ModelServing on the same
            // store) keeps the model out of service.
            let store = try state.requireStore()
            #expect(try store.registry.tags(model: "iris")[ModelServing.unloadedTag] == "true")
            let restarted = ModelServing(store: store, plugins: state.plugins)
            defer { restarted.shutdown() }
            try await restarted.sync()
            #expect(!restarted.isRouted("iris"))
            #expect(restarted.isUnloaded("iris"))

            try await client.execute(uri: "/v2/repository/models/iris/load", method: .post, headers: Self.management) { response throws in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v2/models/iris/infer", method: .post, headers: Self.json,
                                     body: try Self.inferBody([[1, 2, 3, 4]])) { response throws in
                #expect(response.status == .ok)
            }
            #expect(try store.registry.tags(model: "iris")[ModelServing.unloadedTag] == nil)
            try await client.execute(uri: "/v2/repository/models/tulip/load", method: .post, headers: Self.management) { response throws in
                #expect(response.status == .notFound)
            }
        }
    }
}

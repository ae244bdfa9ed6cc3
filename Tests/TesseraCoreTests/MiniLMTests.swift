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
    static let shared = TestSupport.root.deletingLastPathComponent().appendingPathComponent("shared")
    static let model = shared.appendingPathComponent("models/all-MiniLM-L6-v2.onnx")
    static let goldens = shared.appendingPathComponent("data/minilm/goldens.json")

    struct Goldens: Decodable {
        struct Sentence: Decodable {
            let text: String
            let input_ids: [Int64]
            let embedding: [Double]
            let last_hidden_state: [[Double]]?
        }

        let sentences: [Sentence]
    }

    static func load() throws -> (Executor, Goldens) {
        let host = PluginHost(hostName: "test")
        host.load([PluginSpec(source: .bundled("onnx"))])
        defer { host.shutdown() }
        let detection = try FormatDetector(host: host).detect(model)
        #expect(detection.format.name == "onnx")
        let goldens = try JSONDecoder().decode(Goldens.self, from: Data(contentsOf: goldens))
        return (try Executor(graph: detection.graph), goldens)
    }

    static func int64(_ values: [Int64], shape: [Int]) throws -> Tensor {
        try Tensor(dtype: .int64, shape: shape, storage: values.withUnsafeBytes { TensorStorage(copying: $0) })
    }

    /// Mean over the tokens whose mask is 1, then L2 normalization (the sentence-transformers pooling).
    static func embedding(_ hidden: [Float], tokens: Int, mask: [Int64], width: Int = 384) -> [Double] {
        var sum = [Double](repeating: 0, count: width)
        var count = 0.0
        for token in 0..<tokens where mask[token] == 1 {
            for index in 0..<width { sum[index] += Double(hidden[token * width + index]) }
            count += 1
        }
        let mean = sum.map { $0 / count }
        let norm = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return mean.map { $0 / norm }
    }

    static func cosine(_ a: [Double], _ b: [Double]) -> Double {
        let dot = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
        let norms = a.reduce(0) { $0 + $1 * $1 }.squareRoot() * b.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return dot / norms
    }

    @Test("every sentence's embedding matches to cosine ≥ 0.9999 and the hidden states to 1e-3")
    func eachSentence() throws {
        let (executor, goldens) = try Self.load()
        #expect(goldens.sentences.count >= 10)
        for sentence in goldens.sentences {
            let length = sentence.input_ids.count
            let mask = [Int64](repeating: 1, count: length)
            let outputs = try executor.run([
                "input_ids": try Self.int64(sentence.input_ids, shape: [1, length]),
                "attention_mask": try Self.int64(mask, shape: [1, length]),
                "token_type_ids": try Self.int64([Int64](repeating: 0, count: length), shape: [1, length]),
            ])
            let hidden = try #require(outputs["last_hidden_state"])
            #expect(hidden.shape == [1, length, 384])
            let values = hidden.floats
            let cosine = Self.cosine(Self.embedding(values, tokens: length, mask: mask), sentence.embedding)
            #expect(cosine >= 0.9999, "\"\(sentence.text)\": cosine \(cosine)")
            if let reference = sentence.last_hidden_state {
                let flat = reference.flatMap { $0 }
                let worst = zip(values, flat).map { abs(Double($0) - $1) }.max() ?? .infinity
                #expect(worst <= 1e-3, "\"\(sentence.text)\": max abs diff \(worst)")
            }
        }
    }

    @Test("a padded batch of all sentences gives the same embeddings as one at a time")
    func paddedBatch() throws {
        let (executor, goldens) = try Self.load()
        let sentences = goldens.sentences
        let longest = sentences.map(\.input_ids.count).max()!
        var ids: [Int64] = [], mask: [Int64] = []
        for sentence in sentences {
            let padding = longest - sentence.input_ids.count
            ids += sentence.input_ids + [Int64](repeating: 0, count: padding)
            mask += [Int64](repeating: 1, count: sentence.input_ids.count) + [Int64](repeating: 0, count: padding)
        }
        let shape = [sentences.count, longest]
        let outputs = try executor.run([
            "input_ids": try Self.int64(ids, shape: shape),
            "attention_mask": try Self.int64(mask, shape: shape),
            "token_type_ids": try Self.int64([Int64](repeating: 0, count: ids.count), shape: shape),
        ])
        let hidden = try #require(outputs["last_hidden_state"]).floats
        let row = longest * 384
        for (index, sentence) in sentences.enumerated() {
            let embedding = Self.embedding(Array(hidden[index * row..<(index + 1) * row]), tokens: longest,
                                           mask: Array(mask[index * longest..<(index + 1) * longest]))
            let cosine = Self.cosine(embedding, sentence.embedding)
            #expect(cosine >= 0.9999, "\"\(sentence.text)\" in a batch: cosine \(cosine)")
        }
    }
}

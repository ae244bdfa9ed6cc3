import Foundation
import TesseraEngine
import TesseraTestSupport

/// What sentence-transformers computed for all-MiniLM-L6-v2 (../shared/data/minilm/goldens.json),
/// and the checks against it that the ONNX export (MiniLMTests) and the Hugging Face folder
/// (HFBertTests) share.
enum MiniLMReference {
    static let shared = TestSupport.root.deletingLastPathComponent().appendingPathComponent("shared")
    static let goldensURL = shared.appendingPathComponent("data/minilm/goldens.json")
    static let width = 384

    struct Goldens: Decodable {
        struct Sentence: Decodable {
            let text: String
            let input_ids: [Int64]
            let embedding: [Double]
            let last_hidden_state: [[Double]]?
        }

        let sentences: [Sentence]
    }

    static func goldens() throws -> Goldens {
        try JSONDecoder().decode(Goldens.self, from: Data(contentsOf: goldensURL))
    }

    static func int64(_ values: [Int64], shape: [Int]) throws -> Tensor {
        try Tensor(dtype: .int64, shape: shape, storage: values.withUnsafeBytes { TensorStorage(copying: $0) })
    }

    /// The three BERT inputs for a [batch, sequence] of ids and mask, token types all 0.
    static func inputs(ids: [Int64], mask: [Int64], shape: [Int]) throws -> [String: Tensor] {
        [
            "input_ids": try int64(ids, shape: shape),
            "attention_mask": try int64(mask, shape: shape),
            "token_type_ids": try int64([Int64](repeating: 0, count: ids.count), shape: shape),
        ]
    }

    /// Every sentence padded with id 0 (mask 0) to the longest: ids and mask, [count, longest].
    static func paddedBatch(_ sentences: [Goldens.Sentence]) -> (ids: [Int64], mask: [Int64], longest: Int) {
        let longest = sentences.map(\.input_ids.count).max() ?? 0
        var ids: [Int64] = [], mask: [Int64] = []
        for sentence in sentences {
            let padding = longest - sentence.input_ids.count
            ids += sentence.input_ids + [Int64](repeating: 0, count: padding)
            mask += [Int64](repeating: 1, count: sentence.input_ids.count) + [Int64](repeating: 0, count: padding)
        }
        return (ids, mask, longest)
    }

    /// Mean over the tokens whose mask is 1, then L2 normalization (the sentence-transformers pooling).
    static func embedding(_ hidden: [Float], tokens: Int, mask: [Int64], width: Int = width) -> [Double] {
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

    /// The largest |value - reference| over the reference's [tokens][width] hidden states.
    static func maxAbsDiff(_ values: [Float], _ reference: [[Double]]) -> Double {
        let flat = reference.flatMap { $0 }
        guard values.count == flat.count else { return .infinity }
        return zip(values, flat).map { abs(Double($0) - $1) }.max() ?? .infinity
    }
}

public import Foundation
public import TesseraEngine

/// Text in, sentence embeddings out, for BERT-family encoders: the tokenizer of a Hugging Face
/// folder turns texts into `input_ids` / `attention_mask` / `token_type_ids`, the encoder runs,
/// and its `last_hidden_state` is mean-pooled over the real tokens and L2-normalized — what
/// sentence-transformers does for models such as all-MiniLM-L6-v2.
public struct TextEmbedder: Sendable {
    public let tokenizer: WordPieceTokenizer
    /// Longest token sequence (with [CLS] and [SEP]); longer texts are truncated.
    public let maxLength: Int

    /// Sequences are padded to a multiple of this, so requests of similar length share a
    /// shape and can be batched together; the attention mask hides the padding.
    public static let paddingMultiple = 16

    /// The folder's tokenizer; the length limit is sentence-transformers' `max_seq_length`
    /// (sentence_bert_config.json) when present, else the tokenizer's.
    public init(folder: URL) throws {
        tokenizer = try WordPieceTokenizer(folder: folder)
        let config = folder.appendingPathComponent("sentence_bert_config.json")
        if let data = try? Data(contentsOf: config),
           let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let length = object["max_seq_length"] as? Int, length >= 2 {
            maxLength = length
        } else {
            maxLength = tokenizer.options.maxLength
        }
    }

    /// Whether `folder` holds a tokenizer this embedder can read.
    public static func canRead(_ folder: URL) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent("vocab.txt").path)
    }

    /// The encoder's three inputs for `texts`, padded to the longest (rounded up to `paddingMultiple`).
    public func inputs(for texts: [String]) throws -> [String: Tensor] {
        let encoding = tokenizer.encode(batch: texts, maxLength: maxLength)
        let width = min(max(encoding.sequence, 1).roundedUp(to: Self.paddingMultiple), max(maxLength, encoding.sequence))
        func padded(_ values: [Int64], fill: Int64) -> [Int64] {
            guard width > encoding.sequence else { return values }
            var out: [Int64] = []
            out.reserveCapacity(encoding.batch * width)
            for row in 0..<encoding.batch {
                out += values[row * encoding.sequence..<(row + 1) * encoding.sequence]
                out += repeatElement(fill, count: width - encoding.sequence)
            }
            return out
        }
        let shape = [encoding.batch, width]
        func tensor(_ values: [Int64]) throws -> Tensor {
            try Tensor(dtype: .int64, shape: shape, storage: values.withUnsafeBytes { TensorStorage(copying: $0) })
        }
        return [
            "input_ids": try tensor(padded(encoding.ids, fill: Int64(tokenizer.padID))),
            "attention_mask": try tensor(padded(encoding.attentionMask, fill: 0)),
            "token_type_ids": try tensor(padded(encoding.tokenTypeIds, fill: 0)),
        ]
    }

    /// Mean of `hidden` [batch, sequence, width] over the positions where `mask` [batch, sequence]
    /// is 1, then L2-normalized: [batch, width].
    public static func meanPool(hidden: Tensor, mask: Tensor) throws -> Tensor {
        guard hidden.dtype == .fp32, hidden.shape.count == 3, mask.dtype == .int64,
              mask.shape == Array(hidden.shape.prefix(2)) else {
            throw EngineError(.invalidTensor, "cannot pool a \(hidden.dtype) \(hidden.shape) hidden state with a \(mask.dtype) \(mask.shape) mask")
        }
        let (batch, sequence, width) = (hidden.shape[0], hidden.shape[1], hidden.shape[2])
        let values = hidden.storage.bytes.bindMemory(to: Float.self)
        let flags = mask.storage.bytes.bindMemory(to: Int64.self)
        var pooled = [Float](repeating: 0, count: batch * width)
        for row in 0..<batch {
            var sum = [Double](repeating: 0, count: width)
            var count = 0.0
            for token in 0..<sequence where flags[row * sequence + token] != 0 {
                let base = (row * sequence + token) * width
                for index in 0..<width { sum[index] += Double(values[base + index]) }
                count += 1
            }
            let mean = sum.map { $0 / max(count, 1e-9) }
            let norm = max(mean.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
            for index in 0..<width { pooled[row * width + index] = Float(mean[index] / norm) }
        }
        return try Tensor(shape: [batch, width], floats: pooled)
    }
}

extension Int {
    fileprivate func roundedUp(to multiple: Int) -> Int { (self + multiple - 1) / multiple * multiple }
}

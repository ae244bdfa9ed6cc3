public import Foundation

/// BERT WordPiece tokenization matching Hugging Face's `BertTokenizer` / `BertTokenizerFast`
/// id for id, so a model served here sees exactly the inputs it was trained and exported with.
public struct WordPieceTokenizer: Sendable {
    let options: Options
    private let vocabulary: Vocabulary
    private let basic: BasicTokenizer
    private let wordPiece: WordPieceModel
    private let specialTokens: SpecialTokenMatcher
    private let clsID: Int32
    private let sepID: Int32
    let padID: Int32

    /// Loads a vocab.txt (one token per line, id = line index).
    public init(vocabulary: URL, options: Options = .init()) throws(TokenizerError) {
        try self.init(vocabulary: Vocabulary.load(from: vocabulary), options: options, source: vocabulary.path)
    }

    /// Loads a Hugging Face tokenizer folder: vocab.txt plus, when present, the settings in
    /// tokenizer_config.json and tokenizer.json (the former wins, as in `transformers`).
    public init(folder: URL) throws(TokenizerError) {
        let options = try HuggingFaceTokenizerFolder.options(in: folder)
        try self.init(vocabulary: folder.appendingPathComponent("vocab.txt"), options: options)
    }

    init(vocabulary: Vocabulary, options: Options, source: String) throws(TokenizerError) {
        func requiredID(_ token: String, _ role: String, _ label: String) throws(TokenizerError) -> Int32 {
            guard let id = vocabulary.id(for: token) else {
                throw TokenizerError(
                    "The vocabulary \(source) has no \(role) token \"\(token)\". "
                        + "Set Options.\(label) to the spelling this vocabulary uses.")
            }
            return id
        }
        guard options.maxLength >= 2 else {
            throw TokenizerError(
                "Options.maxLength is \(options.maxLength), but [CLS] and [SEP] alone take 2. Use at least 2 (BERT models allow 512).")
        }
        guard options.maxInputCharsPerWord >= 1 else {
            throw TokenizerError(
                "Options.maxInputCharsPerWord is \(options.maxInputCharsPerWord); use a positive value (BERT uses 100).")
        }
        let unknownID = try requiredID(options.unknownToken, "unknown", "unknownToken")
        clsID = try requiredID(options.clsToken, "classifier", "clsToken")
        sepID = try requiredID(options.sepToken, "separator", "sepToken")
        padID = try requiredID(options.padToken, "padding", "padToken")
        var special: [(text: String, id: Int32)] = [
            (options.unknownToken, unknownID), (options.clsToken, clsID),
            (options.sepToken, sepID), (options.padToken, padID),
        ]
        if let maskID = vocabulary.id(for: options.maskToken) {
            special.append((options.maskToken, maskID))
        }
        for token in options.additionalSpecialTokens {
            special.append((token, try requiredID(token, "special", "additionalSpecialTokens")))
        }
        self.options = options
        self.vocabulary = vocabulary
        basic = BasicTokenizer(
            lowercase: options.lowercase,
            stripAccents: options.stripAccents ?? options.lowercase,
            tokenizeChineseChars: options.tokenizeChineseChars)
        wordPiece = WordPieceModel(
            vocabulary: vocabulary, unknownID: unknownID, maxInputCharsPerWord: options.maxInputCharsPerWord)
        specialTokens = SpecialTokenMatcher(tokens: special)
    }

    /// The word pieces of `text`, without [CLS]/[SEP] and without truncation.
    public func tokenize(_ text: String) -> [String] {
        var ids: [Int32] = []
        appendPieceIDs(of: text, to: &ids, limit: .max)
        return ids.map { vocabulary.tokens[Int($0)] }
    }

    /// `[CLS] pieces [SEP]`, cut to `maxLength` (default `options.maxLength`, at least 2) by
    /// dropping trailing pieces, so [SEP] stays last as HF's truncation leaves it.
    public func encode(_ text: String, maxLength: Int? = nil) -> Encoding {
        Encoding(ids: encodedIDs(of: text, maxLength: maxLength ?? options.maxLength))
    }

    /// Each text encoded as by `encode`, then right-padded with [PAD] to the longest row.
    public func encode(batch: [String], maxLength: Int? = nil) -> BatchEncoding {
        let limit = maxLength ?? options.maxLength
        return BatchEncoding(rows: batch.map { encodedIDs(of: $0, maxLength: limit) }, padID: padID)
    }

    private func encodedIDs(of text: String, maxLength: Int) -> [Int32] {
        let pieceBudget = max(maxLength, 2) - 2
        var ids: [Int32] = []
        ids.reserveCapacity(min(pieceBudget, text.utf8.count) + 2)
        ids.append(clsID)
        appendPieceIDs(of: text, to: &ids, limit: pieceBudget + 1)
        if ids.count > pieceBudget + 1 {
            ids.removeSubrange((pieceBudget + 1)...)
        }
        ids.append(sepID)
        return ids
    }

    /// Appends piece ids until `ids.count` reaches `limit` (it may overshoot by part of a word;
    /// callers trim).
    ///
    /// Walks the UTF-8 once and tokenizes chunk by chunk, a chunk ending at ASCII whitespace or a
    /// special token, so a long document cut to 128 tokens is only read as far as needed. That is
    /// exact: such whitespace is a word boundary after normalization, and NFD never reorders across it.
    private func appendPieceIDs(of text: String, to ids: inout [Int32], limit: Int) {
        guard ids.count < limit else { return }
        var text = text
        text.withUTF8 { bytes in
            var normalized: [UInt32] = []
            normalized.reserveCapacity(min(bytes.count, 4096) + 16)
            var chunkStart = 0
            var needsSecondPass = false
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                if let special = specialTokens.match(in: bytes, at: index) {
                    guard appendChunk(&normalized, from: chunkStart, secondPass: needsSecondPass, to: &ids, limit: limit)
                    else { return }
                    chunkStart = normalized.count
                    needsSecondPass = false
                    ids.append(special.id)
                    if ids.count >= limit { return }
                    index += special.length
                } else if byte < 0x80 {
                    // BasicTokenizer's ASCII rules, inlined for the hot path.
                    switch byte {
                    case 0x20, 0x0A, 0x09, 0x0D:
                        guard appendChunk(&normalized, from: chunkStart, secondPass: needsSecondPass, to: &ids, limit: limit)
                        else { return }
                        chunkStart = normalized.count
                        needsSecondPass = false
                    case 0x41...0x5A:
                        normalized.append(UInt32(byte) | (basic.lowercase ? 0x20 : 0))
                    case 0x21...0x7E:
                        normalized.append(UInt32(byte))
                    default:
                        break  // other ASCII controls are dropped by cleaning
                    }
                    index += 1
                } else {
                    // Swift strings hold valid UTF-8, so the lead byte gives the length.
                    let value: UInt32
                    if byte < 0xE0 {
                        value = UInt32(byte & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F)
                        index += 2
                    } else if byte < 0xF0 {
                        value = UInt32(byte & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6
                            | UInt32(bytes[index + 2] & 0x3F)
                        index += 3
                    } else {
                        value = UInt32(byte & 0x07) << 18 | UInt32(bytes[index + 1] & 0x3F) << 12
                            | UInt32(bytes[index + 2] & 0x3F) << 6 | UInt32(bytes[index + 3] & 0x3F)
                        index += 4
                    }
                    if basic.appendNormalizing(value, to: &normalized) { needsSecondPass = true }
                }
            }
            _ = appendChunk(&normalized, from: chunkStart, secondPass: needsSecondPass, to: &ids, limit: limit)
        }
    }

    /// Finishes normalizing `normalized[chunkStart...]` and appends its pieces; false once
    /// `limit` is reached.
    private func appendChunk(
        _ normalized: inout [UInt32], from chunkStart: Int, secondPass: Bool, to ids: inout [Int32], limit: Int
    ) -> Bool {
        guard normalized.count > chunkStart else { return true }
        if secondPass { basic.finishNormalizing(&normalized, from: chunkStart) }
        return normalized.withUnsafeBufferPointer { buffer in
            let chunk = UnsafeBufferPointer(rebasing: buffer[chunkStart...])
            var open = true
            basic.forEachWord(in: chunk) { word in
                wordPiece.appendPieces(of: UnsafeBufferPointer(rebasing: chunk[word]), to: &ids)
                open = ids.count < limit
                return open
            }
            return open
        }
    }
}

import Foundation

/// Reads the tokenizer settings of a Hugging Face model folder into `Options`.
///
/// Precedence follows `transformers`: defaults, then tokenizer.json, then tokenizer_config.json
/// (whose flags `BertTokenizerFast` writes back over the tokenizer.json normalizer). For the length
/// cap, tokenizer_config.json's `model_max_length` (what `truncation=True` uses) wins over
/// tokenizer.json's `truncation.max_length` (which only the bare `tokenizers` library applies).
enum HuggingFaceTokenizerFolder {
    static func options(in folder: URL) throws(TokenizerError) -> WordPieceTokenizer.Options {
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("vocab.txt").path) else {
            throw TokenizerError(
                "No vocab.txt in \(folder.path). Pass the Hugging Face folder of a BERT WordPiece model "
                    + "(it holds vocab.txt), or use init(vocabulary:options:) with the vocabulary file.")
        }
        var options = WordPieceTokenizer.Options()
        var added: [String] = []
        let tokenizerFile = folder.appendingPathComponent("tokenizer.json")
        if let json = try read(TokenizerJSON.self, from: tokenizerFile) {
            try apply(json, to: &options, addedTokens: &added, file: tokenizerFile.path)
        }
        if let config = try read(TokenizerConfig.self, from: folder.appendingPathComponent("tokenizer_config.json")) {
            apply(config, to: &options, addedTokens: &added)
        }
        let named = [options.unknownToken, options.clsToken, options.sepToken, options.padToken, options.maskToken]
        var seen = Set(named)
        options.additionalSpecialTokens = added.filter { seen.insert($0).inserted }
        return options
    }

    private static func apply(
        _ json: TokenizerJSON, to options: inout WordPieceTokenizer.Options, addedTokens: inout [String], file: String
    ) throws(TokenizerError) {
        if let model = json.model {
            if let type = model.type, type != "WordPiece" {
                throw TokenizerError(
                    "\(file) describes a \(type) model; this tokenizer implements WordPiece only. Use a BERT-style model folder.")
            }
            if let prefix = model.continuingSubwordPrefix, prefix != Vocabulary.continuationPrefix {
                throw TokenizerError(
                    "\(file) uses continuation prefix \"\(prefix)\"; only \"##\" is supported. Use a BERT-style vocabulary.")
            }
            if let unknown = model.unkToken { options.unknownToken = unknown }
            if let limit = model.maxInputCharsPerWord { options.maxInputCharsPerWord = limit }
        }
        if let normalizer = json.normalizer {
            guard normalizer.type == "BertNormalizer" else {
                throw TokenizerError(
                    "\(file) uses a \(normalizer.type ?? "untyped") normalizer; only BertNormalizer is reproduced. "
                        + "Use a BERT-style tokenizer folder, or pass vocab.txt to init(vocabulary:options:) with your settings.")
            }
            if normalizer.cleanText == false {
                throw TokenizerError(
                    "\(file) turns BertNormalizer's clean_text off, which is not supported. Use a tokenizer with clean_text true.")
            }
            if let lowercase = normalizer.lowercase { options.lowercase = lowercase }
            if case .present(let strip) = normalizer.stripAccents { options.stripAccents = strip }
            if let chinese = normalizer.handleChineseChars { options.tokenizeChineseChars = chinese }
        }
        if let type = json.preTokenizer?.type, type != "BertPreTokenizer" {
            throw TokenizerError(
                "\(file) uses a \(type) pre-tokenizer; only BertPreTokenizer is reproduced. Use a BERT-style tokenizer folder.")
        }
        if let length = plausibleLength(json.truncation?.maxLength) { options.maxLength = length }
        addedTokens += json.addedTokens?.map(\.content) ?? []
    }

    private static func apply(
        _ config: TokenizerConfig, to options: inout WordPieceTokenizer.Options, addedTokens: inout [String]
    ) {
        if let lowercase = config.doLowerCase { options.lowercase = lowercase }
        if case .present(let strip) = config.stripAccents { options.stripAccents = strip }
        if let chinese = config.tokenizeChineseChars { options.tokenizeChineseChars = chinese }
        if let length = plausibleLength(config.modelMaxLength) { options.maxLength = length }
        if let token = config.unkToken?.text { options.unknownToken = token }
        if let token = config.clsToken?.text { options.clsToken = token }
        if let token = config.sepToken?.text { options.sepToken = token }
        if let token = config.padToken?.text { options.padToken = token }
        if let token = config.maskToken?.text { options.maskToken = token }
        addedTokens += config.additionalSpecialTokens?.map(\.text) ?? []
        let decoder = (config.addedTokensDecoder ?? [:]).sorted { (Int($0.key) ?? 0) < (Int($1.key) ?? 0) }
        addedTokens += decoder.map(\.value.text)
    }

    /// `transformers` writes a huge sentinel (int(1e30)) when a model sets no limit.
    private static func plausibleLength(_ value: Double?) -> Int? {
        guard let value, value >= 2, value <= 1_000_000 else { return nil }
        return Int(value)
    }

    /// The decoded file, or nil when it does not exist.
    private static func read<T: Decodable>(_ type: T.Type, from url: URL) throws(TokenizerError) -> T? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try JSONDecoder().decode(type, from: Data(contentsOf: url))
        } catch {
            throw TokenizerError(
                "Cannot read \(url.path) (\(error)). Restore the file from the model's Hugging Face folder, "
                    + "or remove it to use the defaults.")
        }
    }
}

/// A setting whose presence matters even when null: `"strip_accents": null` resets it to "follow lowercase".
private enum Setting<Value: Decodable & Sendable>: Sendable {
    case absent
    case present(Value?)
}

extension KeyedDecodingContainer {
    /// Settings of the wrong type are ignored rather than fatal: only the fields that change ids matter.
    fileprivate func lenient<T: Decodable>(_ type: T.Type, _ key: Key) -> T? {
        (try? decodeIfPresent(type, forKey: key)) ?? nil
    }

    fileprivate func setting<T: Decodable & Sendable>(_ type: T.Type, _ key: Key) -> Setting<T> {
        contains(key) ? .present(lenient(type, key)) : .absent
    }
}

/// A special token, saved either as a plain string or as an AddedToken object with "content".
private struct TokenText: Decodable {
    let text: String

    private enum CodingKeys: String, CodingKey { case content }

    init(from decoder: any Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            self.text = text
        } else {
            text = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .content)
        }
    }
}

/// The parts of tokenizer.json that change ids; the vocabulary comes from vocab.txt.
private struct TokenizerJSON: Decodable {
    struct Normalizer: Decodable {
        let type: String?
        let lowercase: Bool?
        let stripAccents: Setting<Bool>
        let handleChineseChars: Bool?
        let cleanText: Bool?

        private enum CodingKeys: String, CodingKey {
            case type, lowercase
            case stripAccents = "strip_accents"
            case handleChineseChars = "handle_chinese_chars"
            case cleanText = "clean_text"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = container.lenient(String.self, .type)
            lowercase = container.lenient(Bool.self, .lowercase)
            stripAccents = container.setting(Bool.self, .stripAccents)
            handleChineseChars = container.lenient(Bool.self, .handleChineseChars)
            cleanText = container.lenient(Bool.self, .cleanText)
        }
    }

    struct PreTokenizer: Decodable {
        let type: String?
    }

    struct Model: Decodable {
        let type: String?
        let unkToken: String?
        let continuingSubwordPrefix: String?
        let maxInputCharsPerWord: Int?

        private enum CodingKeys: String, CodingKey {
            case type
            case unkToken = "unk_token"
            case continuingSubwordPrefix = "continuing_subword_prefix"
            case maxInputCharsPerWord = "max_input_chars_per_word"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = container.lenient(String.self, .type)
            unkToken = container.lenient(String.self, .unkToken)
            continuingSubwordPrefix = container.lenient(String.self, .continuingSubwordPrefix)
            maxInputCharsPerWord = container.lenient(Int.self, .maxInputCharsPerWord)
        }
    }

    struct Truncation: Decodable {
        let maxLength: Double?

        private enum CodingKeys: String, CodingKey { case maxLength = "max_length" }

        init(from decoder: any Decoder) throws {
            maxLength = try decoder.container(keyedBy: CodingKeys.self).lenient(Double.self, .maxLength)
        }
    }

    struct AddedToken: Decodable {
        let content: String
    }

    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let model: Model?
    let truncation: Truncation?
    let addedTokens: [AddedToken]?

    private enum CodingKeys: String, CodingKey {
        case normalizer, model, truncation
        case preTokenizer = "pre_tokenizer"
        case addedTokens = "added_tokens"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        normalizer = container.lenient(Normalizer.self, .normalizer)
        preTokenizer = container.lenient(PreTokenizer.self, .preTokenizer)
        model = container.lenient(Model.self, .model)
        truncation = container.lenient(Truncation.self, .truncation)
        addedTokens = container.lenient([AddedToken].self, .addedTokens)
    }
}

/// The parts of tokenizer_config.json that change ids.
private struct TokenizerConfig: Decodable {
    let doLowerCase: Bool?
    let stripAccents: Setting<Bool>
    let tokenizeChineseChars: Bool?
    let modelMaxLength: Double?
    let unkToken, clsToken, sepToken, padToken, maskToken: TokenText?
    let additionalSpecialTokens: [TokenText]?
    let addedTokensDecoder: [String: TokenText]?

    private enum CodingKeys: String, CodingKey {
        case doLowerCase = "do_lower_case"
        case stripAccents = "strip_accents"
        case tokenizeChineseChars = "tokenize_chinese_chars"
        case modelMaxLength = "model_max_length"
        case unkToken = "unk_token"
        case clsToken = "cls_token"
        case sepToken = "sep_token"
        case padToken = "pad_token"
        case maskToken = "mask_token"
        case additionalSpecialTokens = "additional_special_tokens"
        case addedTokensDecoder = "added_tokens_decoder"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        doLowerCase = container.lenient(Bool.self, .doLowerCase)
        stripAccents = container.setting(Bool.self, .stripAccents)
        tokenizeChineseChars = container.lenient(Bool.self, .tokenizeChineseChars)
        modelMaxLength = container.lenient(Double.self, .modelMaxLength)
        unkToken = container.lenient(TokenText.self, .unkToken)
        clsToken = container.lenient(TokenText.self, .clsToken)
        sepToken = container.lenient(TokenText.self, .sepToken)
        padToken = container.lenient(TokenText.self, .padToken)
        maskToken = container.lenient(TokenText.self, .maskToken)
        additionalSpecialTokens = container.lenient([TokenText].self, .additionalSpecialTokens)
        addedTokensDecoder = container.lenient([String: TokenText].self, .addedTokensDecoder)
    }
}

import Foundation
import Testing
@testable import TesseraCore

/// Reading tokenizer_config.json and tokenizer.json, with `transformers`' precedence.
struct HuggingFaceFolderTests {
    private func folder(
        config: String? = nil, tokenizerJSON: String? = nil, vocabulary: [String]? = smallVocabulary
    ) throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        if let vocabulary { try directory.write("vocab.txt", vocabulary.joined(separator: "\n") + "\n") }
        if let config { try directory.write("tokenizer_config.json", config) }
        if let tokenizerJSON { try directory.write("tokenizer.json", tokenizerJSON) }
        return directory
    }

    @Test func aBareVocabularyFolderUsesTheDefaults() throws {
        let directory = try folder()
        defer { directory.remove() }
        #expect(try WordPieceTokenizer(folder: directory.url).options == .init())
    }

    @Test func tokenizerConfigWinsOverTokenizerJSON() throws {
        let directory = try folder(
            config: """
                {"do_lower_case": false, "strip_accents": true, "tokenize_chinese_chars": false,
                 "model_max_length": 64, "unk_token": {"content": "[UNK]", "__type": "AddedToken"},
                 "mask_token": "[MASK]", "additional_special_tokens": ["cafe"]}
                """,
            tokenizerJSON: """
                {"truncation": {"max_length": 128}, "added_tokens": [{"id": 0, "content": "[PAD]"}],
                 "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                                "strip_accents": null, "lowercase": true},
                 "pre_tokenizer": {"type": "BertPreTokenizer"},
                 "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                           "max_input_chars_per_word": 50, "vocab": {}}}
                """)
        defer { directory.remove() }
        let tokenizer = try WordPieceTokenizer(folder: directory.url)
        #expect(tokenizer.options == .init(
            lowercase: false, stripAccents: true, tokenizeChineseChars: false, maxLength: 64,
            additionalSpecialTokens: ["cafe"], maxInputCharsPerWord: 50))
        #expect(tokenizer.tokenize("caf\u{E9}") == ["cafe"])
    }

    @Test func tokenizerJSONSettingsApplyWithoutAConfig() throws {
        let directory = try folder(tokenizerJSON: """
            {"truncation": {"max_length": 128},
             "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": false,
                            "strip_accents": false, "lowercase": true}}
            """)
        defer { directory.remove() }
        let options = try WordPieceTokenizer(folder: directory.url).options
        #expect(options == .init(stripAccents: false, tokenizeChineseChars: false, maxLength: 128))
    }

    @Test func aNullStripAccentsInTheConfigStillOverrides() throws {
        // transformers rebuilds the normalizer from the config whenever the two disagree.
        let directory = try folder(
            config: #"{"strip_accents": null, "do_lower_case": "yes"}"#,
            tokenizerJSON: #"{"normalizer": {"type": "BertNormalizer", "strip_accents": false, "lowercase": true}}"#)
        defer { directory.remove() }
        let tokenizer = try WordPieceTokenizer(folder: directory.url)
        #expect(tokenizer.options.stripAccents == nil)
        #expect(tokenizer.options.lowercase)  // a wrongly typed setting is ignored
        #expect(tokenizer.tokenize("CAF\u{C9}") == ["cafe"])
    }

    @Test func ignoresTheNoLimitSentinel() throws {
        let directory = try folder(config: #"{"model_max_length": 1000000000000000019884624838656}"#)
        defer { directory.remove() }
        #expect(try WordPieceTokenizer(folder: directory.url).options.maxLength == 512)
    }

    @Test func explainsFoldersItCannotReproduce() throws {
        let noVocabulary = try folder(vocabulary: nil)
        defer { noVocabulary.remove() }
        let missing = try #require(throws: TokenizerError.self) { try WordPieceTokenizer(folder: noVocabulary.url) }
        #expect(missing.message.contains("No vocab.txt"))

        let bpe = try folder(tokenizerJSON: #"{"model": {"type": "BPE"}}"#)
        defer { bpe.remove() }
        let wrongModel = try #require(throws: TokenizerError.self) { try WordPieceTokenizer(folder: bpe.url) }
        #expect(wrongModel.message.contains("WordPiece only"))

        let sequence = try folder(tokenizerJSON: #"{"normalizer": {"type": "Sequence", "normalizers": []}}"#)
        defer { sequence.remove() }
        #expect(throws: TokenizerError.self) { try WordPieceTokenizer(folder: sequence.url) }

        let broken = try folder(config: "{not json")
        defer { broken.remove() }
        let parse = try #require(throws: TokenizerError.self) { try WordPieceTokenizer(folder: broken.url) }
        #expect(parse.message.contains("tokenizer_config.json"))
    }
}

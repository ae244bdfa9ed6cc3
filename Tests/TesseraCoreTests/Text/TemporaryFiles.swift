import Foundation
import TesseraCore

/// A fresh directory for small hand-made vocabularies and config files; callers remove it.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-text-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    @discardableResult
    func write(_ name: String, _ contents: String) throws -> URL {
        let file = url.appendingPathComponent(name)
        try contents.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

/// Ids are line indexes: [PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3, [MASK]=4, then the pieces in order.
let smallVocabulary = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
    "un", "##aff", "##able", "aff", "able", "hello", "world", ",", ".", "e", "##\u{301}", "é", "a", "##a",
    "[", "]", "cl", "##s", "cafe", "中", "文",
]

/// A tokenizer over `vocabulary`; the file is gone afterwards since the vocabulary is read eagerly.
func makeTokenizer(
    _ options: WordPieceTokenizer.Options = .init(), vocabulary: [String] = smallVocabulary
) throws -> WordPieceTokenizer {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let file = try directory.write("vocab.txt", vocabulary.joined(separator: "\n") + "\n")
    return try WordPieceTokenizer(vocabulary: file, options: options)
}

import Foundation

/// A WordPiece vocabulary: id = line index of vocab.txt.
///
/// Pieces are kept in two scalar-keyed tables, word-initial pieces and "##" continuations (keyed
/// without the prefix), so the greedy matcher probes slices of the word it already holds.
struct Vocabulary: Sendable {
    static let continuationPrefix = "##"

    /// Token text by id, for `tokenize` output.
    let tokens: [String]
    private let wordInitial: PieceHashTable
    private let continuation: PieceHashTable

    init(tokens: [String]) {
        self.tokens = tokens
        let prefix = Array(Self.continuationPrefix.unicodeScalars.map(\.value))
        var wordInitial = PieceHashTable(expectedCount: tokens.count)
        var continuation = PieceHashTable(expectedCount: tokens.count / 4)
        for (index, token) in tokens.enumerated() {
            let scalars = token.unicodeScalars.map(\.value)
            wordInitial.insert(scalars, id: Int32(index))
            if scalars.count > prefix.count, scalars.starts(with: prefix) {
                continuation.insert(scalars.dropFirst(prefix.count), id: Int32(index))
            }
        }
        self.wordInitial = wordInitial
        self.continuation = continuation
    }

    /// Reads vocab.txt as `tokenizers` does: one token per line, trailing whitespace (and so
    /// CR of CRLF files) trimmed, no trailing empty line for the final newline.
    static func load(from url: URL) throws(TokenizerError) -> Vocabulary {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TokenizerError(
                "Cannot read the WordPiece vocabulary at \(url.path) (\(error.localizedDescription)). "
                    + "Pass the vocab.txt of a BERT-style model, e.g. the one in its Hugging Face folder.")
        }
        guard String(data: data, encoding: .utf8) != nil else {
            throw TokenizerError(
                "The vocabulary at \(url.path) is not valid UTF-8. Pass a vocab.txt saved as UTF-8, one token per line.")
        }
        var tokens: [String] = []
        data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var lineStart = 0
            for index in 0...bytes.count where index == bytes.count || bytes[index] == 0x0A {
                if index == bytes.count && lineStart == index { break }
                tokens.append(trimmingTrailingWhitespace(
                    String(decoding: UnsafeBufferPointer(rebasing: bytes[lineStart..<index]), as: UTF8.self)))
                lineStart = index + 1
            }
        }
        guard !tokens.isEmpty else {
            throw TokenizerError("The vocabulary at \(url.path) is empty. Pass a vocab.txt with one token per line.")
        }
        return Vocabulary(tokens: tokens)
    }

    /// Rust's `str::trim_end`: Unicode White_Space, which includes the CR of CRLF line ends.
    private static func trimmingTrailingWhitespace(_ line: String) -> String {
        let scalars = line.unicodeScalars
        guard let last = scalars.last, last.properties.isWhitespace else { return line }
        var end = scalars.endIndex
        while end > scalars.startIndex, scalars[scalars.index(before: end)].properties.isWhitespace {
            end = scalars.index(before: end)
        }
        return String(scalars[scalars.startIndex..<end])
    }

    /// The id of a whole token as written in vocab.txt.
    func id(for token: String) -> Int32? {
        let scalars = token.unicodeScalars.map(\.value)
        return scalars.withUnsafeBufferPointer { wordInitial.find($0) }
    }

    /// The longest vocabulary piece of `word` starting at `start` — word-initial at 0, a "##"
    /// continuation after — and where it ends; nil if no piece matches.
    @inline(__always)
    func longestPiece(in word: UnsafeBufferPointer<UInt32>, from start: Int) -> (id: Int32, end: Int)? {
        // Branch rather than pick a table into a local: copying the struct retains all its arrays.
        start == 0
            ? wordInitial.longestPrefix(of: word, from: start)
            : continuation.longestPrefix(of: word, from: start)
    }
}

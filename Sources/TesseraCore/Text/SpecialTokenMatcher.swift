/// Finds special tokens such as "[CLS]" in the raw text, before normalization, so a marker typed
/// into the input stays one token instead of "[", "cl", "##s", "]". Mirrors the added-token pass
/// of `tokenizers`: case-sensitive, matched anywhere (even inside a word), leftmost then longest.
///
/// Matches UTF-8 bytes: at a scalar boundary that is the same as matching scalars, and the
/// tokenizer already walks the text's UTF-8.
struct SpecialTokenMatcher: Sendable {
    private struct Candidate: Sendable {
        let bytes: [UInt8]
        let id: Int32
    }

    /// Longest first, so the first hit at a position is the longest one.
    private let candidates: [Candidate]
    /// Bit b set when some token starts with byte b: one test rejects almost every position.
    private let firstBytes: (UInt64, UInt64, UInt64, UInt64)

    init(tokens: [(text: String, id: Int32)]) {
        var seen = Set<String>()
        var candidates: [Candidate] = []
        for token in tokens where !token.text.isEmpty && seen.insert(token.text).inserted {
            candidates.append(Candidate(bytes: Array(token.text.utf8), id: token.id))
        }
        candidates.sort { $0.bytes.count > $1.bytes.count }
        var words: [UInt64] = [0, 0, 0, 0]
        for candidate in candidates {
            let first = Int(candidate.bytes[0])
            words[first >> 6] |= 1 << UInt64(first & 63)
        }
        self.candidates = candidates
        firstBytes = (words[0], words[1], words[2], words[3])
    }

    /// The special token starting at byte `index`, which must begin a scalar.
    @inline(__always)
    func match(in text: UnsafeBufferPointer<UInt8>, at index: Int) -> (id: Int32, length: Int)? {
        let first = text[index]
        let word = first < 64 ? firstBytes.0 : first < 128 ? firstBytes.1 : first < 192 ? firstBytes.2 : firstBytes.3
        guard word & (1 << UInt64(first & 63)) != 0 else { return nil }
        return slowMatch(in: text, at: index)
    }

    private func slowMatch(in text: UnsafeBufferPointer<UInt8>, at index: Int) -> (id: Int32, length: Int)? {
        for candidate in candidates where candidate.bytes.count <= text.count - index {
            if UnsafeBufferPointer(rebasing: text[index..<index + candidate.bytes.count]).elementsEqual(candidate.bytes) {
                return (candidate.id, candidate.bytes.count)
            }
        }
        return nil
    }
}

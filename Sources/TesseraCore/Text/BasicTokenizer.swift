/// BERT's stage before WordPiece, in the order Hugging Face's `tokenizers` applies it
/// (`BertNormalizer`: clean, isolate CJK, strip accents, lowercase; then `BertPreTokenizer`:
/// split on whitespace and isolate punctuation). The order matters for parity: stripping runs
/// before lowercasing, and splitting sees the normalized text.
///
/// Works on Unicode scalar values, not grapheme clusters, because that is the unit HF counts and
/// matches ("e" + U+0301 is two scalars; the mark is stripped, the "e" kept).
struct BasicTokenizer: Sendable {
    let lowercase: Bool
    let stripAccents: Bool
    let tokenizeChineseChars: Bool
    private let table = BertScalarTable.shared
    /// Non-ASCII flags that need the second, slower pass.
    private let secondPassFlags: BertScalarTable.Flags

    init(lowercase: Bool, stripAccents: Bool, tokenizeChineseChars: Bool) {
        self.lowercase = lowercase
        self.stripAccents = stripAccents
        self.tokenizeChineseChars = tokenizeChineseChars
        var flags: BertScalarTable.Flags = []
        if stripAccents { flags.formUnion([.decomposes, .nonspacingMark, .combining]) }
        if lowercase { flags.insert(.lowercases) }
        secondPassFlags = flags
    }

    /// First pass for one raw scalar: cleaning, CJK isolation and ASCII lowercasing, which need no
    /// context. Returns true when the scalar also needs `finishNormalizing` (NFD, marks, non-ASCII
    /// case), which English text never does.
    @inline(__always)
    func appendNormalizing(_ value: UInt32, to output: inout [UInt32]) -> Bool {
        if value < 0x80 {
            switch BertCharacterClasses.asciiClass(value) {
            case .removed:
                break
            case .whitespace:
                output.append(0x20)
            case .other, .punctuation:
                // ASCII is unchanged by NFD, so lowercasing it now equals lowercasing after stripping.
                output.append(lowercase && (0x41...0x5A).contains(value) ? value + 0x20 : value)
            }
            return false
        }
        let flags = table.flags(value)
        if flags.contains(.removed) { return false }
        if flags.contains(.whitespace) {
            output.append(0x20)
            return false
        }
        if tokenizeChineseChars && BertCharacterClasses.isChineseCharacter(value) {
            output.append(0x20)
            output.append(value)
            output.append(0x20)
        } else {
            output.append(value)
        }
        return !flags.isDisjoint(with: secondPassFlags)
    }

    /// Second pass over `output[start...]`: canonical decomposition and mark stripping, then
    /// lowercasing, in that order as in `tokenizers`.
    func finishNormalizing(_ output: inout [UInt32], from start: Int) {
        var result: [UInt32] = []
        result.reserveCapacity(output.count - start + 16)
        if stripAccents {
            var decomposed: [UInt32] = []
            decomposed.reserveCapacity(output.count - start + 16)
            for value in output[start...] {
                if value >= 0x80 && table.flags(value).contains(.decomposes) {
                    table.appendDecomposition(of: value, to: &decomposed)
                } else {
                    decomposed.append(value)
                }
            }
            reorderCombiningMarks(&decomposed)
            for value in decomposed where value < 0x80 || !table.flags(value).contains(.nonspacingMark) {
                appendCased(value, to: &result)
            }
        } else {
            for value in output[start...] {
                appendCased(value, to: &result)
            }
        }
        output.replaceSubrange(start..., with: result)
    }

    /// Calls `body` with the range of each word in normalized text; stops early when it returns false.
    /// Whitespace separates words and each punctuation scalar is a word of its own.
    func forEachWord(in text: UnsafeBufferPointer<UInt32>, _ body: (Range<Int>) -> Bool) {
        var wordStart = -1
        for index in 0..<text.count {
            let value = text[index]
            let isWhitespace: Bool
            let isPunctuation: Bool
            if value < 0x80 {
                let kind = BertCharacterClasses.asciiClass(value)
                isWhitespace = kind == .whitespace
                isPunctuation = kind == .punctuation
            } else {
                let flags = table.flags(value)
                isWhitespace = flags.contains(.whitespace)
                isPunctuation = flags.contains(.punctuation)
            }
            if isWhitespace || isPunctuation {
                if wordStart >= 0 {
                    guard body(wordStart..<index) else { return }
                    wordStart = -1
                }
                if isPunctuation {
                    guard body(index..<index + 1) else { return }
                }
            } else if wordStart < 0 {
                wordStart = index
            }
        }
        if wordStart >= 0 {
            _ = body(wordStart..<text.count)
        }
    }

    /// NFD's canonical ordering: runs of combining marks sorted stably by combining class. Only the
    /// order of marks that survive stripping is visible, but it must still match.
    private func reorderCombiningMarks(_ values: inout [UInt32]) {
        var runStart = -1
        for index in 0...values.count {
            let combining = index < values.count && values[index] >= 0x80
                && table.flags(values[index]).contains(.combining)
            if combining {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                if index - runStart > 1 {
                    let sorted = values[runStart..<index].enumerated()
                        .sorted { (table.combiningClass($0.element), $0.offset) < (table.combiningClass($1.element), $1.offset) }
                        .map(\.element)
                    values.replaceSubrange(runStart..<index, with: sorted)
                }
                runStart = -1
            }
        }
    }

    /// Lowercases one scalar with the full, context-free Unicode mapping, as Rust's
    /// `char::to_lowercase` does ("İ" becomes "i" + U+0307; a final "Σ" stays "σ").
    @inline(__always)
    private func appendCased(_ value: UInt32, to output: inout [UInt32]) {
        guard lowercase else {
            output.append(value)
            return
        }
        if value < 0x80 {
            output.append((0x41...0x5A).contains(value) ? value + 0x20 : value)
        } else if table.flags(value).contains(.lowercases) {
            for scalar in BertCharacterClasses.scalarProperties(value).lowercaseMapping.unicodeScalars {
                output.append(scalar.value)
            }
        } else {
            output.append(value)
        }
    }
}

/// Character classes exactly as Hugging Face's Rust `tokenizers` defines them for BERT
/// (`BertNormalizer` and `BertPreTokenizer`), which is what `BertTokenizerFast` and the goldens use.
/// Scalars are passed as raw `UInt32` values so the hot loops stay on plain integers.
///
/// `tokenizers` takes general categories (control/format/private use, punctuation, nonspacing
/// marks) from the `unicode_categories` crate, whose tables are Unicode 8.0, while whitespace,
/// lowercasing and NFD use current Unicode. So characters assigned after 8.0 count as unassigned
/// for those categories, and the few whose category changed since keep their 8.0 one. A sweep of
/// every code point against tokenizers 0.23.3 confirmed this model.
enum BertCharacterClasses {
    /// Dropped by text cleaning: NUL, U+FFFD, and "other" characters (Cc, Cf, Co) except tab, LF, CR.
    /// Unassigned code points (Cn) are kept, as in `tokenizers`.
    @inline(__always)
    static func isRemovedByCleaning(_ value: UInt32) -> Bool {
        if value < 0x80 { return asciiClass(value) == .removed }
        if value == 0xFFFD { return true }
        switch unicode8Category(value) {
        case .control, .format, .privateUse: return true
        default: return false
        }
    }

    /// Whitespace for both cleaning and splitting: Unicode White_Space (Rust's `char::is_whitespace`).
    @inline(__always)
    static func isWhitespace(_ value: UInt32) -> Bool {
        if value < 0x80 { return asciiClass(value) == .whitespace }
        return scalarProperties(value).isWhitespace
    }

    /// ASCII symbols count as punctuation even where Unicode calls them symbols (`$`, `+`, `^`, ...),
    /// plus every Unicode P* category.
    @inline(__always)
    static func isPunctuation(_ value: UInt32) -> Bool {
        if value < 0x80 { return asciiClass(value) == .punctuation }
        switch unicode8Category(value) {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// The CJK blocks `tokenizers` isolates. Its list reads 0x2B920 where Google's original BERT
    /// (and HF's Python BasicTokenizer) read 0x2B820; we follow `tokenizers`, the golden's source.
    @inline(__always)
    static func isChineseCharacter(_ value: UInt32) -> Bool {
        switch value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    /// Accent stripping drops nonspacing marks (Mn) after canonical decomposition.
    @inline(__always)
    static func isNonspacingMark(_ value: UInt32) -> Bool {
        value >= 0x300 && unicode8Category(value) == .nonspacingMark
    }

    /// The general category in Unicode 8.0, or nil where 8.0 had the code point unassigned.
    @inline(__always)
    static func unicode8Category(_ value: UInt32) -> Unicode.GeneralCategory? {
        let properties = scalarProperties(value)
        guard let age = properties.age, age.major < 8 || (age.major == 8 && age.minor == 0) else {
            return nil
        }
        switch value {
        case 0x166D, 0x111C9: return .otherPunctuation  // now So, Mn
        case 0x1734, 0x1171E: return .nonspacingMark  // now Mc
        case 0x1885, 0x1886: return .otherLetter  // now Mn
        case 0xA9BD: return .spacingMark  // now Mn
        default: return properties.generalCategory
        }
    }

    @inline(__always)
    static func scalarProperties(_ value: UInt32) -> Unicode.Scalar.Properties {
        // Callers only pass values that came out of a String, so they are valid scalars.
        Unicode.Scalar(value).unsafelyUnwrapped.properties
    }

    enum ASCIIClass: UInt8 {
        case other, removed, whitespace, punctuation
    }

    /// The ASCII fast path, which covers nearly all English input; a switch, not a table, so
    /// the hot loop pays no lazy-global check.
    @inline(__always)
    static func asciiClass(_ value: UInt32) -> ASCIIClass {
        switch value {
        case 9, 10, 13, 32: return .whitespace
        case 0..<32, 127: return .removed
        case 33...47, 58...64, 91...96, 123...126: return .punctuation
        default: return .other
        }
    }
}

import Foundation

/// `BertCharacterClasses` and canonical decompositions precomputed for the Basic Multilingual
/// Plane, once per process. Looking up Unicode properties costs tens of nanoseconds each and
/// Foundation's NFD far more, which made non-ASCII text several times slower than English;
/// astral scalars (emoji, historic scripts) are rare enough to compute on demand.
struct BertScalarTable: Sendable {
    struct Flags: OptionSet, Sendable {
        let rawValue: UInt8
        static let removed = Flags(rawValue: 1 << 0)
        static let whitespace = Flags(rawValue: 1 << 1)
        static let punctuation = Flags(rawValue: 1 << 2)
        static let nonspacingMark = Flags(rawValue: 1 << 3)
        /// NFD changes the scalar.
        static let decomposes = Flags(rawValue: 1 << 4)
        static let lowercases = Flags(rawValue: 1 << 5)
        /// Nonzero canonical combining class: NFD may reorder it among its neighbours.
        static let combining = Flags(rawValue: 1 << 6)
    }

    /// Built on first use (a few milliseconds); tokenizers touch it at init so requests never wait.
    static let shared = BertScalarTable()

    private let bmp: [Flags]
    private let decompositions: [UInt32: [UInt32]]

    private init() {
        var bmp = [Flags](repeating: [], count: 0x10000)
        var candidates: [UInt32] = []
        var batch = String.UnicodeScalarView()
        for value in UInt32(0)..<0x10000 {
            switch value {
            case 0xD800...0xDFFF:
                continue
            case 0x3400...0x4DBF, 0x4E00...0x9FFF:
                continue  // unified ideographs: plain letters without case or decomposition
            case Self.hangulFirst...Self.hangulLast:
                bmp[Int(value)] = .decomposes  // algorithmic, see appendDecomposition
                continue
            default:
                break
            }
            let flags = Self.computeFlags(value)
            bmp[Int(value)] = flags
            guard value >= 0x80, flags.isDisjoint(with: [.removed, .whitespace]),
                  let scalar = Unicode.Scalar(value), scalar.properties.age != nil else { continue }
            candidates.append(value)
            batch.append(scalar)
            batch.append(" ")  // a starter: keeps NFD from reordering across candidates
        }
        var decompositions: [UInt32: [UInt32]] = [:]
        let pieces = String(batch).decomposedStringWithCanonicalMapping.unicodeScalars
            .split(separator: " ", omittingEmptySubsequences: false)
        precondition(pieces.count == candidates.count + 1, "canonical decompositions went out of step")
        for (value, piece) in zip(candidates, pieces) where !(piece.count == 1 && piece.first?.value == value) {
            decompositions[value] = piece.map(\.value)
            bmp[Int(value)].insert(.decomposes)
        }
        self.bmp = bmp
        self.decompositions = decompositions
    }

    @inline(__always)
    func flags(_ value: UInt32) -> Flags {
        value < 0x10000 ? bmp[Int(value)] : Self.computeFlags(value)
    }

    /// Appends the full canonical decomposition of `value` (itself when it has none).
    func appendDecomposition(of value: UInt32, to output: inout [UInt32]) {
        if (Self.hangulFirst...Self.hangulLast).contains(value) {
            let index = value - Self.hangulFirst
            output.append(0x1100 + index / 588)
            output.append(0x1161 + (index % 588) / 28)
            if index % 28 != 0 { output.append(0x11A7 + index % 28) }
        } else if value < 0x10000 {
            if let decomposition = decompositions[value] {
                output.append(contentsOf: decomposition)
            } else {
                output.append(value)
            }
        } else {
            let scalar = Unicode.Scalar(value).unsafelyUnwrapped
            for part in String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars {
                output.append(part.value)
            }
        }
    }

    @inline(__always)
    func combiningClass(_ value: UInt32) -> UInt8 {
        BertCharacterClasses.scalarProperties(value).canonicalCombiningClass.rawValue
    }

    private static let hangulFirst: UInt32 = 0xAC00
    private static let hangulLast: UInt32 = 0xD7A3

    private static func computeFlags(_ value: UInt32) -> Flags {
        guard let scalar = Unicode.Scalar(value) else { return [] }
        var flags: Flags = []
        if BertCharacterClasses.isRemovedByCleaning(value) { flags.insert(.removed) }
        if BertCharacterClasses.isWhitespace(value) { flags.insert(.whitespace) }
        if BertCharacterClasses.isPunctuation(value) { flags.insert(.punctuation) }
        if BertCharacterClasses.isNonspacingMark(value) { flags.insert(.nonspacingMark) }
        let properties = scalar.properties
        if properties.changesWhenLowercased { flags.insert(.lowercases) }
        if properties.canonicalCombiningClass.rawValue != 0 { flags.insert(.combining) }
        // No canonical decompositions exist outside these astral ranges (as of Unicode 17).
        // U+11938 (Dives Akuru, Unicode 13) is the one scalar `tokenizers`' NFD leaves whole.
        if (0x10000..<0x1F000).contains(value) || (0x2F800...0x2FA1F).contains(value), value != 0x11938 {
            flags.insert(.decomposes)
        }
        return flags
    }
}

/// A pull reader over the raw bytes of a JSON document (RFC 8259), used for inference request
/// bodies so they are read straight from the request's buffer into tensors, without
/// Foundation's generic decoding.
///
/// Every failure is a 400 that says what was expected and at which byte offset. Nesting is
/// limited to `maxDepth` levels, so a hostile body cannot exhaust the stack.
struct JSONReader {
    /// What the next value is, from its first byte.
    enum Kind: Equatable { case object, array, string, number, bool, null }

    /// A number as written: where it is, and its value as `mantissa × 10^exponent` with the
    /// significant digits that fit in 64 bits, which the element conversions use without
    /// going through text.
    struct Number {
        let range: Range<Int>
        let negative: Bool
        /// No fraction and no exponent.
        let isInteger: Bool
        let mantissa: UInt64
        let exponent: Int
        /// False when a nonzero digit did not fit in `mantissa`: the value is then only
        /// approximately `mantissa × 10^exponent`, and too long to be any 64-bit integer.
        let exact: Bool
    }

    static let maxDepth = 64

    let bytes: UnsafeRawBufferPointer
    private(set) var position: Int
    private(set) var depth = 0

    /// A reader at `position`, `depth` levels inside the document (to read a value again).
    init(_ bytes: UnsafeRawBufferPointer, at position: Int = 0, depth: Int = 0) {
        self.bytes = bytes
        self.position = position
        self.depth = depth
    }

    // MARK: - Errors

    /// A syntax error: the body is not JSON.
    func syntaxError(_ expected: String) -> APIError {
        InferenceError.badRequest("the request body is not valid JSON: expected \(expected) at byte \(position), found \(found)")
    }

    /// Valid JSON of the wrong shape for this endpoint.
    func mismatch(_ requirement: String) -> APIError {
        var copy = self
        copy.skipWhitespace()
        return InferenceError.badRequest("the request body is not the JSON this endpoint expects: \(requirement); found \(copy.found)")
    }

    /// What is at the current position, for messages: "'x' at byte 12" or "the end of the body".
    var found: String {
        guard position < bytes.count else { return "the end of the body (byte \(position))" }
        let byte = bytes[position]
        let what: String
        switch byte {
        case UInt8(ascii: "{"): what = "an object"
        case UInt8(ascii: "["): what = "an array"
        case UInt8(ascii: "\""): what = "a string"
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): what = "a number"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): what = "a boolean"
        case UInt8(ascii: "n"): what = "null"
        case 0x21...0x7E: what = "'\(Character(Unicode.Scalar(byte)))'"
        default: what = "byte 0x\(String(byte, radix: 16, uppercase: true))"
        }
        return "\(what) at byte \(position)"
    }

    // MARK: - Structure

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    /// The kind of the next value, after skipping whitespace.
    mutating func peek() throws -> Kind {
        skipWhitespace()
        guard position < bytes.count else { throw syntaxError("a value") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        default: throw syntaxError("a value")
        }
    }

    /// Consumes `{` or `[` (already peeked), counting the level against `maxDepth`.
    mutating func enter() throws {
        guard depth < Self.maxDepth else {
            throw InferenceError.badRequest("the request body nests arrays and objects deeper than \(Self.maxDepth) levels (at byte \(position))")
        }
        depth += 1
        position += 1
    }

    /// Moves to the next member of an object just entered: true with the reader before its
    /// key, false once `}` is consumed.
    mutating func nextMember(_ first: inout Bool) throws -> Bool {
        try next(&first, closing: UInt8(ascii: "}"), "'}' or a key", "',' or '}'")
    }

    /// Moves to the next element of an array just entered: true with the reader before it,
    /// false once `]` is consumed.
    mutating func nextElement(_ first: inout Bool) throws -> Bool {
        try next(&first, closing: UInt8(ascii: "]"), "']' or a value", "',' or ']'")
    }

    private mutating func next(_ first: inout Bool, closing: UInt8, _ expectedFirst: String, _ expectedNext: String) throws -> Bool {
        skipWhitespace()
        guard position < bytes.count else { throw syntaxError(first ? expectedFirst : expectedNext) }
        if bytes[position] == closing {
            position += 1
            depth -= 1
            return false
        }
        if first {
            first = false
        } else {
            guard bytes[position] == UInt8(ascii: ",") else { throw syntaxError(expectedNext) }
            position += 1
        }
        if closing == UInt8(ascii: "}") {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw syntaxError("a key (a string)") }
        }
        return true
    }

    /// Reads a member's key and its `:`; returns the index of the key in `names`, or nil for
    /// any other key.
    mutating func readKey(among names: [[UInt8]]) throws -> Int? {
        let string = try scanString()
        try consumeColon()
        if !string.escaped {
            let raw = UnsafeRawBufferPointer(rebasing: bytes[string.content])
            return names.firstIndex { name in
                name.count == raw.count && name.withUnsafeBytes { $0.elementsEqual(raw) }
            }
        }
        let decoded = decode(string)
        return names.firstIndex(of: decoded)
    }

    /// Reads a member's key and its `:`, as a String.
    mutating func readKey() throws -> String {
        let key = try readString()
        try consumeColon()
        return key
    }

    private mutating func consumeColon() throws {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw syntaxError("':' after the key") }
        position += 1
    }

    /// Checks that nothing but whitespace follows the document.
    mutating func finish() throws {
        skipWhitespace()
        guard position == bytes.count else { throw syntaxError("the end of the body after the JSON document") }
    }

    // MARK: - Scalars

    /// Reads `true`, `false` or `null` (the literal at the current position).
    mutating func readLiteral() throws -> Bool? {
        if matches("true") {
            position += 4
            return true
        }
        if matches("false") {
            position += 5
            return false
        }
        guard matches("null") else { throw syntaxError("a value") }
        position += 4
        return nil
    }

    private func matches(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard bytes.count - position >= count else { return false }
        let expected = text.utf8Start
        for offset in 0..<count where bytes[position + offset] != expected[offset] { return false }
        return true
    }

    /// Reads a number, checking its grammar.
    mutating func readNumber() throws -> Number {
        let start = position
        var negative = false
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        var mantissa: UInt64 = 0
        var overflowed = false
        var exact = true
        var exponent = 0
        /// Adds a digit to the mantissa while it fits; false once digits are being dropped.
        func keep(_ value: UInt8) -> Bool {
            if !overflowed {
                let (times10, o1) = mantissa.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(value))
                if !o1 && !o2 {
                    mantissa = sum
                    return true
                }
                overflowed = true
            }
            if value != 0 { exact = false }
            return false
        }
        guard position < bytes.count, isDigit(bytes[position]) else { throw syntaxError("a digit") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            while position < bytes.count, isDigit(bytes[position]) {
                if !keep(bytes[position] - 48) { exponent += 1 }
                position += 1
            }
        }
        var isInteger = true
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else { throw syntaxError("a digit after '.'") }
            while position < bytes.count, isDigit(bytes[position]) {
                if keep(bytes[position] - 48) { exponent -= 1 }
                position += 1
            }
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            position += 1
            var sign = 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                if bytes[position] == UInt8(ascii: "-") { sign = -1 }
                position += 1
            }
            guard position < bytes.count, isDigit(bytes[position]) else { throw syntaxError("a digit in the exponent") }
            var written = 0
            while position < bytes.count, isDigit(bytes[position]) {
                // Beyond this every value is 0 or infinite anyway; the cap keeps the sum from overflowing.
                if written < 100_000 { written = written * 10 + Int(bytes[position] - 48) }
                position += 1
            }
            exponent += sign * written
        }
        return Number(range: start..<position, negative: negative, isInteger: isInteger, mantissa: mantissa,
                      exponent: exponent, exact: exact)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// The number's text, for messages and for the rare conversions that need it.
    func text(_ number: Number) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[number.range]), as: UTF8.self)
    }

    /// Reads a string value.
    mutating func readString() throws -> String {
        let string = try scanString()
        if !string.escaped {
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[string.content]), as: UTF8.self)
        }
        return String(decoding: decode(string), as: UTF8.self)
    }

    /// Reads a string value as its UTF-8 bytes.
    mutating func readStringBytes() throws -> [UInt8] {
        let string = try scanString()
        return string.escaped ? decode(string) : Array(UnsafeRawBufferPointer(rebasing: bytes[string.content]))
    }

    /// Where a string's content is, and whether it holds escapes.
    struct ScannedString {
        let content: Range<Int>
        let escaped: Bool
    }

    /// Checks a string (at its opening quote) and moves past it: escapes must be valid (a
    /// `\u` high surrogate must be followed by a low one), control characters escaped, and
    /// the bytes valid UTF-8.
    mutating func scanString() throws -> ScannedString {
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw syntaxError("a string") }
        position += 1
        let start = position
        var escaped = false
        var ascii = true
        while true {
            guard position < bytes.count else { throw syntaxError("'\"' closing the string that starts at byte \(start - 1)") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                try scanEscape()
            } else if byte < 0x20 {
                throw syntaxError("an escape (\\n, \\t, \\u00XX…) instead of a raw control character in a string")
            } else {
                if byte >= 0x80 { ascii = false }
                position += 1
            }
        }
        let content = start..<position
        position += 1
        if !ascii, let bad = Self.firstInvalidUTF8(UnsafeRawBufferPointer(rebasing: bytes[content])) {
            throw InferenceError.badRequest("the request body is not valid JSON: the string at byte \(start - 1) is not valid UTF-8 (at byte \(start + bad))")
        }
        return ScannedString(content: content, escaped: escaped)
    }

    /// At a backslash: checks the escape and moves past it.
    private mutating func scanEscape() throws {
        position += 1
        guard position < bytes.count else { throw syntaxError("an escape character after '\\'") }
        switch bytes[position] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
             UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            position += 1
        case UInt8(ascii: "u"):
            let escapeStart = position - 1
            position += 1
            let unit = try hex4()
            if (0xDC00...0xDFFF).contains(unit) {
                position = escapeStart
                throw syntaxError("a high surrogate (\\uD800–\\uDBFF) before the low surrogate \\u\(String(unit, radix: 16, uppercase: true))")
            }
            if (0xD800...0xDBFF).contains(unit) {
                guard matches("\\u") else {
                    throw syntaxError("a low surrogate (\\uDC00–\\uDFFF) after the high surrogate \\u\(String(unit, radix: 16, uppercase: true))")
                }
                position += 2
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    position -= 6
                    throw syntaxError("a low surrogate (\\uDC00–\\uDFFF) after the high surrogate \\u\(String(unit, radix: 16, uppercase: true))")
                }
            }
        default:
            throw syntaxError("one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX")
        }
    }

    private mutating func hex4() throws -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard position < bytes.count else { throw syntaxError("four hex digits after \\u") }
            let byte = bytes[position]
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
            default: throw syntaxError("four hex digits after \\u")
            }
            value = value << 4 | UInt16(nibble)
            position += 1
        }
        return value
    }

    /// The content of a checked string with its escapes resolved, as UTF-8.
    private func decode(_ string: ScannedString) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(string.content.count)
        var index = string.content.lowerBound
        func hex(_ at: Int) -> UInt32 {
            var value: UInt32 = 0
            for offset in 0..<4 {
                let byte = bytes[at + offset]
                value = value << 4 | UInt32(byte <= UInt8(ascii: "9") ? byte - 48 : (byte | 0x20) - UInt8(ascii: "a") + 10)
            }
            return value
        }
        while index < string.content.upperBound {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                index += 1
                continue
            }
            let escape = bytes[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex(index)
                index += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (hex(index + 2) - 0xDC00)
                    index += 6
                }
                out.append(contentsOf: Unicode.Scalar(scalar)!.utf8)
            default: out.append(escape)   // " \ /
            }
        }
        return out
    }

    /// The offset of the first byte that breaks UTF-8 (overlong forms, surrogates and values
    /// past U+10FFFF included), or nil.
    static func firstInvalidUTF8(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            if lead < 0x80 { index += 1; continue }
            let length: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return index
            }
            guard index + length <= bytes.count else { return index }
            guard (low...high).contains(bytes[index + 1]) else { return index }
            for offset in 2..<max(length, 2) where !(0x80...0xBF).contains(bytes[index + offset]) { return index }
            index += length
        }
        return nil
    }

    // MARK: - Whole values

    /// Checks and skips one value of any kind (fields this endpoint does not know).
    mutating func skipValue() throws {
        switch try peek() {
        case .object:
            try enter()
            var first = true
            while try nextMember(&first) {
                _ = try scanString()
                try consumeColon()
                try skipValue()
            }
        case .array:
            try enter()
            var first = true
            while try nextElement(&first) { try skipValue() }
        case .string: _ = try scanString()
        case .number: _ = try readNumber()
        case .bool, .null: _ = try readLiteral()
        }
    }

    /// Reads one value of any kind. An object naming a key twice is refused.
    mutating func readValue() throws -> ParameterValue {
        switch try peek() {
        case .object: return .object(try readObject("a value"))
        case .array:
            try enter()
            var elements: [ParameterValue] = []
            var first = true
            while try nextElement(&first) { elements.append(try readValue()) }
            return .array(elements)
        case .string: return .string(try readString())
        case .number:
            let number = try readNumber()
            if let integer = integer(number, as: Int64.self) { return .int(integer) }
            return .double(try parameterDouble(number))
        case .bool, .null:
            return try readLiteral().map(ParameterValue.bool) ?? .null
        }
    }

    /// Reads an object of any values (the protocol's `parameters`); `what` names it in errors.
    mutating func readObject(_ what: String) throws -> [String: ParameterValue] {
        guard try peek() == .object else { throw mismatch("\(what) must be an object") }
        try enter()
        var members: [String: ParameterValue] = [:]
        var first = true
        while try nextMember(&first) {
            let keyStart = position
            let key = try readKey()
            guard members[key] == nil else {
                throw InferenceError.badRequest("the request body names the key '\(key)' twice in one object (at byte \(keyStart)); give each key once")
            }
            members[key] = try readValue()
        }
        return members
    }
}

/// Strings, numbers, booleans and dates: the values that are one token.
extension TOMLParser.Reader {
    // MARK: Strings

    /// `"..."`: one line, with escapes. Also reads quoted keys.
    mutating func readBasicString() throws(TOMLError) -> String {
        let start = position
        advance()
        var out = String.UnicodeScalarView()
        while true {
            guard let scalar = peek() else { throw fail("unterminated string", at: start) }
            if atNewline {
                throw fail("newline in a basic string; close it with '\"' on this line, or use \"\"\" for a multi-line string")
            }
            switch scalar {
            case "\"":
                advance()
                return String(out)
            case "\\":
                out.append(try readEscape())
            default:
                try checkNotControl(scalar, in: "a string", escapable: true)
                out.append(scalar)
                advance()
            }
        }
    }

    /// `'...'`: one line, taken as written. Also reads quoted keys.
    mutating func readLiteralString() throws(TOMLError) -> String {
        let start = position
        advance()
        var out = String.UnicodeScalarView()
        while true {
            guard let scalar = peek() else { throw fail("unterminated string", at: start) }
            if atNewline { throw fail("newline in a literal string; close it with \"'\" on this line, or use ''' for a multi-line string") }
            if scalar == "'" {
                advance()
                return String(out)
            }
            try checkNotControl(scalar, in: "a literal string", escapable: false)
            out.append(scalar)
            advance()
        }
    }

    /// `"""..."""` or `'''...'''`. A newline right after the opening delimiter is dropped; in the
    /// basic form a backslash ending a line drops it and the blank space after it. Newlines are
    /// kept as "\n" whatever the file used, so values don't depend on how the file was saved.
    mutating func readMultilineString(literal: Bool) throws(TOMLError) -> String {
        let start = position
        let quote: Unicode.Scalar = literal ? "'" : "\""
        advance(3)
        if atNewline { skipNewline() }
        var out = String.UnicodeScalarView()
        while true {
            guard let scalar = peek() else { throw fail("unterminated multi-line string", at: start) }
            if scalar == quote && peek(1) == quote && peek(2) == quote {
                // Up to two quotes may sit just inside the closing delimiter: """a""""" is `a""`.
                var run = 3
                while peek(run) == quote { run += 1 }
                if run > 5 {
                    throw fail("too many \(quote) in a row: at most two may precede the closing \(String(repeating: String(quote), count: 3))")
                }
                out.append(contentsOf: String(repeating: String(quote), count: run - 3).unicodeScalars)
                advance(run)
                return String(out)
            }
            if atNewline {
                skipNewline()
                out.append("\n")
            } else if scalar == "\\" && !literal && endsLine(afterBackslash: 1) {
                advance()
                while peek() == " " || peek() == "\t" || atNewline {
                    if atNewline { skipNewline() } else { advance() }
                }
            } else if scalar == "\\" && !literal {
                out.append(try readEscape())
            } else {
                try checkNotControl(scalar, in: literal ? "a literal string" : "a string", escapable: !literal)
                out.append(scalar)
                advance()
            }
        }
    }

    /// Whether only spaces or tabs stand between `offset` and the end of the line.
    func endsLine(afterBackslash offset: Int) -> Bool {
        var offset = offset
        while peek(offset) == " " || peek(offset) == "\t" { offset += 1 }
        return peek(offset) == "\n" || (peek(offset) == "\r" && peek(offset + 1) == "\n")
    }

    /// An escape sequence, at its backslash.
    mutating func readEscape() throws(TOMLError) -> Unicode.Scalar {
        let start = position
        advance()
        guard let scalar = peek() else { throw fail("unterminated string", at: start) }
        advance()
        switch scalar {
        case "b": return "\u{08}"
        case "t": return "\t"
        case "n": return "\n"
        case "f": return "\u{0C}"
        case "r": return "\r"
        case "\"": return "\""
        case "\\": return "\\"
        case "u", "U":
            let count = scalar == "u" ? 4 : 8
            var digits = ""
            for offset in 0..<count {
                guard let digit = peek(offset), digit.properties.isASCIIHexDigit else {
                    throw fail("invalid escape: \\\(scalar) must be followed by \(count) hexadecimal digits", at: start)
                }
                digits.unicodeScalars.append(digit)
            }
            advance(count)
            guard let value = UInt32(digits, radix: 16), let result = Unicode.Scalar(value) else {
                throw fail("invalid escape: \\\(scalar)\(digits) is not a Unicode scalar value", at: start)
            }
            return result
        default:
            let shown = scalar == " " || TOMLParser.Reader.isControl(scalar) ? "'\\' followed by \(TOMLParser.Reader.describe(scalar))" : "'\\\(scalar)'"
            throw fail("invalid escape \(shown); valid escapes are \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX", at: start)
        }
    }

    func checkNotControl(_ scalar: Unicode.Scalar, in what: String, escapable: Bool) throws(TOMLError) {
        guard TOMLParser.Reader.isControl(scalar) else { return }
        let name = TOMLParser.Reader.describe(scalar)
        throw fail("control character \(name) in \(what)" + (escapable ? "; write it as an escape such as \\u\(name.dropFirst(2))" : ""))
    }

    // MARK: Numbers, booleans, dates

    /// Characters a number, boolean, date or `inf`/`nan` is made of; anything else ends the token.
    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", "_", "+", "-", ".", ":": true
        default: false
        }
    }

    /// Reads the whole token before deciding what it is, so that `1x` or `2024-1-1` is reported
    /// as one bad value rather than as a value followed by junk.
    mutating func readWord() throws(TOMLError) -> TOMLValue {
        let start = position
        var word = String.UnicodeScalarView()
        while let scalar = peek(), TOMLParser.Reader.isWordScalar(scalar) {
            word.append(scalar)
            advance()
            // A date may be separated from its time by a space: 1979-05-27 07:32:00Z.
            if word.count == 10, DateTimeChecker.looksLikeDate(word), peek() == " ",
               let hour1 = peek(1), let hour2 = peek(2), ("0"..."9").contains(hour1),
               ("0"..."9").contains(hour2), peek(3) == ":" {
                word.append(" ")
                advance()
            }
        }
        let text = String(word)
        switch text {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        guard let first = word.first, first == "+" || first == "-" || first == "." || ("0"..."9").contains(first) else {
            throw fail("invalid value '\(text)'; strings must be quoted", at: start)
        }
        if text.contains(":") || DateTimeChecker.looksLikeDate(word) {
            guard DateTimeChecker.isValid(text) else {
                throw fail("invalid date or time '\(text)'", at: start)
            }
            return .datetime(text)
        }
        return try TOMLParser.Reader.number(text, at: start)
    }

    static func number(_ text: String, at start: TOMLPosition) throws(TOMLError) -> TOMLValue {
        let invalid = TOMLError("invalid number '\(text)'", at: start)
        let outOfRange = { (kind: String) in TOMLError("\(kind) '\(text)' is out of range for 64 bits", at: start) }
        var body = Substring(text)
        let signed = body.first == "+" || body.first == "-"
        let sign = signed ? String(body.removeFirst()) : ""

        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where body.hasPrefix(prefix) {
            // TOML allows no sign on these, and only lowercase prefixes.
            let digits = body.dropFirst(2)
            guard !signed, isDigitGroups(digits, radix: radix) else { throw invalid }
            guard let value = Int64(digits.filter { $0 != "_" }, radix: radix) else { throw outOfRange("integer") }
            return .integer(value)
        }

        let exponentIndex = body.firstIndex { $0 == "e" || $0 == "E" }
        let mantissa = body[..<(exponentIndex ?? body.endIndex)]
        let dotIndex = mantissa.firstIndex(of: ".")
        let integerPart = mantissa[..<(dotIndex ?? mantissa.endIndex)]
        // Leading zeros are forbidden so that 0755 cannot be mistaken for octal.
        guard isDigitGroups(integerPart, radix: 10), integerPart == "0" || integerPart.first != "0" else { throw invalid }
        if let dotIndex {
            guard isDigitGroups(mantissa[mantissa.index(after: dotIndex)...], radix: 10) else { throw invalid }
        }
        if let exponentIndex {
            var exponent = body[body.index(after: exponentIndex)...]
            if exponent.first == "+" || exponent.first == "-" { exponent.removeFirst() }
            guard isDigitGroups(exponent, radix: 10) else { throw invalid }
        }
        let plain = sign + body.filter { $0 != "_" }
        if dotIndex == nil && exponentIndex == nil {
            guard let value = Int64(plain) else { throw outOfRange("integer") }
            return .integer(value)
        }
        guard let value = Double(plain) else { throw invalid }
        guard value.isFinite else { throw outOfRange("float") }
        return .float(value)
    }

    /// Digits of `radix`, where each underscore sits between two digits.
    static func isDigitGroups(_ text: Substring, radix: Int) -> Bool {
        guard let first = text.first, let last = text.last, first != "_", last != "_", !text.contains("__") else {
            return false
        }
        return text.allSatisfy { $0 == "_" || ($0.isASCII && $0.hexDigitValue.map { $0 < radix } == true) }
    }
}

/// Checks the shape of TOML dates and times: `1979-05-27`, `07:32:00.5`, `1979-05-27T07:32:00`,
/// `1979-05-27 07:32:00-07:00`. Field ranges are checked, including the days of each month, so a
/// typo like `2024-02-30` is caught; the text itself is what the document keeps.
struct DateTimeChecker {
    let text: [Unicode.Scalar]
    var index = 0

    /// Starts like a date (`dddd-`), so that a bad date is reported as one rather than as a number.
    static func looksLikeDate(_ scalars: some Collection<Unicode.Scalar>) -> Bool {
        let head = Array(scalars.prefix(5))
        return head.count == 5 && head[4] == "-" && head[..<4].allSatisfy { ("0"..."9").contains($0) }
    }

    static func isValid(_ text: String) -> Bool {
        var checker = DateTimeChecker(text: Array(text.unicodeScalars))
        return checker.dateTime()
    }

    mutating func dateTime() -> Bool {
        if text.count > 2 && text[2] == ":" {
            return time() && index == text.count
        }
        guard date() else { return false }
        if index == text.count { return true }
        guard take("T") || take("t") || take(" "), time() else { return false }
        if index == text.count { return true }
        return offset() && index == text.count
    }

    mutating func date() -> Bool {
        guard let year = number(4), take("-"), let month = number(2), take("-"), let day = number(2),
              (1...12).contains(month) else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (1...days).contains(day)
    }

    /// TOML 1.0 requires the seconds; 60 allows a leap second.
    mutating func time() -> Bool {
        guard let hour = number(2), take(":"), let minute = number(2), take(":"), let second = number(2),
              hour < 24, minute < 60, second <= 60 else { return false }
        if take(".") {
            guard number(1) != nil else { return false }
            while number(1) != nil {}
        }
        return true
    }

    mutating func offset() -> Bool {
        if take("Z") || take("z") { return true }
        guard take("+") || take("-"), let hour = number(2), take(":"), let minute = number(2) else { return false }
        return hour < 24 && minute < 60
    }

    mutating func take(_ scalar: Unicode.Scalar) -> Bool {
        guard index < text.count, text[index] == scalar else { return false }
        index += 1
        return true
    }

    /// Exactly `digits` ASCII digits, or nil (consuming nothing).
    mutating func number(_ digits: Int) -> Int? {
        guard index + digits <= text.count else { return nil }
        var value = 0
        for scalar in text[index..<index + digits] {
            guard ("0"..."9").contains(scalar) else { return nil }
            value = value * 10 + Int(scalar.value - 48)
        }
        index += digits
        return value
    }
}

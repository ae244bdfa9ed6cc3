/// Reads TOML 1.0 into a `TOMLTable`, recording the line and column of every key and value so
/// that configuration errors can point at them. Strict: anything the specification calls
/// invalid is an error naming where it is.
public enum TOMLParser {
    public static func parse(_ text: String) throws(TOMLError) -> TOMLTable {
        var scanner = TOMLScanner(text)
        return try scanner.document()
    }

    static func isBareKeyScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", "_", "-": true
        default: false
        }
    }
}

/// The parser's state: the text as scalars and where it is in it.
struct TOMLScanner {
    typealias Key = [(name: String, position: TOMLPosition)]

    private let text: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var lineStart = 0

    init(_ text: String) {
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        self.text = scalars
    }

    // MARK: - Document structure

    mutating func document() throws(TOMLError) -> TOMLTable {
        let root = TOMLTableBuilder(origin: .root, position: position)
        var current = root
        while true {
            skipSpaces()
            guard let scalar = peek() else { break }
            switch scalar {
            case "#":
                try skipComment()
            case "\n", "\r":
                try newline()
            case "[":
                current = try header(root: root)
                try endOfLine()
            default:
                try keyValue(into: current)
                try endOfLine()
            }
        }
        return root.freeze()
    }

    private mutating func header(root: TOMLTableBuilder) throws(TOMLError) -> TOMLTableBuilder {
        let start = position
        advance()
        let isArray = peek() == "["
        if isArray { advance() }
        skipSpaces()
        let key = try self.key()
        skipSpaces()
        guard peek() == "]" else { throw error("expected ']' to close the table header") }
        advance()
        if isArray {
            guard peek() == "]" else { throw error("expected ']]' to close the array-of-tables header") }
            advance()
        }
        let path = key.map(\.name).joined(separator: ".")
        var table = root
        for part in key.dropLast() { table = try descend(table, part, path: path, forHeader: true) }
        let last = key[key.count - 1]
        let existing = table[last.name]
        if isArray {
            let element = TOMLTableBuilder(origin: .arrayElement, position: start)
            switch existing?.element {
            case nil:
                table.set(last.name, at: last.position, .tables([element], start))
            case .tables(let list, let firstPosition):
                table.set(last.name, at: existing!.keyPosition, .tables(list + [element], firstPosition))
            case .table(let other):
                throw TOMLError("[[\(path)]]: '\(path)' is already a table (line \(other.position.line)); it cannot also be an array of tables", at: start)
            case .value(let node):
                throw TOMLError("[[\(path)]]: '\(path)' is already a \(node.value.typeName) (line \(node.position.line))", at: start)
            }
            return element
        }
        switch existing?.element {
        case nil:
            let created = TOMLTableBuilder(origin: .header, position: start)
            table.set(last.name, at: last.position, .table(created))
            return created
        case .table(let other) where other.origin == .implied:
            other.origin = .header
            return other
        case .table(let other):
            throw TOMLError("table [\(path)] is defined twice (first on line \(other.position.line))", at: start)
        case .tables:
            throw TOMLError("[\(path)]: '\(path)' is an array of tables ([[\(path)]]); it cannot also be a table", at: start)
        case .value(let node):
            throw TOMLError("[\(path)]: '\(path)' is already a \(node.value.typeName) (line \(node.position.line))", at: start)
        }
    }

    /// The table `part` inside `table`, created if absent, for a header path or a dotted key.
    private func descend(_ table: TOMLTableBuilder, _ part: (name: String, position: TOMLPosition), path: String,
                         forHeader: Bool) throws(TOMLError) -> TOMLTableBuilder {
        switch table[part.name]?.element {
        case nil:
            let created = TOMLTableBuilder(origin: forHeader ? .implied : .dotted, position: part.position)
            table.set(part.name, at: part.position, .table(created))
            return created
        case .table(let inner):
            if inner.origin == .inline {
                throw TOMLError("'\(part.name)' is an inline table; it cannot be extended after it is written", at: part.position)
            }
            if !forHeader, inner.origin == .header || inner.origin == .implied {
                throw TOMLError("'\(part.name)' is a table defined by a [header]; add keys under that header instead of with a dotted key", at: part.position)
            }
            return inner
        case .tables(let list, _):
            guard forHeader else {
                throw TOMLError("'\(part.name)' is an array of tables; a dotted key cannot reach into it", at: part.position)
            }
            return list[list.count - 1]
        case .value(let node):
            throw TOMLError("'\(part.name)' is already a \(node.value.typeName) (line \(node.position.line)); it cannot also be a table (in '\(path)')", at: part.position)
        }
    }

    private mutating func keyValue(into table: TOMLTableBuilder) throws(TOMLError) {
        let key = try self.key()
        let path = key.map(\.name).joined(separator: ".")
        skipSpaces()
        guard peek() == "=" else {
            throw error(peek() == nil || peek() == "\n" ? "key '\(path)' has no value; write \(path) = <value>" : "expected '=' after the key '\(path)'")
        }
        advance()
        skipSpaces()
        let element = try value()
        var target = table
        for part in key.dropLast() { target = try descend(target, part, path: path, forHeader: false) }
        let last = key[key.count - 1]
        if let existing = target[last.name] {
            throw TOMLError("duplicate key '\(path)' (first defined on line \(existing.keyPosition.line))", at: last.position)
        }
        target.set(last.name, at: last.position, element)
    }

    private mutating func key() throws(TOMLError) -> Key {
        var parts: Key = []
        while true {
            skipSpaces()
            let start = position
            let name: String
            switch peek() {
            case "\"":
                if peek(1) == "\"", peek(2) == "\"" { throw error("a key cannot be a multi-line string") }
                name = try basicString()
            case "'":
                if peek(1) == "'", peek(2) == "'" { throw error("a key cannot be a multi-line string") }
                name = try literalString()
            default:
                var bare = ""
                while let scalar = peek(), TOMLParser.isBareKeyScalar(scalar) {
                    bare.unicodeScalars.append(scalar)
                    advance()
                }
                guard !bare.isEmpty else {
                    throw error(peek() == "=" ? "missing key before '='" : "expected a key, found \(describe(peek()))")
                }
                name = bare
            }
            parts.append((name, start))
            skipSpaces()
            guard peek() == "." else { return parts }
            advance()
        }
    }

    private mutating func endOfLine() throws(TOMLError) {
        skipSpaces()
        switch peek() {
        case nil: return
        case "#": try skipComment()
        case "\n", "\r": try newline()
        default: throw error("unexpected \(describe(peek())) after the value; write one key = value per line")
        }
    }

    // MARK: - Values

    private mutating func value() throws(TOMLError) -> TOMLTableBuilder.Element {
        let start = position
        func node(_ value: TOMLValue) -> TOMLTableBuilder.Element { .value(TOMLNode(value: value, position: start)) }
        switch peek() {
        case nil, "\n", "\r", "#":
            throw error("expected a value")
        case "\"":
            return node(.string(peek(1) == "\"" && peek(2) == "\"" ? try multilineBasicString() : try basicString()))
        case "'":
            return node(.string(peek(1) == "'" && peek(2) == "'" ? try multilineLiteralString() : try literalString()))
        case "[":
            return node(try array())
        case "{":
            return .table(try inlineTable())
        case "t", "f":
            let word = readToken()
            switch word {
            case "true": return node(.bool(true))
            case "false": return node(.bool(false))
            default: throw TOMLError("'\(word)' is not a value; strings need quotes", at: start)
            }
        default:
            return node(try numberOrDate())
        }
    }

    private mutating func array() throws(TOMLError) -> TOMLValue {
        advance()
        var items: [TOMLNode] = []
        while true {
            try skipBlankLinesAndComments()
            if peek() == "]" {
                advance()
                return .array(items)
            }
            let start = position
            switch try value() {
            case .value(let node): items.append(node)
            case .table(let table): items.append(TOMLNode(value: .table(table.freeze()), position: start))
            case .tables: break
            }
            try skipBlankLinesAndComments()
            switch peek() {
            case ",": advance()
            case "]":
                advance()
                return .array(items)
            default: throw error("expected ',' or ']' in the array, found \(describe(peek()))")
            }
        }
    }

    private mutating func inlineTable() throws(TOMLError) -> TOMLTableBuilder {
        let table = TOMLTableBuilder(origin: .inline, position: position)
        advance()
        skipSpaces()
        if peek() == "}" {
            advance()
            return table
        }
        while true {
            skipSpaces()
            if peek() == "\n" || peek() == "\r" { throw error("an inline table must be on one line") }
            try keyValue(into: table)
            skipSpaces()
            switch peek() {
            case ",":
                advance()
                skipSpaces()
                if peek() == "}" { throw error("no trailing comma is allowed in an inline table") }
            case "}":
                advance()
                return table
            case "\n", "\r": throw error("an inline table must be on one line")
            default: throw error("expected ',' or '}' in the inline table, found \(describe(peek()))")
            }
        }
    }

    private mutating func numberOrDate() throws(TOMLError) -> TOMLValue {
        let start = position
        var token = readToken()
        // A date followed by a space and a time is one local or offset date-time.
        if isDate(token), peek() == " ", let next = peek(1), ("0"..."9").contains(next) {
            advance()
            token += " " + readToken()
        }
        guard !token.isEmpty else { throw error("expected a value, found \(describe(peek()))") }
        if isDate(token) || isTime(token) {
            guard token.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || "-:.TtZz+ ".unicodeScalars.contains($0) }) else {
                throw TOMLError("'\(token)' is not a valid date or time", at: start)
            }
            return .datetime(token)
        }
        switch token {
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where token.hasPrefix(prefix) {
            let digits = String(token.dropFirst(2))
            guard Self.underscoresBetweenDigits(digits, radix: radix), let number = Int64(digits.replacingOccurrences(of: "_", with: ""), radix: radix) else {
                throw TOMLError("'\(token)' is not a valid integer", at: start)
            }
            return .integer(number)
        }
        let unsigned = token.hasPrefix("+") || token.hasPrefix("-") ? String(token.dropFirst()) : token
        guard let first = unsigned.unicodeScalars.first, ("0"..."9").contains(first) else {
            throw TOMLError("'\(token)' is not a value; strings need quotes", at: start)
        }
        let isFloat = unsigned.contains(".") || unsigned.contains("e") || unsigned.contains("E")
        let integerPart = unsigned.prefix { $0 != "." && $0 != "e" && $0 != "E" }
        guard Self.underscoresBetweenDigits(unsigned, radix: 10, allowing: ".eE+-"),
              !(integerPart.count > 1 && integerPart.hasPrefix("0")) else {
            throw TOMLError("'\(token)' is not a valid number\(integerPart.count > 1 && integerPart.hasPrefix("0") ? " (leading zeros are not allowed)" : "")", at: start)
        }
        let clean = token.replacingOccurrences(of: "_", with: "")
        if isFloat {
            guard !unsigned.hasPrefix("."), !unsigned.contains(".e"), !unsigned.contains(".E"), !unsigned.hasSuffix("."),
                  let number = Double(clean) else {
                throw TOMLError("'\(token)' is not a valid float", at: start)
            }
            return .float(number)
        }
        guard unsigned.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || $0 == "_" }) else {
            throw TOMLError("'\(token)' is not a valid integer", at: start)
        }
        guard let number = Int64(clean) else { throw TOMLError("integer \(token) does not fit in 64 bits", at: start) }
        return .integer(number)
    }

    /// True when every `_` in `text` sits between two digits of `radix`, and every other
    /// character is a digit or in `allowing`.
    private static func underscoresBetweenDigits(_ text: String, radix: Int, allowing: String = "") -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard !scalars.isEmpty else { return false }
        func isDigit(_ scalar: Unicode.Scalar) -> Bool { Int(String(scalar), radix: radix) != nil }
        for (index, scalar) in scalars.enumerated() {
            if scalar == "_" {
                guard index > 0, index < scalars.count - 1, isDigit(scalars[index - 1]), isDigit(scalars[index + 1]) else { return false }
            } else if !isDigit(scalar), !allowing.unicodeScalars.contains(scalar) {
                return false
            }
        }
        return true
    }

    private func isDate(_ token: String) -> Bool {
        let scalars = Array(token.unicodeScalars)
        guard scalars.count >= 10 else { return false }
        return scalars[4] == "-" && scalars[7] == "-" && [0, 1, 2, 3, 5, 6, 8, 9].allSatisfy { ("0"..."9").contains(scalars[$0]) }
    }

    private func isTime(_ token: String) -> Bool {
        let scalars = Array(token.unicodeScalars)
        guard scalars.count >= 8 else { return false }
        return scalars[2] == ":" && scalars[5] == ":" && [0, 1, 3, 4, 6, 7].allSatisfy { ("0"..."9").contains(scalars[$0]) }
    }

    private mutating func readToken() -> String {
        var token = ""
        while let scalar = peek(), TOMLParser.isBareKeyScalar(scalar) || "+.:".unicodeScalars.contains(scalar) {
            token.unicodeScalars.append(scalar)
            advance()
        }
        return token
    }

    // MARK: - Strings

    private mutating func basicString() throws(TOMLError) -> String {
        let start = position
        advance()
        var out = ""
        while true {
            guard let scalar = peek() else { throw TOMLError("unterminated string", at: start) }
            switch scalar {
            case "\"":
                advance()
                return out
            case "\n", "\r":
                throw error("newline in a string; close the quote, or use \"\"\"…\"\"\" for text over several lines")
            case "\\":
                out.unicodeScalars.append(try escape())
            default:
                try checkControl(scalar)
                out.unicodeScalars.append(scalar)
                advance()
            }
        }
    }

    private mutating func multilineBasicString() throws(TOMLError) -> String {
        let start = position
        advance(); advance(); advance()
        try skipNewlineAfterOpening()
        var out = ""
        while true {
            guard let scalar = peek() else { throw TOMLError("unterminated multi-line string", at: start) }
            if scalar == "\"", peek(1) == "\"", peek(2) == "\"" {
                var quotes = 0
                while peek() == "\"" { quotes += 1; advance() }
                guard quotes <= 5 else { throw error("too many quotes at the end of a multi-line string") }
                out += String(repeating: "\"", count: quotes - 3)
                return out
            }
            switch scalar {
            case "\\":
                // A backslash at the end of a line trims the newline and the next line's indentation.
                var lookahead = 1
                while let next = peek(lookahead), next == " " || next == "\t" { lookahead += 1 }
                if peek(lookahead) == "\n" || (peek(lookahead) == "\r" && peek(lookahead + 1) == "\n") {
                    advance()
                    while let next = peek(), [" ", "\t", "\n", "\r"].contains(next) { advance() }
                } else {
                    out.unicodeScalars.append(try escape())
                }
            case "\r":
                guard peek(1) == "\n" else { throw error("a carriage return must be followed by a newline") }
                advance()
            case "\n":
                out += "\n"
                advance()
            default:
                try checkControl(scalar)
                out.unicodeScalars.append(scalar)
                advance()
            }
        }
    }

    private mutating func literalString() throws(TOMLError) -> String {
        let start = position
        advance()
        var out = ""
        while true {
            guard let scalar = peek() else { throw TOMLError("unterminated string", at: start) }
            switch scalar {
            case "'":
                advance()
                return out
            case "\n", "\r":
                throw error("newline in a string; close the quote, or use '''…''' for text over several lines")
            default:
                try checkControl(scalar)
                out.unicodeScalars.append(scalar)
                advance()
            }
        }
    }

    private mutating func multilineLiteralString() throws(TOMLError) -> String {
        let start = position
        advance(); advance(); advance()
        try skipNewlineAfterOpening()
        var out = ""
        while true {
            guard let scalar = peek() else { throw TOMLError("unterminated multi-line string", at: start) }
            if scalar == "'", peek(1) == "'", peek(2) == "'" {
                var quotes = 0
                while peek() == "'" { quotes += 1; advance() }
                guard quotes <= 5 else { throw error("too many quotes at the end of a multi-line string") }
                out += String(repeating: "'", count: quotes - 3)
                return out
            }
            if scalar == "\r" {
                guard peek(1) == "\n" else { throw error("a carriage return must be followed by a newline") }
                advance()
                continue
            }
            if scalar != "\n" { try checkControl(scalar) }
            out.unicodeScalars.append(scalar)
            advance()
        }
    }

    private mutating func skipNewlineAfterOpening() throws(TOMLError) {
        if peek() == "\n" { advance() } else if peek() == "\r", peek(1) == "\n" { advance(); advance() }
    }

    private mutating func escape() throws(TOMLError) -> Unicode.Scalar {
        let start = position
        advance()
        guard let scalar = peek() else { throw TOMLError("unterminated escape", at: start) }
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
            var hex = ""
            for _ in 0..<count {
                guard let digit = peek(), digit.properties.isASCIIHexDigit else {
                    throw TOMLError("\\\(scalar) needs \(count) hexadecimal digits", at: start)
                }
                hex.unicodeScalars.append(digit)
                advance()
            }
            guard let value = UInt32(hex, radix: 16), let result = Unicode.Scalar(value) else {
                throw TOMLError("\\\(scalar)\(hex) is not a Unicode scalar value", at: start)
            }
            return result
        default:
            throw TOMLError("invalid escape '\\\(scalar)'; valid escapes are \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX", at: start)
        }
    }

    private func checkControl(_ scalar: Unicode.Scalar) throws(TOMLError) {
        if (scalar.value < 0x20 && scalar != "\t") || scalar.value == 0x7F {
            throw error("control character U+\(String(scalar.value, radix: 16, uppercase: true)) must be escaped")
        }
    }

    // MARK: - Whitespace, comments, positions

    private mutating func skipSpaces() {
        while peek() == " " || peek() == "\t" { advance() }
    }

    private mutating func skipComment() throws(TOMLError) {
        while let scalar = peek(), scalar != "\n" {
            if scalar == "\r", peek(1) == "\n" { break }
            try checkControl(scalar)
            advance()
        }
    }

    private mutating func newline() throws(TOMLError) {
        if peek() == "\r" {
            guard peek(1) == "\n" else { throw error("a carriage return must be followed by a newline") }
            advance()
        }
        advance()
    }

    private mutating func skipBlankLinesAndComments() throws(TOMLError) {
        while true {
            skipSpaces()
            switch peek() {
            case "#": try skipComment()
            case "\n", "\r": try newline()
            default: return
            }
        }
    }

    private var position: TOMLPosition { TOMLPosition(line: line, column: index - lineStart + 1) }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        index + offset < text.count ? text[index + offset] : nil
    }

    private mutating func advance() {
        if text[index] == "\n" {
            line += 1
            lineStart = index + 1
        }
        index += 1
    }

    private func describe(_ scalar: Unicode.Scalar?) -> String {
        guard let scalar else { return "the end of the file" }
        return scalar == "\n" ? "the end of the line" : "'\(scalar)'"
    }

    private func error(_ message: String) -> TOMLError { TOMLError(message, at: position) }
}

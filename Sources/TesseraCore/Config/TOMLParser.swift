/// Reads TOML 1.0 into a `TOMLTable`, recording where every key and value was written so that
/// configuration errors can name the line. Strict: whatever the specification calls invalid is
/// an error, with the position of the offending character and a message saying what is wrong.
public enum TOMLParser {
    /// Parses a whole document. A leading byte-order mark is ignored.
    public static func parse(_ text: String) throws(TOMLError) -> TOMLTable {
        var reader = Reader(text)
        return try reader.document()
    }
}

extension TOMLParser {
    /// The tree under construction. Tables are objects here because headers and dotted keys reach
    /// back into tables made earlier; `freeze()` turns the tree into values at the end.
    final class TableBox {
        /// How the table came to exist, which decides what may still add to it: TOML lets a
        /// `[header]` define a table only once, and lets dotted keys add only to tables that dotted
        /// keys of the same section made.
        enum Origin: Equatable {
            /// Named on the way to a deeper `[a.b.c]`; a later header may still define it.
            case implied
            /// Defined by a `[header]` or `[[header]]`, or the root.
            case header
            /// Made by dotted keys in the section with this number (an inline table counts as one).
            case dotted(section: Int)
        }

        enum Content {
            case value(TOMLNode)
            case table(TableBox)
            case tables([TableBox], firstHeader: TOMLPosition)
        }

        struct Item {
            var keyPosition: TOMLPosition
            var content: Content
        }

        var origin: Origin
        var position: TOMLPosition
        private(set) var order: [String] = []
        private(set) var items: [String: Item] = [:]

        init(_ origin: Origin, at position: TOMLPosition) {
            self.origin = origin
            self.position = position
        }

        subscript(key: String) -> Item? {
            get { items[key] }
            set {
                if items[key] == nil { order.append(key) }
                items[key] = newValue
            }
        }

        func freeze() -> TOMLTable {
            TOMLTable(entries: order.map { key in
                let item = items[key]!
                let node = switch item.content {
                case .value(let node): node
                case .table(let box): TOMLNode(value: .table(box.freeze()), position: box.position)
                case .tables(let boxes, let first):
                    TOMLNode(value: .array(boxes.map { TOMLNode(value: .table($0.freeze()), position: $0.position) }), position: first)
                }
                return TOMLEntry(key: key, keyPosition: item.keyPosition, node: node)
            }, position: position)
        }
    }

    /// One part of a (possibly dotted) key.
    struct KeyPart {
        var name: String
        var position: TOMLPosition
    }

    /// The parser: a cursor over the text's Unicode scalars plus the tree being built. Working
    /// on scalars rather than Characters keeps "\r\n" two scalars and columns predictable.
    struct Reader {
        let text: [Unicode.Scalar]
        var index = 0
        var line = 1
        var lineStart = 0
        let root = TableBox(.header, at: TOMLPosition(line: 1, column: 1))
        var sectionCount = 0

        init(_ source: String) {
            var scalars = Array(source.unicodeScalars)
            if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
            text = scalars
        }

        // MARK: Cursor

        var position: TOMLPosition { TOMLPosition(line: line, column: index - lineStart + 1) }

        func peek(_ offset: Int = 0) -> Unicode.Scalar? {
            index + offset < text.count ? text[index + offset] : nil
        }

        mutating func advance(_ count: Int = 1) {
            for _ in 0..<count where index < text.count {
                if text[index] == "\n" {
                    line += 1
                    lineStart = index + 1
                }
                index += 1
            }
        }

        /// Whether a newline starts here; a lone CR is not one (TOML treats it as a control character).
        var atNewline: Bool { peek() == "\n" || (peek() == "\r" && peek(1) == "\n") }

        mutating func skipNewline() { advance(peek() == "\r" ? 2 : 1) }

        mutating func skipSpaces() {
            while peek() == " " || peek() == "\t" { advance() }
        }

        mutating func skipComment() throws(TOMLError) {
            guard peek() == "#" else { return }
            advance()
            while let scalar = peek(), !atNewline {
                if Reader.isControl(scalar) {
                    throw TOMLError("control character \(Reader.describe(scalar)) in a comment", at: position)
                }
                advance()
            }
        }

        /// Arrays may span lines and hold comments between their elements.
        mutating func skipBlankSpace() throws(TOMLError) {
            while true {
                skipSpaces()
                if peek() == "#" { try skipComment() }
                guard atNewline else { return }
                skipNewline()
            }
        }

        /// After a key/value pair or a header only a comment may follow on the line.
        mutating func endLine(after what: String) throws(TOMLError) {
            skipSpaces()
            try skipComment()
            guard let scalar = peek() else { return }
            guard atNewline else {
                throw TOMLError("unexpected \(Reader.describe(scalar)) after \(what); expected the end of the line or a comment", at: position)
            }
            skipNewline()
        }

        func fail(_ message: String, at position: TOMLPosition? = nil) -> TOMLError {
            TOMLError(message, at: position ?? self.position)
        }

        static func isControl(_ scalar: Unicode.Scalar) -> Bool {
            (scalar.value < 0x20 && scalar != "\t") || scalar.value == 0x7F
        }

        /// A character for a message: quoted when printable, as U+XXXX when not.
        static func describe(_ scalar: Unicode.Scalar) -> String {
            if isControl(scalar) || scalar == "\t" || scalar == " " {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            }
            return "'\(scalar)'"
        }

        static func pathText(_ parts: some Collection<KeyPart>) -> String {
            parts.map { TOMLValue.keyText($0.name) }.joined(separator: ".")
        }

        // MARK: Document structure

        mutating func document() throws(TOMLError) -> TOMLTable {
            var current = root
            var section = 0
            while true {
                skipSpaces()
                guard let scalar = peek() else { break }
                if scalar == "[" {
                    sectionCount += 1
                    section = sectionCount
                    current = try header()
                    try endLine(after: "the table header")
                } else if scalar == "#" || atNewline {
                    try endLine(after: "the comment")
                } else {
                    try keyValue(into: current, section: section)
                    try endLine(after: "the value")
                }
            }
            return root.freeze()
        }

        /// `[a.b]` or `[[a.b]]`; returns the table that the following key/value pairs go into.
        mutating func header() throws(TOMLError) -> TableBox {
            let start = position
            advance()
            let isArray = peek() == "["
            if isArray { advance() }
            let key = try readKey()
            for _ in 0..<(isArray ? 2 : 1) {
                guard peek() == "]" else {
                    throw fail(peek() == nil || atNewline
                        ? "unterminated table header; expected '\(isArray ? "]]" : "]")'"
                        : "unexpected \(Reader.describe(peek()!)) in table header; expected '\(isArray ? "]]" : "]")'")
                }
                advance()
            }

            // Every part but the last names an enclosing table, which may be implied, defined
            // earlier, or an array of tables whose latest element the header continues.
            var table = root
            for (offset, part) in key.dropLast().enumerated() {
                let path = Reader.pathText(key.prefix(offset + 1))
                switch table[part.name]?.content {
                case nil:
                    let made = TableBox(.implied, at: start)
                    table[part.name] = TableBox.Item(keyPosition: part.position, content: .table(made))
                    table = made
                case .table(let box):
                    table = box
                case .tables(let boxes, _):
                    table = boxes[boxes.count - 1]
                case .value(let node):
                    throw notATable(path, node, at: part.position)
                }
            }

            let last = key[key.count - 1]
            let path = Reader.pathText(key)
            let existing = table[last.name]
            if isArray {
                let element = TableBox(.header, at: start)
                switch existing?.content {
                case nil:
                    table[last.name] = TableBox.Item(keyPosition: last.position, content: .tables([element], firstHeader: start))
                case .tables(let boxes, let first):
                    table[last.name]!.content = .tables(boxes + [element], firstHeader: first)
                case .table(let box):
                    throw fail("cannot define array of tables '\(path)': it is already a table (line \(box.position.line))", at: last.position)
                case .value(let node):
                    if case .array = node.value {
                        throw fail("cannot append to '\(path)' with [[\(path)]]: it is an array written inline on line \(node.position.line)", at: last.position)
                    }
                    throw notATable(path, node, at: last.position)
                }
                return element
            }

            switch existing?.content {
            case nil:
                let made = TableBox(.header, at: start)
                table[last.name] = TableBox.Item(keyPosition: last.position, content: .table(made))
                return made
            case .table(let box):
                switch box.origin {
                case .implied:
                    box.origin = .header
                    box.position = start
                    table[last.name]!.keyPosition = last.position
                    return box
                case .header:
                    throw fail("table '\(path)' is already defined on line \(box.position.line)", at: last.position)
                case .dotted:
                    throw fail("table '\(path)' is already defined by dotted keys on line \(box.position.line)", at: last.position)
                }
            case .tables(_, let first):
                throw fail("'\(path)' is already an array of tables (line \(first.line)); use [[\(path)]] to add an element", at: last.position)
            case .value(let node):
                throw notATable(path, node, at: last.position)
            }
        }

        /// `key = value`, at the top level or inside an inline table.
        mutating func keyValue(into table: TableBox, section: Int) throws(TOMLError) {
            let key = try readKey()
            let path = Reader.pathText(key)
            guard peek() == "=" else {
                if let scalar = peek(), !atNewline, scalar != "#" {
                    throw fail("expected '=' after key '\(path)', found \(Reader.describe(scalar))")
                }
                throw fail("expected '=' after key '\(path)'")
            }
            advance()
            skipSpaces()
            if peek() == nil || atNewline || peek() == "#" {
                throw fail("key '\(path)' has no value")
            }
            let node = try readValue()

            // Dotted keys make or extend tables, but only ones dotted keys of this same section made.
            var target = table
            for (offset, part) in key.dropLast().enumerated() {
                let partPath = Reader.pathText(key.prefix(offset + 1))
                switch target[part.name]?.content {
                case nil:
                    let made = TableBox(.dotted(section: section), at: part.position)
                    target[part.name] = TableBox.Item(keyPosition: part.position, content: .table(made))
                    target = made
                case .table(let box):
                    switch box.origin {
                    case .dotted(section):
                        break
                    case .implied:
                        box.origin = .dotted(section: section)
                        box.position = part.position
                        target[part.name]!.keyPosition = part.position
                    case .header, .dotted:
                        throw fail("cannot add to table '\(partPath)' with a dotted key: it is already defined on line \(box.position.line)", at: part.position)
                    }
                    target = box
                case .tables(_, let first):
                    throw fail("cannot add to '\(partPath)' with a dotted key: it is an array of tables (line \(first.line))", at: part.position)
                case .value(let node):
                    throw notATable(partPath, node, at: part.position)
                }
            }
            let last = key[key.count - 1]
            if let existing = target[last.name] {
                throw fail("duplicate key '\(path)' (first defined on line \(existing.keyPosition.line))", at: last.position)
            }
            target[last.name] = TableBox.Item(keyPosition: last.position, content: .value(node))
        }

        func notATable(_ path: String, _ node: TOMLNode, at position: TOMLPosition) -> TOMLError {
            if case .table = node.value {
                return fail("cannot extend inline table '\(path)' (line \(node.position.line)); inline tables are complete as written", at: position)
            }
            return fail("key '\(path)' is already \(node.value.typeNameWithArticle) (line \(node.position.line)), not a table", at: position)
        }

        /// A bare, quoted or dotted key, with the spaces around it.
        mutating func readKey() throws(TOMLError) -> [KeyPart] {
            var parts: [KeyPart] = []
            while true {
                skipSpaces()
                let start = position
                guard let scalar = peek() else { throw fail("expected a key") }
                switch scalar {
                case "\"", "'":
                    if peek(1) == scalar && peek(2) == scalar {
                        throw fail("a multi-line string cannot be a key")
                    }
                    parts.append(KeyPart(name: scalar == "\"" ? try readBasicString() : try readLiteralString(), position: start))
                case _ where TOMLValue.isBareKeyScalar(scalar):
                    var name = String.UnicodeScalarView()
                    while let next = peek(), TOMLValue.isBareKeyScalar(next) {
                        name.append(next)
                        advance()
                    }
                    parts.append(KeyPart(name: String(name), position: start))
                    // Name a stray character glued to a bare key (`ké`, `a$b`) as the problem,
                    // rather than reporting a missing '=' after the part before it.
                    if let next = peek(), !atNewline, !" \t.=]},#".unicodeScalars.contains(next) {
                        throw fail("invalid character \(Reader.describe(next)) in a key; bare keys may use only A-Z a-z 0-9 _ -, other keys must be quoted")
                    }
                default:
                    if atNewline || scalar == "#" || scalar == "=" || scalar == "]" {
                        throw fail(parts.isEmpty ? "expected a key" : "expected a key after '.'")
                    }
                    throw fail("invalid character \(Reader.describe(scalar)) in a key; bare keys may use only A-Z a-z 0-9 _ -, other keys must be quoted")
                }
                skipSpaces()
                guard peek() == "." else { return parts }
                advance()
            }
        }

        // MARK: Values

        mutating func readValue() throws(TOMLError) -> TOMLNode {
            let start = position
            guard let scalar = peek() else { throw fail("expected a value") }
            let value: TOMLValue
            switch scalar {
            case "\"":
                value = .string(peek(1) == "\"" && peek(2) == "\"" ? try readMultilineString(literal: false) : try readBasicString())
            case "'":
                value = .string(peek(1) == "'" && peek(2) == "'" ? try readMultilineString(literal: true) : try readLiteralString())
            case "[":
                value = try readArray()
            case "{":
                value = try readInlineTable()
            case _ where Reader.isWordScalar(scalar):
                value = try readWord()
            default:
                throw fail("expected a value, found \(Reader.describe(scalar))")
            }
            return TOMLNode(value: value, position: start)
        }

        mutating func readArray() throws(TOMLError) -> TOMLValue {
            let start = position
            advance()
            var items: [TOMLNode] = []
            while true {
                try skipBlankSpace()
                if peek() == "]" { break }
                guard peek() != nil else { throw fail("unterminated array (opened on line \(start.line)); expected ']'") }
                items.append(try readValue())
                try skipBlankSpace()
                guard let scalar = peek() else { throw fail("unterminated array (opened on line \(start.line)); expected ']'") }
                if scalar == "]" { break }
                guard scalar == "," else { throw fail("expected ',' or ']' after an array element, found \(Reader.describe(scalar))") }
                advance()
            }
            advance()
            return .array(items)
        }

        /// Inline tables are one line and closed: a trailing comma or a newline is an error, and
        /// nothing later may add to them (see `notATable`).
        mutating func readInlineTable() throws(TOMLError) -> TOMLValue {
            let start = position
            advance()
            let box = TableBox(.header, at: start)
            sectionCount += 1
            let section = sectionCount
            skipSpaces()
            if peek() == "}" {
                advance()
                return .table(box.freeze())
            }
            while true {
                skipSpaces()
                if atNewline { throw fail("newline in an inline table; an inline table must be on one line") }
                if peek() == "}" { throw fail("trailing comma in an inline table") }
                try keyValue(into: box, section: section)
                skipSpaces()
                guard let scalar = peek() else { throw fail("unterminated inline table (opened on line \(start.line)); expected '}'") }
                if atNewline { throw fail("newline in an inline table; an inline table must be on one line") }
                switch scalar {
                case ",": advance()
                case "}":
                    advance()
                    return .table(box.freeze())
                default: throw fail("expected ',' or '}' in an inline table, found \(Reader.describe(scalar))")
                }
            }
        }
    }
}

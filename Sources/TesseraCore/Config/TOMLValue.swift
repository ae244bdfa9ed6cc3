/// A place in a TOML document. Both numbers are 1-based; columns count Unicode scalars, so a
/// tab or an `é` is one column.
public struct TOMLPosition: Sendable, Equatable, Hashable, CustomStringConvertible {
    public let line: Int
    public let column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// `line L, column C`.
    public var description: String { "line \(line), column \(column)" }
}

/// A TOML value.
///
/// Dates and times stay as the text that was written: Tessera's configuration has no date
/// settings, and keeping the text avoids choosing a calendar or time-zone model for them.
public indirect enum TOMLValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case bool(Bool)
    /// An offset or local date-time, a local date or a local time, as written.
    case datetime(String)
    /// An array written inline (`[1, 2]`) or an array of tables (`[[name]]`).
    case array([TOMLNode])
    /// A table from a `[header]`, dotted keys, an inline table, or the document root.
    case table(TOMLTable)

    /// The type's name for messages: "string", "integer", "float", "boolean", "datetime",
    /// "array" or "table".
    public var typeName: String {
        switch self {
        case .string: "string"
        case .integer: "integer"
        case .float: "float"
        case .bool: "boolean"
        case .datetime: "datetime"
        case .array: "array"
        case .table: "table"
        }
    }

    /// `a string`, `an integer`, ... for messages.
    var typeNameWithArticle: String {
        switch self {
        case .integer, .array: "an \(typeName)"
        default: "a \(typeName)"
        }
    }

    /// The value written back as TOML, on one line: tables become inline tables. Parsing
    /// `key = <tomlText>` gives the same value back, which is what lets a plugin receive an
    /// array or table setting as text.
    public var tomlText: String {
        switch self {
        case .string(let text):
            return TOMLValue.quoted(text)
        case .integer(let number):
            return String(number)
        case .float(let number):
            if number.isNaN { return "nan" }
            if number.isInfinite { return number < 0 ? "-inf" : "inf" }
            // Swift prints doubles as `1.0`, `0.001` or `1e+16`, all valid TOML floats, and
            // round-trips them exactly.
            return "\(number)"
        case .bool(let flag):
            return flag ? "true" : "false"
        case .datetime(let text):
            return text
        case .array(let items):
            return "[" + items.map(\.value.tomlText).joined(separator: ", ") + "]"
        case .table(let table):
            if table.entries.isEmpty { return "{}" }
            let pairs = table.entries.map { "\(TOMLValue.keyText($0.key)) = \($0.node.value.tomlText)" }
            return "{ " + pairs.joined(separator: ", ") + " }"
        }
    }

    /// A key as TOML text: bare when TOML allows it, quoted otherwise.
    static func keyText(_ key: String) -> String {
        let bare = !key.isEmpty && key.unicodeScalars.allSatisfy(isBareKeyScalar)
        return bare ? key : quoted(key)
    }

    static func isBareKeyScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", "_", "-": true
        default: false
        }
    }

    /// A basic string literal with every character TOML forbids raw escaped.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// A value and where it was written.
public struct TOMLNode: Sendable, Equatable {
    public var value: TOMLValue
    /// The value's first character; for a table, its `[header]` (or where it was first implied);
    /// for an array of tables, its first `[[header]]`.
    public var position: TOMLPosition

    public init(value: TOMLValue, position: TOMLPosition) {
        self.value = value
        self.position = position
    }
}

/// One key of a table, with where the key itself was written (the last part of a dotted key or
/// header), so that errors about the key can point at it rather than at its value.
public struct TOMLEntry: Sendable, Equatable {
    public var key: String
    public var keyPosition: TOMLPosition
    public var node: TOMLNode

    public init(key: String, keyPosition: TOMLPosition, node: TOMLNode) {
        self.key = key
        self.keyPosition = keyPosition
        self.node = node
    }
}

/// A table: its entries in document order.
public struct TOMLTable: Sendable, Equatable {
    /// Entries in the order their keys first appeared. Keys are unique.
    public var entries: [TOMLEntry]
    /// Where the table's `[header]` was; for the root, 1:1; for a table made by dotted keys, the
    /// key part that made it; for an inline table, its `{`.
    public var position: TOMLPosition

    public init(entries: [TOMLEntry] = [], position: TOMLPosition = TOMLPosition(line: 1, column: 1)) {
        self.entries = entries
        self.position = position
    }

    /// The value under `key`, if there is one. Lookup is linear: configuration tables are small,
    /// and a side index would have to be kept in step with `entries`.
    public subscript(key: String) -> TOMLNode? { entry(key)?.node }

    /// The entry for `key`, to reach where the key was written.
    public func entry(_ key: String) -> TOMLEntry? { entries.first { $0.key == key } }

    /// The keys in document order.
    public var keys: [String] { entries.map(\.key) }
}

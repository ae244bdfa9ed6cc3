/// A place in a TOML document, 1-based.
public struct TOMLPosition: Sendable, Equatable, CustomStringConvertible {
    public let line: Int
    public let column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "line \(line), column \(column)" }
}

/// A TOML value. Dates and times are kept as the text that was written.
public indirect enum TOMLValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case bool(Bool)
    case datetime(String)
    case array([TOMLNode])
    case table(TOMLTable)

    /// The type's name for messages: "string", "integer", "float", "boolean", "datetime",
    /// "array", "table".
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

    /// The value written back as TOML (tables inline), e.g. to hand an array to a plugin.
    public var tomlText: String {
        switch self {
        case .string(let text): TOMLValue.quoted(text)
        case .integer(let number): String(number)
        case .float(let number):
            number.isNaN ? "nan" : number.isInfinite ? (number < 0 ? "-inf" : "inf") : "\(number)"
        case .bool(let flag): flag ? "true" : "false"
        case .datetime(let text): text
        case .array(let items): "[" + items.map(\.value.tomlText).joined(separator: ", ") + "]"
        case .table(let table):
            table.entries.isEmpty ? "{}"
                : "{ " + table.entries.map { "\(TOMLValue.key($0.key)) = \($0.node.value.tomlText)" }.joined(separator: ", ") + " }"
        }
    }

    /// A key as TOML text: bare when it can be, quoted otherwise.
    static func key(_ key: String) -> String {
        let bare = !key.isEmpty && key.unicodeScalars.allSatisfy { TOMLParser.isBareKeyScalar($0) }
        return bare ? key : quoted(key)
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// A value and where it was written.
public struct TOMLNode: Sendable, Equatable {
    public var value: TOMLValue
    public var position: TOMLPosition

    public init(value: TOMLValue, position: TOMLPosition) {
        self.value = value
        self.position = position
    }
}

/// One `key = value` of a table, with where the key was written.
public struct TOMLEntry: Sendable, Equatable {
    public var key: String
    public var keyPosition: TOMLPosition
    public var node: TOMLNode
}

/// A table: entries in the order they were written.
public struct TOMLTable: Sendable, Equatable {
    public var entries: [TOMLEntry]
    /// Where the table's header was (`[name]`), or where it was first implied.
    public var position: TOMLPosition

    public init(entries: [TOMLEntry] = [], position: TOMLPosition = TOMLPosition(line: 1, column: 1)) {
        self.entries = entries
        self.position = position
    }

    public subscript(key: String) -> TOMLNode? {
        entries.first { $0.key == key }?.node
    }

    /// Keys in document order.
    public var keys: [String] { entries.map(\.key) }
}

/// A syntax or structure error, with where it is.
public struct TOMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public let position: TOMLPosition

    public init(_ message: String, at position: TOMLPosition) {
        self.message = message
        self.position = position
    }

    public var description: String { "line \(position.line), column \(position.column): \(message)" }
}

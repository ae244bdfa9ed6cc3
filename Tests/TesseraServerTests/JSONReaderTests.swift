import Foundation
import Testing
@testable import TesseraServer

/// The hand-written JSON reader against Foundation's JSONSerialization (an independent
/// parser) on documents it must accept and documents it must refuse, and its number
/// conversions against the standard library's.
@Suite("JSON reader")
struct JSONReaderTests {
    static func read(_ bytes: [UInt8]) throws -> ParameterValue {
        try bytes.withUnsafeBytes { raw in
            var reader = JSONReader(raw)
            let value = try reader.readValue()
            try reader.finish()
            return value
        }
    }

    static func read(_ text: String) throws -> ParameterValue { try read(Array(text.utf8)) }

    static func foundation(_ bytes: [UInt8]) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed)
    }

    /// Whether the reader's value and Foundation's are the same JSON value.
    static func same(_ mine: ParameterValue, _ theirs: Any) -> Bool {
        switch mine {
        case .null: return theirs is NSNull
        case .bool(let value): return (theirs as? Bool) == value
        case .int(let value):
            guard let number = theirs as? NSNumber else { return false }
            return number.int64Value == value || number.doubleValue == Double(value)
        case .double(let value):
            guard let number = theirs as? NSNumber else { return false }
            return number.doubleValue == value
        case .string(let value): return (theirs as? String) == value
        case .array(let elements):
            guard let other = theirs as? [Any], other.count == elements.count else { return false }
            return zip(elements, other).allSatisfy { same($0, $1) }
        case .object(let members):
            guard let other = theirs as? [String: Any], other.count == members.count else { return false }
            return members.allSatisfy { key, value in other[key].map { same(value, $0) } ?? false }
        }
    }

    static let valid: [String] = [
        "{}", "[]", " \t\r\n[ 1 , 2 ]\n", "0", "-0", "-0.0", "1.5", "-2.25e-3", "1E10", "1e+2", "1e-2", "123456789012345678",
        "9223372036854775807", "-9223372036854775808", "1.7976931348623157e308", "5e-324", "0.1", "1e-400",
        "true", "false", "null", "\"\"", "\"plain\"", "\"héllo wörld\"", "\"日本語\"", "\"😀\"",
        #""\" \\ \/ \b \f \n \r \t""#, #""\u0041\u00e9\u65e5\u0000""#, #""\uD83D\uDE00 and \ud83d\ude00""#,
        #"{"a": [1, {"b": null}], "c": {"d": [[], {}]}, "e": "\u002f"}"#,
        #"{"nested": [[[[[[[[1]]]]]]]]}"#, #"[1, -1, 1.0, true, false, null, "x", [], {}]"#,
        #"{"\u006eame": "escaped key"}"#,
    ]

    @Test("documents Foundation accepts read to the same values", arguments: valid)
    func accepts(_ text: String) throws {
        let bytes = Array(text.utf8)
        let mine = try Self.read(bytes)
        let theirs = try Self.foundation(bytes)
        #expect(Self.same(mine, theirs), "\(text): \(mine) vs \(theirs)")
    }

    static let invalid: [(String, [UInt8])] = [
        ("empty", []), ("only whitespace", Array("  ".utf8)), ("open object", Array("{".utf8)),
        ("trailing comma in array", Array("[1,]".utf8)), ("trailing comma in object", Array(#"{"a":1,}"#.utf8)),
        ("missing comma", Array("[1 2]".utf8)), ("missing colon", Array(#"{"a" 1}"#.utf8)), ("missing value", Array(#"{"a":}"#.utf8)),
        ("unquoted key", Array("{a:1}".utf8)), ("single quotes", Array("'a'".utf8)),
        ("leading zero", Array("01".utf8)), ("bare dot", Array("1.".utf8)), ("leading dot", Array(".5".utf8)),
        ("lone minus", Array("-".utf8)), ("empty exponent", Array("1e".utf8)), ("plus sign", Array("+1".utf8)),
        ("NaN", Array("NaN".utf8)), ("Infinity", Array("Infinity".utf8)), ("hex", Array("0x10".utf8)),
        ("truncated literal", Array("[tru]".utf8)), ("unknown literal", Array("nul".utf8)),
        ("unterminated string", Array(#""abc"#.utf8)), ("bad escape", Array(#""\x""#.utf8)),
        ("short unicode escape", Array(#""\u12""#.utf8)), ("lone high surrogate", Array(#""\uD800""#.utf8)),
        ("lone low surrogate", Array(#""\uDC00""#.utf8)), ("high surrogate then letter", Array(#""\uD800\u0041""#.utf8)),
        ("raw tab in string", Array("\"a\tb\"".utf8)), ("raw newline in string", Array("\"a\nb\"".utf8)),
        ("invalid UTF-8", [0x22, 0xFF, 0x22]), ("overlong UTF-8", [0x22, 0xC0, 0xAF, 0x22]),
        ("UTF-8 surrogate", [0x22, 0xED, 0xA0, 0x80, 0x22]), ("truncated UTF-8", [0x22, 0xE6, 0x97, 0x22]),
        ("trailing garbage", Array("[1] x".utf8)), ("two documents", Array("{} {}".utf8)),
        ("unclosed array", Array("[1,2".utf8)), ("mismatched brackets", Array("[1}".utf8)),
    ]

    /// Trailing commas are not JSON (RFC 8259), but Foundation's JSONSerialization accepts them.
    static let foundationLenient: Set<String> = ["trailing comma in array", "trailing comma in object"]

    @Test("documents that are not JSON are refused with the byte offset, as Foundation refuses them", arguments: 0..<invalid.count)
    func refuses(_ index: Int) throws {
        let (name, bytes) = Self.invalid[index]
        if !Self.foundationLenient.contains(name) {
            #expect(throws: (any Error).self, "Foundation accepts \(name)") { _ = try Self.foundation(bytes) }
        }
        do {
            let value = try Self.read(bytes)
            Issue.record("\(name) read as \(value)")
        } catch let error as APIError {
            #expect(error.status == .badRequest)
            #expect(error.message.contains("byte"), "\(name): \(error.message)")
        }
    }

    @Test("nesting is limited, so a hostile body fails cleanly instead of exhausting the stack")
    func depth() throws {
        let limit = JSONReader.maxDepth
        let deep = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        _ = try Self.read(deep)
        for hostile in [String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1),
                        String(repeating: "[", count: 100_000), String(repeating: #"{"a":"#, count: 100_000)] {
            #expect { _ = try Self.read(hostile) } throws: { error in
                (error as? APIError)?.message.contains("deeper than \(limit)") == true
            }
        }
    }

    @Test("every prefix of a document is refused, never a crash")
    func truncated() throws {
        let text = #"{"inputs": [{"name": "x\u00e9", "shape": [1, 2], "datatype": "FP32", "data": [[1.5e3, -2]]}], "id": "r"}"#
        let bytes = Array(text.utf8)
        _ = try Self.read(bytes)
        for length in 0..<bytes.count {
            #expect(throws: APIError.self, "prefix of \(length) bytes") { _ = try Self.read(Array(bytes[..<length])) }
        }
    }

    /// Reads `text` as one number with the reader's own conversions.
    static func number<T>(_ text: String, _ convert: (JSONReader, JSONReader.Number) -> T?) throws -> T? {
        try Array(text.utf8).withUnsafeBytes { raw in
            var reader = JSONReader(raw)
            let number = try reader.readNumber()
            try reader.finish()
            return convert(reader, number)
        }
    }

    static let decimals = [
        "0", "-0", "1", "-1", "0.1", "0.2", "0.3", "5.1", "3.5", "1.4", "0.2", "1e10", "1e-10", "123.456", "-2.5e-3",
        "16777216", "16777217", "16777219", "9007199254740993", "0.10000000149011612", "3.4028235e38", "3.4028236e38",
        "1.4e-45", "1e-46", "7.006492321624085e-46", "1.17549435e-38", "2.2250738585072014e-308", "4.9e-324",
        "1.7976931348623157e308", "123456789012345678901234567890", "0.000000000000000000000000000001",
        "1.00000000000000000000000000001", "8.589973e9", "8.589974e9", "1e22", "1e23", "9999999999999999999",
    ]

    @Test("numbers convert to the same Float and Double as the standard library's parser, bit for bit")
    func floatingPoint() throws {
        var samples = Self.decimals
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let float = Float(bitPattern: generator.next())
            if float.isFinite { samples.append(float.description) }
            let double = Double(bitPattern: generator.next())
            if double.isFinite { samples.append(double.description) }
            samples.append("\(Int.random(in: -99999...99999)).\(Int.random(in: 0...999))e\(Int.random(in: -12...12))")
        }
        for text in samples {
            let float = try Self.number(text) { $0.float($1) }
            if let expected = Float(text), expected.isFinite {
                #expect(float?.bitPattern == expected.bitPattern, "Float \(text)")
            } else {
                #expect(float == nil, "Float \(text) is out of range")
            }
            let double = try Self.number(text) { $0.double($1) }
            if let expected = Double(text), expected.isFinite {
                #expect(double?.bitPattern == expected.bitPattern, "Double \(text)")
            } else {
                #expect(double == nil, "Double \(text) is out of range")
            }
        }
    }

    @Test("integers are exact at every type's edges, and anything a type cannot hold is refused")
    func integers() throws {
        func check<T: FixedWidthInteger>(_: T.Type) throws {
            #expect(try Self.number("\(T.max)") { $0.integer($1, as: T.self) } == T.max)
            #expect(try Self.number("\(T.min)") { $0.integer($1, as: T.self) } == T.min)
            #expect(try Self.number("\(T.max.magnitude)0") { $0.integer($1, as: T.self) } == nil)
            #expect(try Self.number("-\(UInt64(T.min.magnitude) + 1)") { $0.integer($1, as: T.self) } == nil)
            let above = T.bitWidth < 64 ? String(UInt64(T.max) + 1) : (T.isSigned ? "9223372036854775808" : "18446744073709551616")
            #expect(try Self.number(above) { $0.integer($1, as: T.self) } == nil, "\(T.self) \(above)")
            for (text, expected) in [("-0", 0), ("0", 0), ("1.0", 1), ("1e2", 100), ("2.50e1", 25), ("0e99999", 0),
                                     ("100000000000000000000000e-23", 1), ("1.0000000000000000000000", 1)] as [(String, T)] {
                #expect(try Self.number(text) { $0.integer($1, as: T.self) } == expected, "\(T.self) \(text)")
            }
            for text in ["1.5", "1e-1", "1e-400", "1e400", "0.999999999999999999999999"] {
                #expect(try Self.number(text) { $0.integer($1, as: T.self) } == nil, "\(T.self) \(text)")
            }
        }
        try check(Int8.self); try check(UInt8.self); try check(Int16.self); try check(UInt16.self)
        try check(Int32.self); try check(UInt32.self); try check(Int64.self); try check(UInt64.self)
        #expect(try Self.number("18446744073709551616") { $0.integer($1, as: UInt64.self) } == nil)
        #expect(try Self.number("9007199254740993") { $0.integer($1, as: Int64.self) } == 9_007_199_254_740_993)
        #expect(try Self.number("-1") { $0.integer($1, as: UInt8.self) } == nil)
    }

    @Test("UTF-8 validation agrees with the standard library's")
    func utf8() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let bytes = (0..<Int.random(in: 1...6)).map { _ in UInt8.random(in: 0x7E...0xFF, using: &generator) }
            let valid = bytes.withUnsafeBytes { JSONReader.firstInvalidUTF8($0) } == nil
            #expect(valid == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
        }
    }
}

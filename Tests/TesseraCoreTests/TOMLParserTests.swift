import Testing
@testable import TesseraCore

// Expected values here are written by hand (from the TOML 1.0 specification where noted), never
// copied from the parser's output.

/// A value without positions, so whole documents can be compared against a literal. Tables
/// keep their order: a dictionary literal hands its pairs over in source order.
indirect enum TOMLShape: Equatable, Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    case string(String), integer(Int64), float(Double), bool(Bool), datetime(String), array([TOMLShape])
    case table([Pair])

    struct Pair: Equatable, Sendable {
        let key: String
        let value: TOMLShape
    }

    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int64) { self = .integer(value) }
    init(floatLiteral value: Double) { self = .float(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(arrayLiteral elements: TOMLShape...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, TOMLShape)...) { self = .table(elements.map { Pair(key: $0.0, value: $0.1) }) }

    init(_ value: TOMLValue) {
        switch value {
        case .string(let text): self = .string(text)
        case .integer(let number): self = .integer(number)
        case .float(let number): self = .float(number)
        case .bool(let flag): self = .bool(flag)
        case .datetime(let text): self = .datetime(text)
        case .array(let items): self = .array(items.map { TOMLShape($0.value) })
        case .table(let table): self = .table(table.entries.map { Pair(key: $0.key, value: TOMLShape($0.node.value)) })
        }
    }
}

func tomlShape(_ text: String) throws -> TOMLShape { TOMLShape(.table(try TOMLParser.parse(text))) }

/// The error a document is rejected with, or nil if it parses.
func tomlParseError(_ text: String) -> TOMLError? {
    do {
        _ = try TOMLParser.parse(text)
        return nil
    } catch {
        return error
    }
}

private func pos(_ line: Int, _ column: Int) -> TOMLPosition { TOMLPosition(line: line, column: column) }

private func table(_ node: TOMLNode?) -> TOMLTable? {
    if case .table(let table)? = node?.value { return table }
    return nil
}

private func array(_ node: TOMLNode?) -> [TOMLNode]? {
    if case .array(let items)? = node?.value { return items }
    return nil
}

@Suite("TOML reader")
struct TOMLParserTests {
    static let tesseraToml = """
        # Tessera configuration
        [server]
        listen = "127.0.0.1:8080"
        [store]
        path = "/var/lib/tessera"
        [[plugins]]
        path = "plugins/libtessera-prometheus.so"   # order = load order
        sha256 = "ab12"
        [plugins.settings]
        namespace = "tessera"
        [[plugins]]
        name = "latency-slo"
        enabled = false
        [plugins.settings]
        p99_ms = 50
        buckets = [0.005, 0.01, 1e-1]
        """

    @Test("a tessera.toml reads into the expected values, [plugins.settings] going to the latest [[plugins]]")
    func tesseraValues() throws {
        let expected: TOMLShape = [
            "server": ["listen": "127.0.0.1:8080"],
            "store": ["path": "/var/lib/tessera"],
            "plugins": [
                ["path": "plugins/libtessera-prometheus.so", "sha256": "ab12", "settings": ["namespace": "tessera"]],
                ["name": "latency-slo", "enabled": false, "settings": ["p99_ms": 50, "buckets": [0.005, 0.01, 0.1]]],
            ],
        ]
        #expect(try tomlShape(Self.tesseraToml) == expected)
    }

    @Test("a tessera.toml records the line and column of every key, value and table")
    func tesseraPositions() throws {
        let root = try TOMLParser.parse(Self.tesseraToml)
        #expect(root.position == pos(1, 1))
        #expect(root.keys == ["server", "store", "plugins"])
        #expect(root.entry("server")?.keyPosition == pos(2, 2))
        #expect(root["server"]?.position == pos(2, 1))
        let server = try #require(table(root["server"]))
        #expect(server.position == pos(2, 1))
        #expect(server.entry("listen")?.keyPosition == pos(3, 1))
        #expect(server["listen"]?.position == pos(3, 10))
        #expect(table(root["store"])?.entry("path")?.keyPosition == pos(5, 1))

        #expect(root.entry("plugins")?.keyPosition == pos(6, 3))
        #expect(root["plugins"]?.position == pos(6, 1))
        let plugins = try #require(array(root["plugins"]))
        try #require(plugins.count == 2)
        let first = try #require(table(plugins[0]))
        #expect(first.position == pos(6, 1))
        #expect(first.keys == ["path", "sha256", "settings"])
        #expect(first.entry("path")?.keyPosition == pos(7, 1))
        #expect(first["path"]?.position == pos(7, 8))
        #expect(first.entry("sha256")?.keyPosition == pos(8, 1))
        #expect(first.entry("settings")?.keyPosition == pos(9, 10))
        #expect(table(first["settings"])?.position == pos(9, 1))
        #expect(table(first["settings"])?.entry("namespace")?.keyPosition == pos(10, 1))

        let second = try #require(table(plugins[1]))
        #expect(second.position == pos(11, 1))
        #expect(second.keys == ["name", "enabled", "settings"])
        #expect(second.entry("name")?.keyPosition == pos(12, 1))
        #expect(second.entry("enabled")?.keyPosition == pos(13, 1))
        let settings = try #require(table(second["settings"]))
        #expect(settings.position == pos(14, 1))
        #expect(settings.entry("p99_ms")?.keyPosition == pos(15, 1))
        #expect(settings.entry("buckets")?.keyPosition == pos(16, 1))
        #expect(array(settings["buckets"])?.map(\.position) == [pos(16, 12), pos(16, 19), pos(16, 25)])
    }

    @Test("scalars of every type", arguments: [
        (#""text""#, TOMLValue.string("text")),
        ("'C:\\dir'", .string("C:\\dir")),
        ("\"\"", .string("")),
        ("42", .integer(42)), ("+99", .integer(99)), ("-17", .integer(-17)), ("0", .integer(0)), ("-0", .integer(0)),
        ("1_000", .integer(1000)), ("5_349_221", .integer(5_349_221)), ("1_2_3_4_5", .integer(12345)),
        ("0xDEADBEEF", .integer(0xDEAD_BEEF)), ("0xdead_beef", .integer(0xDEAD_BEEF)), ("0o755", .integer(0o755)),
        ("0o01234567", .integer(0o01234567)), ("0b11010110", .integer(0b11010110)),
        ("9223372036854775807", .integer(.max)), ("-9223372036854775808", .integer(.min)),
        ("0x7FFFFFFFFFFFFFFF", .integer(.max)),
        ("+1.0", .float(1.0)), ("3.1415", .float(3.1415)), ("-0.01", .float(-0.01)), ("5e+22", .float(5e22)),
        ("1e06", .float(1e6)), ("-2E-2", .float(-0.02)), ("6.626e-34", .float(6.626e-34)),
        ("224_617.445_991_228", .float(224_617.445_991_228)), ("0.0", .float(0)), ("1e-400", .float(0)),
        ("inf", .float(.infinity)), ("+inf", .float(.infinity)), ("-inf", .float(-.infinity)),
        ("true", .bool(true)), ("false", .bool(false)),
        ("1979-05-27T07:32:00Z", .datetime("1979-05-27T07:32:00Z")),
        ("1979-05-27T00:32:00-07:00", .datetime("1979-05-27T00:32:00-07:00")),
        ("1979-05-27T00:32:00.999999-07:00", .datetime("1979-05-27T00:32:00.999999-07:00")),
        ("1979-05-27 07:32:00Z", .datetime("1979-05-27 07:32:00Z")),
        ("1979-05-27t07:32:00z", .datetime("1979-05-27t07:32:00z")),
        ("1979-05-27T07:32:00", .datetime("1979-05-27T07:32:00")),
        ("1979-05-27T00:32:00.999999", .datetime("1979-05-27T00:32:00.999999")),
        ("1979-05-27", .datetime("1979-05-27")), ("2024-02-29", .datetime("2024-02-29")),
        ("07:32:00", .datetime("07:32:00")), ("00:32:00.999999", .datetime("00:32:00.999999")),
        ("23:59:60", .datetime("23:59:60")),
    ])
    func scalar(source: String, expected: TOMLValue) throws {
        let root = try TOMLParser.parse("v = \(source)  # comment")
        #expect(root["v"]?.value == expected)
        #expect(root["v"]?.position == pos(1, 5))
    }

    @Test("nan in every spelling reads as a NaN float", arguments: ["nan", "+nan", "-nan"])
    func notANumber(source: String) throws {
        guard case .float(let number)? = try TOMLParser.parse("v = \(source)")["v"]?.value else {
            Issue.record("not a float")
            return
        }
        #expect(number.isNaN)
    }

    @Test("basic string escapes", arguments: [
        (#""\b\t\n\f\r""#, "\u{08}\t\n\u{0C}\r"),
        (#""say \"hi\" \\ bye""#, "say \"hi\" \\ bye"),
        (#""\u00E9\u0041""#, "éA"),
        (#""\U0001F600""#, "😀"),
        (#""\u0000""#, "\u{0}"),
        (#""tab\there""#, "tab\there"),
        ("\"raw\ttab\"", "raw\ttab"),
        (#""Name\tJos\u00E9\nLocation\tSF.""#, "Name\tJosé\nLocation\tSF."),
    ])
    func escapes(source: String, expected: String) throws {
        #expect(try TOMLParser.parse("v = \(source)")["v"]?.value == .string(expected))
    }

    @Test("multi-line strings trim the first newline, honour line-ending backslashes and allow inner quotes")
    func multilineStrings() throws {
        let text = "a = \"\"\"\nRoses are red\r\nViolets are blue\"\"\"\n"
            + "b = \"\"\"one \\\n     two \\  \n\n   three\"\"\"\n"
            + "c = '''\n\\n stays\n'''\n"
            + "d = \"\"\"\"quoted\"\"\"\"\"\n"
            + "e = '''x''''\n"
            + "f = \"\"\"\\ttab\\\\\"\"\"\n"
        let expected: TOMLShape = [
            "a": "Roses are red\nViolets are blue",
            "b": "one two three",
            "c": "\\n stays\n",
            "d": "\"quoted\"\"",
            "e": "x'",
            "f": "\ttab\\",
        ]
        #expect(try tomlShape(text) == expected)
    }

    @Test("dotted keys, quoted keys and headers build nested tables with key positions")
    func nesting() throws {
        let text = """
            a.b . c = 1
            "x.y".'z' = 2
            [t . "u v"]
            w = { p.q = 3, r = [] }
            """
        let expected: TOMLShape = ["a": ["b": ["c": 1]], "x.y": ["z": 2], "t": ["u v": ["w": ["p": ["q": 3], "r": []]]]]
        #expect(try tomlShape(text) == expected)
        let root = try TOMLParser.parse(text)
        #expect(root.entry("a")?.keyPosition == pos(1, 1))
        #expect(table(table(root["a"])?["b"])?.entry("c")?.keyPosition == pos(1, 7))
        #expect(table(root["x.y"])?.entry("z")?.keyPosition == pos(2, 7))
        let t = try #require(table(root["t"]))
        #expect(t.position == pos(3, 1))
        #expect(t.entry("u v")?.keyPosition == pos(3, 6))
        let w = try #require(table(t["u v"]))
        #expect(w["w"]?.position == pos(4, 5))
        #expect(table(w["w"])?.entry("r")?.keyPosition == pos(4, 16))
    }

    @Test("tables may come in any order, be implied first and defined later, and grow sub-tables")
    func tableOrder() throws {
        let text = """
            [x.y.z.w]
            [x]
            k = 1
            [fruit]
            apple.color = "red"
            [fruit.apple.texture]
            smooth = true
            [[a]]
            [[a.b]]
            n = 1
            [[a.b]]
            n = 2
            [a.c]
            """
        let expected: TOMLShape = [
            "x": ["y": ["z": ["w": [:]]], "k": 1],
            "fruit": ["apple": ["color": "red", "texture": ["smooth": true]]],
            "a": [["b": [["n": 1], ["n": 2]], "c": [:]]],
        ]
        #expect(try tomlShape(text) == expected)
        let root = try TOMLParser.parse(text)
        // The header that finally defines an implied table is where it is said to be.
        #expect(table(root["x"])?.position == pos(2, 1))
        #expect(root.entry("x")?.keyPosition == pos(2, 2))
    }

    @Test("edge cases TOML allows", arguments: [
        ("[a.b.c]\n[a]\nb.d = 1", ["a": ["b": ["c": [:], "d": 1]]]),
        ("x.y = 1\n[x.z]\nw = 2", ["x": ["y": 1, "z": ["w": 2]]]),
        ("[[a]]\nb.c = 1\n[[a]]\nb.c = 2", ["a": [["b": ["c": 1]], ["b": ["c": 2]]]]),
        ("a = { b = [\n1,\n2 # c\n] }", ["a": ["b": [1, 2]]]),
        ("true = 1\ninf = 2\n1979-05-27 = 3\n-_- = 4", ["true": 1, "inf": 2, "1979-05-27": 3, "-_-": 4]),
        ("a = \"\"\"\n\"\"\"\nb = ''''''", ["a": "", "b": ""]),
        ("[\"\"]\n'' = 1", ["": ["": 1]]),
    ] as [(String, TOMLShape)])
    func allowed(source: String, expected: TOMLShape) throws {
        #expect(try tomlShape(source) == expected)
    }

    @Test("arrays: mixed types, nesting, newlines, comments and a trailing comma")
    func arrays() throws {
        let text = """
            a = [ 1, 2, 3 ]
            b = [ [ 1, 2 ], ["a", "b"], 1.5, { x = 1 } ]
            c = [
              1,   # one
              # nothing
              2, # two
            ]
            d = [ ]
            e = [ "all", 'strings', \"\"\"are the same\"\"\", '''type''' ]
            """
        let expected: TOMLShape = [
            "a": [1, 2, 3], "b": [[1, 2], ["a", "b"], 1.5, ["x": 1]], "c": [1, 2], "d": [],
            "e": ["all", "strings", "are the same", "type"],
        ]
        #expect(try tomlShape(text) == expected)
        #expect(array(try TOMLParser.parse(text)["c"])?.map(\.position) == [pos(4, 3), pos(6, 3)])
    }

    @Test("CRLF line endings, a byte-order mark, blank lines and whitespace are accepted")
    func layout() throws {
        let text = "\u{FEFF}# c\r\n\r\n  \t[s]  # c\r\n\tk\t=\t'v'\t\r\n"
        #expect(try tomlShape(text) == ["s": ["k": "v"]])
        #expect(table(try TOMLParser.parse(text)["s"])?.entry("k")?.keyPosition == pos(4, 2))
        #expect(try tomlShape("") == [:])
    }

    // MARK: Errors

    @Test("invalid documents are rejected with the line, column and a message saying why", arguments: [
        // Duplicates and redefinitions.
        ("name = \"Tom\"\nname = \"Pradyun\"", 2, 1, "duplicate key 'name' (first defined on line 1)"),
        ("spelling = \"favorite\"\n\"spelling\" = \"favourite\"", 2, 1, "duplicate key 'spelling' (first defined on line 1)"),
        ("[server]\nlisten = \"a\"\n\nport = 1\nport = 2", 5, 1, "duplicate key 'port' (first defined on line 4)"),
        ("a.b = 1\na.b = 2", 2, 3, "duplicate key 'a.b' (first defined on line 1)"),
        ("[fruit]\napple = \"red\"\n\n[fruit]\norange = 1", 4, 2, "table 'fruit' is already defined on line 1"),
        ("[a]\n[a.b]\n[a]", 3, 2, "table 'a' is already defined on line 1"),
        ("[fruit]\napple.color = \"red\"\n[fruit.apple]", 3, 8, "table 'fruit.apple' is already defined by dotted keys on line 2"),
        ("[fruit]\napple = \"red\"\n\n[fruit.apple]\ntexture = \"smooth\"", 4, 8, "key 'fruit.apple' is already a string (line 2), not a table"),
        ("[a.b.c]\n[a]\nb.d = 1\n[a.b]", 4, 4, "table 'a.b' is already defined by dotted keys on line 3"),
        ("[a.b]\nx = 1\n[a]\nb.y = 2", 4, 1, "cannot add to table 'b' with a dotted key: it is already defined on line 1"),
        ("[[a.b]]\n[a]\nb.y = 2", 3, 1, "cannot add to 'b' with a dotted key: it is an array of tables (line 1)"),
        // Values through dotted keys and inline tables.
        ("fruit.apple = 1\nfruit.apple.smooth = true", 2, 7, "key 'fruit.apple' is already an integer (line 1), not a table"),
        ("[product]\ntype = { name = \"Nail\" }\ntype.edible = false", 3, 1, "cannot extend inline table 'type' (line 2)"),
        ("[product]\ntype.name = \"Nail\"\ntype = { edible = false }", 3, 1, "duplicate key 'type' (first defined on line 2)"),
        ("a = {}\n[a.b]", 2, 2, "cannot extend inline table 'a' (line 1)"),
        ("a = { b = { c = 1 }, b.d = 2 }", 1, 22, "cannot extend inline table 'b' (line 1)"),
        ("a = [1]\n[a]", 2, 2, "key 'a' is already an array (line 1), not a table"),
        // Arrays of tables.
        ("[fruit.physical]\ncolor = \"red\"\n[[fruit]]", 3, 3, "cannot define array of tables 'fruit': it is already a table (line 1)"),
        ("fruits = []\n[[fruits]]", 2, 3, "cannot append to 'fruits' with [[fruits]]: it is an array written inline on line 1"),
        ("[[fruits]]\nname = \"apple\"\n[[fruits.varieties]]\nname = \"red delicious\"\n[fruits.varieties]", 5, 9,
         "'fruits.varieties' is already an array of tables (line 3)"),
        ("[[fruits]]\n[fruits.physical]\ncolor = \"red\"\n[[fruits.physical]]", 4, 10,
         "cannot define array of tables 'fruits.physical': it is already a table (line 2)"),
        // Keys and '='.
        ("key = # INVALID", 1, 7, "key 'key' has no value"),
        ("key =", 1, 6, "key 'key' has no value"),
        ("[server]\nlisten \"x\"", 2, 8, "expected '=' after key 'listen', found '\"'"),
        ("name\nx = 1", 1, 5, "expected '=' after key 'name'"),
        ("= \"no key name\"", 1, 1, "expected a key"),
        ("a. = 1", 1, 4, "expected a key after '.'"),
        ("k\u{E9} = 1", 1, 2, "invalid character 'é' in a key"),
        ("\"\"\"key\"\"\" = 1", 1, 1, "a multi-line string cannot be a key"),
        // Strings.
        ("a = \"abc", 1, 5, "unterminated string"),
        ("a = 'abc", 1, 5, "unterminated string"),
        ("\n\na = \"\"\"abc\ndef", 3, 5, "unterminated multi-line string"),
        ("a = '''abc\n", 1, 5, "unterminated multi-line string"),
        ("a = \"abc\nd\"", 1, 9, "newline in a basic string"),
        ("a = 'abc\nd'", 1, 9, "newline in a literal string"),
        (#"a = "x\qy""#, 1, 7, #"invalid escape '\q'"#),
        (#"a = "\e""#, 1, 6, #"invalid escape '\e'"#),
        (#"a = "\x41""#, 1, 6, #"invalid escape '\x'"#),
        ("a = \"\"\"\n\\ x\"\"\"", 2, 1, "invalid escape '\\' followed by U+0020"),
        (#"a = "\uD800""#, 1, 6, #"invalid escape: \uD800 is not a Unicode scalar value"#),
        (#"a = "\U00110000""#, 1, 6, #"invalid escape: \U00110000 is not a Unicode scalar value"#),
        (#"a = "\u12""#, 1, 6, #"invalid escape: \u must be followed by 4 hexadecimal digits"#),
        ("a = \"\"\"x\"\"\"\"\"\"", 1, 9, "too many \" in a row"),
        // Control characters.
        ("a = \"x\u{7}y\"", 1, 7, "control character U+0007 in a string"),
        ("a = 'x\u{1}'", 1, 7, "control character U+0001 in a literal string"),
        ("a = '''x\u{7F}'''", 1, 9, "control character U+007F in a literal string"),
        ("# bell \u{7}", 1, 8, "control character U+0007 in a comment"),
        ("a = 1\rb = 2", 1, 6, "unexpected U+000D after the value"),
        // Junk after a value or header.
        ("first = \"Tom\" last = \"Preston-Werner\"", 1, 15, "unexpected 'l' after the value"),
        ("a = 1 2", 1, 7, "unexpected '2' after the value"),
        ("[a] b = 1", 1, 5, "unexpected 'b' after the table header"),
        ("[a", 1, 3, "unterminated table header; expected ']'"),
        ("[[a]", 1, 5, "unterminated table header; expected ']]'"),
        ("[[a] ]", 1, 5, "unexpected U+0020 in table header; expected ']]'"),
        ("[]", 1, 2, "expected a key"),
        // Numbers and other values.
        ("a = 9223372036854775808", 1, 5, "integer '9223372036854775808' is out of range for 64 bits"),
        ("a = -9223372036854775809", 1, 5, "integer '-9223372036854775809' is out of range for 64 bits"),
        ("a = 0x8000000000000000", 1, 5, "integer '0x8000000000000000' is out of range for 64 bits"),
        ("a = 1e400", 1, 5, "float '1e400' is out of range for 64 bits"),
        ("a = hello", 1, 5, "invalid value 'hello'; strings must be quoted"),
        ("a = TRUE", 1, 5, "invalid value 'TRUE'"),
        ("a = _1", 1, 5, "invalid value '_1'"),
        ("a = 1979-02-30 07:32:00", 1, 5, "invalid date or time '1979-02-30 07:32:00'"),
        ("a = 2023-1-1", 1, 5, "invalid date or time '2023-1-1'"),
        ("a = 1979-02-29", 1, 5, "invalid date or time '1979-02-29'"),
        ("a = 1979-05-27T25:00:00", 1, 5, "invalid date or time"),
        ("a = 1979-05-27T07:32", 1, 5, "invalid date or time"),
        ("a = 07:32", 1, 5, "invalid date or time"),
        ("a = 1979-05-27T07:32:00+7:00", 1, 5, "invalid date or time"),
        ("a = 1979-05-27T07:32:00.", 1, 5, "invalid date or time"),
        ("a = 07:32:00Z", 1, 5, "invalid date or time"),
        // Arrays and inline tables.
        ("a = [1 2]", 1, 8, "expected ',' or ']' after an array element, found '2'"),
        ("a = [1,,2]", 1, 8, "expected a value, found ','"),
        ("a = [1,\n2", 2, 2, "unterminated array (opened on line 1)"),
        ("a = { b = 1, }", 1, 14, "trailing comma in an inline table"),
        ("a = { b = 1\n}", 1, 12, "newline in an inline table"),
        ("a = {\nb = 1 }", 1, 6, "newline in an inline table"),
        ("a = { b = 1 c = 2 }", 1, 13, "expected ',' or '}' in an inline table, found 'c'"),
        ("a = { b = 1, b = 2 }", 1, 14, "duplicate key 'b' (first defined on line 1)"),
        ("a = { b = 1", 1, 12, "unterminated inline table"),
    ])
    func rejects(source: String, line: Int, column: Int, message: String) {
        guard let error = tomlParseError(source) else {
            Issue.record("accepted: \(source)")
            return
        }
        #expect(error.position == pos(line, column), "\(error)")
        #expect(error.message.hasPrefix(message), "\(error)")
    }

    @Test("malformed numbers are rejected as invalid numbers", arguments: [
        "0123", "01.5", "1__0", "1_", "+0x10", "-0b1", "0X10", "0xG", "0o8", "0b102", ".7", "7.", "3.e+20",
        "1e", "1e_5", "1.5.3", "--1", "+", "1_.0", "1._0", "0x", "1e5e3", "1.0_",
    ])
    func invalidNumber(source: String) {
        let error = tomlParseError("a = \(source)")
        #expect(error == TOMLError("invalid number '\(source)'", at: pos(1, 5)))
    }

    @Test("an error's description names the line and column")
    func errorDescription() {
        #expect(tomlParseError("x = 1\nx = 2")?.description == "line 2, column 1: duplicate key 'x' (first defined on line 1)")
    }

    // MARK: Writing values back

    @Test("tomlText writes values as TOML", arguments: [
        (TOMLValue.string("a\"b\\c\nd\te\u{1}é"), #""a\"b\\c\nd\te\u0001é""#),
        (.integer(-42), "-42"), (.float(1.5), "1.5"), (.float(2), "2.0"), (.float(1e16), "1e+16"),
        (.float(.infinity), "inf"), (.float(-.infinity), "-inf"), (.float(.nan), "nan"),
        (.bool(true), "true"), (.datetime("1979-05-27T07:32:00Z"), "1979-05-27T07:32:00Z"),
        (.array([TOMLNode(value: .integer(1), position: pos(1, 1)), TOMLNode(value: .string("x"), position: pos(1, 1))]), #"[1, "x"]"#),
        (.table(TOMLTable()), "{}"),
        (.table(TOMLTable(entries: [
            TOMLEntry(key: "a", keyPosition: pos(1, 1), node: TOMLNode(value: .integer(1), position: pos(1, 1))),
            TOMLEntry(key: "b c", keyPosition: pos(1, 1), node: TOMLNode(value: .bool(false), position: pos(1, 1))),
        ])), #"{ a = 1, "b c" = false }"#),
    ])
    func tomlText(value: TOMLValue, expected: String) {
        #expect(value.tomlText == expected)
    }

    @Test("tomlText of a parsed document reads back to the same values")
    func tomlTextRoundTrip() throws {
        let root = try TOMLParser.parse(Self.tesseraToml + "\nodd = [\"\\u0000\\\"\", 0.1, -0.0, 1979-05-27, { \"\" = 1e-7 }]")
        let again = try TOMLParser.parse("v = " + TOMLValue.table(root).tomlText)
        #expect(TOMLShape(try #require(again["v"]).value) == TOMLShape(.table(root)))
    }

    @Test("typeName names each type", arguments: [
        (TOMLValue.string(""), "string"), (.integer(0), "integer"), (.float(0), "float"), (.bool(true), "boolean"),
        (.datetime("07:32:00"), "datetime"), (.array([]), "array"), (.table(TOMLTable()), "table"),
    ])
    func typeName(value: TOMLValue, expected: String) {
        #expect(value.typeName == expected)
    }
}

import Testing
@testable import TesseraCore

/// Expectations come from the TOML 1.0 specification's own examples and rules.
@Suite("TOML reader")
struct TOMLParserTests {
    func parse(_ text: String) throws -> TOMLTable { try TOMLParser.parse(text) }

    func value(_ text: String) throws -> TOMLValue {
        try #require(try parse("v = \(text)")["v"]).value
    }

    @Test("a tessera.toml: values, nesting, [[plugins]] with [plugins.settings] on the last element, and lines")
    func tesseraConfig() throws {
        let root = try parse("""
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
            """)
        #expect(root.keys == ["server", "store", "plugins"])
        guard case .table(let server) = root["server"]?.value else { Issue.record("server is not a table"); return }
        #expect(server["listen"]?.value == .string("127.0.0.1:8080"))
        #expect(server.entries[0].keyPosition == TOMLPosition(line: 3, column: 1))
        #expect(server["listen"]?.position == TOMLPosition(line: 3, column: 10))
        guard case .array(let plugins) = root["plugins"]?.value, plugins.count == 2,
              case .table(let first) = plugins[0].value, case .table(let second) = plugins[1].value else {
            Issue.record("plugins is not an array of two tables"); return
        }
        #expect(first.position.line == 6)
        #expect(second.position.line == 11)
        #expect(first["sha256"]?.value == .string("ab12"))
        guard case .table(let firstSettings) = first["settings"]?.value,
              case .table(let secondSettings) = second["settings"]?.value else {
            Issue.record("settings missing"); return
        }
        #expect(firstSettings["namespace"]?.value == .string("tessera"))
        #expect(firstSettings["p99_ms"] == nil)
        #expect(secondSettings["p99_ms"]?.value == .integer(50))
        #expect(secondSettings["p99_ms"]?.position.line == 15)
        #expect(secondSettings["buckets"]?.value == .array([
            TOMLNode(value: .float(0.005), position: TOMLPosition(line: 16, column: 12)),
            TOMLNode(value: .float(0.01), position: TOMLPosition(line: 16, column: 19)),
            TOMLNode(value: .float(0.1), position: TOMLPosition(line: 16, column: 25)),
        ]))
        #expect(second["enabled"]?.value == .bool(false))
    }

    @Test("integers as the spec writes them", arguments: [
        ("+99", Int64(99)), ("42", 42), ("0", 0), ("-17", -17), ("1_000", 1000), ("5_349_221", 5_349_221),
        ("0xDEADBEEF", 0xDEADBEEF), ("0xdead_beef", 0xDEADBEEF), ("0o755", 0o755), ("0b11010110", 0b11010110),
        ("9223372036854775807", Int64.max), ("-9223372036854775808", Int64.min),
    ])
    func integers(text: String, expected: Int64) throws {
        #expect(try value(text) == .integer(expected))
    }

    @Test("floats as the spec writes them", arguments: [
        ("+1.0", 1.0), ("3.1415", 3.1415), ("-0.01", -0.01), ("5e+22", 5e22), ("1e06", 1e6), ("-2E-2", -0.02),
        ("6.626e-34", 6.626e-34), ("224_617.445_991_228", 224_617.445_991_228), ("inf", Double.infinity), ("-inf", -Double.infinity),
    ])
    func floats(text: String, expected: Double) throws {
        #expect(try value(text) == .float(expected))
    }

    @Test("nan is a float")
    func nan() throws {
        guard case .float(let number) = try value("nan") else { Issue.record("not a float"); return }
        #expect(number.isNaN)
    }

    @Test("strings: escapes, literal, multi-line with line-ending backslash", arguments: [
        (#""I'm a string. \"You can quote me\". Name\tJos\u00E9\nLocation\tSF.""#,
         "I'm a string. \"You can quote me\". Name\tJosé\nLocation\tSF."),
        (#"'C:\Users\nodejs\templates'"#, #"C:\Users\nodejs\templates"#),
        ("\"\"\"\nRoses are red\nViolets are blue\"\"\"", "Roses are red\nViolets are blue"),
        ("\"\"\"\nThe quick brown \\\n\n\n  fox jumps over \\\n    the lazy dog.\"\"\"", "The quick brown fox jumps over the lazy dog."),
        ("'''\nThe first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is preserved.\n'''",
         "The first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is preserved.\n"),
        ("\"\"\"Here are two quotation marks: \"\". Simple enough.\"\"\"", "Here are two quotation marks: \"\". Simple enough."),
        (#""\U0001F600""#, "😀"),
    ])
    func strings(text: String, expected: String) throws {
        #expect(try value(text) == .string(expected))
    }

    @Test("dates and times are kept as written", arguments: [
        "1979-05-27T07:32:00Z", "1979-05-27T00:32:00.999999-07:00", "1979-05-27 07:32:00Z", "1979-05-27", "07:32:00",
    ])
    func datetimes(text: String) throws {
        #expect(try value(text) == .datetime(text))
    }

    @Test("dotted keys, quoted keys and inline tables build nested tables")
    func nesting() throws {
        let root = try parse("""
            name = "Orange"
            physical.color = "orange"
            physical.shape = "round"
            site."google.com" = true
            point = { x = 1, y = 2 }
            """)
        guard case .table(let physical) = root["physical"]?.value, case .table(let site) = root["site"]?.value,
              case .table(let point) = root["point"]?.value else {
            Issue.record("expected tables"); return
        }
        #expect(physical.keys == ["color", "shape"])
        #expect(site["google.com"]?.value == .bool(true))
        #expect(point["y"]?.value == .integer(2))
    }

    @Test("a table only implied by a header may get its own header later")
    func impliedTable() throws {
        let root = try parse("[x.y.z.w]\na = 1\n[x]\nb = 2\n")
        guard case .table(let x) = root["x"]?.value else { Issue.record("no x"); return }
        #expect(x.keys == ["y", "b"])
    }

    @Test("invalid documents are refused with the line and a message", arguments: [
        ("a = 1\na = 2\n", 2, "duplicate key 'a' (first defined on line 1)"),
        ("[t]\nx = 1\n[t]\n", 3, "table [t] is defined twice"),
        ("a = \n", 1, "expected a value"),
        ("key\n", 1, "key 'key' has no value"),
        ("a = \"open\n", 1, "newline in a string"),
        ("a = \"bad \\q\"\n", 1, "invalid escape '\\q'"),
        ("a = 1 b = 2\n", 1, "unexpected 'b' after the value"),
        ("a = 012\n", 1, "leading zeros are not allowed"),
        ("a = 1__000\n", 1, "is not a valid number"),
        ("a = 99999999999999999999\n", 1, "does not fit in 64 bits"),
        ("a = {x = 1}\n[a]\n", 2, "is defined twice"),
        ("a = {x = 1}\na.y = 2\n", 2, "is an inline table"),
        ("a = 1\na.b = 2\n", 2, "'a' is already a integer"),
        ("a = {x = 1,}\n", 1, "no trailing comma"),
        ("a = [1, 2\n", 2, "expected ',' or ']'"),
        ("= 1\n", 1, "missing key before '='"),
        ("a = yes\n", 1, "'yes' is not a value; strings need quotes"),
        ("a = flase\n", 1, "'flase' is not a value; strings need quotes"),
        ("[[fruit]]\n[fruit]\n", 2, "is an array of tables"),
        ("a = \"\\uD800\"\n", 1, "is not a Unicode scalar value"),
    ])
    func invalid(text: String, line: Int, message: String) {
        do {
            _ = try TOMLParser.parse(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.position.line == line, "\(error)")
            #expect(error.message.contains(message), "\(error)")
        }
    }

    @Test("values render back to TOML text that reads the same")
    func roundTrip() throws {
        let text = #"[1, "two\n", 3.5, true, { k = "v", "a b" = [] }]"#
        let original = try value(text)
        #expect(original.tomlText == text)
        #expect(try value(original.tomlText).tomlText == text)
    }
}

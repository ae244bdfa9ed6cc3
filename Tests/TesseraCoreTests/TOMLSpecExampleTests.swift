import Testing
@testable import TesseraCore

/// One example from the TOML 1.0 specification, with the value the specification says it has,
/// worked out by hand from the specification's prose.
struct TOMLSpecExample: Sendable, CustomTestStringConvertible {
    let section: String
    let toml: String
    let expected: TOMLShape
    var testDescription: String { section }
}

/// An example the specification marks INVALID, with where the problem is.
struct TOMLSpecCounterExample: Sendable, CustomTestStringConvertible {
    let section: String
    let toml: String
    let line: Int
    let column: Int
    let message: String
    var testDescription: String { section }
}

@Suite("TOML 1.0 specification examples")
struct TOMLSpecExampleTests {
    static let valid: [TOMLSpecExample] = [
        TOMLSpecExample(section: "Comment", toml: #"""
            # This is a full-line comment
            key = "value"  # This is a comment at the end of a line
            another = "# This is not a comment"
            """#, expected: ["key": "value", "another": "# This is not a comment"]),
        TOMLSpecExample(section: "Keys: bare", toml: #"""
            key = "value"
            bare_key = "value"
            bare-key = "value"
            1234 = "value"
            """#, expected: ["key": "value", "bare_key": "value", "bare-key": "value", "1234": "value"]),
        TOMLSpecExample(section: "Keys: quoted", toml: #"""
            "127.0.0.1" = "value"
            "character encoding" = "value"
            "ʎǝʞ" = "value"
            'key2' = "value"
            'quoted "value"' = "value"
            "" = "blank"
            """#, expected: [
                "127.0.0.1": "value", "character encoding": "value", "ʎǝʞ": "value", "key2": "value",
                "quoted \"value\"": "value", "": "blank",
            ]),
        TOMLSpecExample(section: "Keys: dotted", toml: #"""
            name = "Orange"
            physical.color = "orange"
            physical.shape = "round"
            site."google.com" = true
            """#, expected: ["name": "Orange", "physical": ["color": "orange", "shape": "round"], "site": ["google.com": true]]),
        TOMLSpecExample(section: "Keys: whitespace around dots", toml: #"""
            fruit.name = "banana"     # this is best practice
            fruit. color = "yellow"    # same as fruit.color
            fruit . flavor = "banana"   # same as fruit.flavor
            """#, expected: ["fruit": ["name": "banana", "color": "yellow", "flavor": "banana"]]),
        TOMLSpecExample(section: "Keys: dotted keys out of order", toml: #"""
            apple.type = "fruit"
            orange.type = "fruit"

            apple.skin = "thin"
            orange.skin = "thick"

            apple.color = "red"
            orange.color = "orange"
            """#, expected: [
                "apple": ["type": "fruit", "skin": "thin", "color": "red"],
                "orange": ["type": "fruit", "skin": "thick", "color": "orange"],
            ]),
        TOMLSpecExample(section: "Keys: float-looking key", toml: #"3.14159 = "pi""#, expected: ["3": ["14159": "pi"]]),
        TOMLSpecExample(section: "Keys: extending a dotted table", toml: #"""
            # This makes the key "fruit" into a table.
            fruit.apple.smooth = true

            # So then you can add to the table "fruit" like so:
            fruit.orange = 2
            """#, expected: ["fruit": ["apple": ["smooth": true], "orange": 2]]),
        TOMLSpecExample(section: "String: basic", toml: #"""
            str = "I'm a string. \"You can quote me\". Name\tJos\u00E9\nLocation\tSF."
            """#, expected: ["str": "I'm a string. \"You can quote me\". Name\tJos\u{E9}\nLocation\tSF."]),
        TOMLSpecExample(section: "String: multi-line basic", toml: #"""
            str1 = """
            Roses are red
            Violets are blue"""
            """#, expected: ["str1": "Roses are red\nViolets are blue"]),
        TOMLSpecExample(section: "String: line ending backslash", toml: #"""
            # The following strings are byte-for-byte equivalent:
            str1 = "The quick brown fox jumps over the lazy dog."

            str2 = """
            The quick brown \


              fox jumps over \
                the lazy dog."""

            str3 = """\
                   The quick brown \
                   fox jumps over \
                   the lazy dog.\
                   """
            """#, expected: [
                "str1": "The quick brown fox jumps over the lazy dog.",
                "str2": "The quick brown fox jumps over the lazy dog.",
                "str3": "The quick brown fox jumps over the lazy dog.",
            ]),
        TOMLSpecExample(section: "String: quotes in multi-line basic", toml: #"""
            str4 = """Here are two quotation marks: "". Simple enough."""
            str5 = """Here are three quotation marks: ""\"."""
            str6 = """Here are fifteen quotation marks: ""\"""\"""\"""\"""\"."""

            # "This," she said, "is just a pointless statement."
            str7 = """"This," she said, "is just a pointless statement.""""
            """#, expected: [
                "str4": #"Here are two quotation marks: "". Simple enough."#,
                "str5": #"Here are three quotation marks: """."#,
                "str6": #"Here are fifteen quotation marks: """""""""""""""."#,
                "str7": #""This," she said, "is just a pointless statement.""#,
            ]),
        TOMLSpecExample(section: "String: literal", toml: #"""
            # What you see is what you get.
            winpath  = 'C:\Users\nodejs\templates'
            winpath2 = '\\ServerX\admin$\system32\'
            quoted   = 'Tom "Dubs" Preston-Werner'
            regex    = '<\i\c*\s*>'
            """#, expected: [
                "winpath": #"C:\Users\nodejs\templates"#, "winpath2": #"\\ServerX\admin$\system32\"#,
                "quoted": #"Tom "Dubs" Preston-Werner"#, "regex": #"<\i\c*\s*>"#,
            ]),
        TOMLSpecExample(section: "String: multi-line literal", toml: #"""
            regex2 = '''I [dw]on't need \d{2} apples'''
            lines  = '''
            The first newline is
            trimmed in raw strings.
               All other whitespace
               is preserved.
            '''
            quot15 = '''Here are fifteen quotation marks: """""""""""""""'''
            apos15 = "Here are fifteen apostrophes: '''''''''''''''"

            # 'That,' she said, 'is still pointless.'
            str = ''''That,' she said, 'is still pointless.''''
            """#, expected: [
                "regex2": #"I [dw]on't need \d{2} apples"#,
                "lines": "The first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is preserved.\n",
                "quot15": .string("Here are fifteen quotation marks: " + String(repeating: "\"", count: 15)),
                "apos15": "Here are fifteen apostrophes: '''''''''''''''",
                "str": "'That,' she said, 'is still pointless.'",
            ]),
        TOMLSpecExample(section: "Integer", toml: #"""
            int1 = +99
            int2 = 42
            int3 = 0
            int4 = -17
            int5 = 1_000
            int6 = 5_349_221
            int7 = 53_49_221  # Indian number system grouping
            int8 = 1_2_3_4_5  # VALID but discouraged
            # hexadecimal with prefix `0x`
            hex1 = 0xDEADBEEF
            hex2 = 0xdeadbeef
            hex3 = 0xdead_beef
            # octal with prefix `0o`
            oct1 = 0o01234567
            oct2 = 0o755 # useful for Unix file permissions
            # binary with prefix `0b`
            bin1 = 0b11010110
            """#, expected: [
                "int1": 99, "int2": 42, "int3": 0, "int4": -17, "int5": 1000, "int6": 5_349_221, "int7": 5_349_221,
                "int8": 12345, "hex1": 3_735_928_559, "hex2": 3_735_928_559, "hex3": 3_735_928_559,
                "oct1": 342_391, "oct2": 493, "bin1": 214,
            ]),
        TOMLSpecExample(section: "Float", toml: #"""
            # fractional
            flt1 = +1.0
            flt2 = 3.1415
            flt3 = -0.01
            # exponent
            flt4 = 5e+22
            flt5 = 1e06
            flt6 = -2E-2
            # both
            flt7 = 6.626e-34
            flt8 = 224_617.445_991_228
            # infinity
            sf1 = inf  # positive infinity
            sf2 = +inf # positive infinity
            sf3 = -inf # negative infinity
            """#, expected: [
                "flt1": 1.0, "flt2": 3.1415, "flt3": -0.01, "flt4": 5e22, "flt5": 1_000_000.0, "flt6": -0.02,
                "flt7": 6.626e-34, "flt8": 224_617.445_991_228,
                "sf1": .float(.infinity), "sf2": .float(.infinity), "sf3": .float(-.infinity),
            ]),
        TOMLSpecExample(section: "Boolean", toml: "bool1 = true\nbool2 = false", expected: ["bool1": true, "bool2": false]),
        TOMLSpecExample(section: "Date and time", toml: #"""
            odt1 = 1979-05-27T07:32:00Z
            odt2 = 1979-05-27T00:32:00-07:00
            odt3 = 1979-05-27T00:32:00.999999-07:00
            odt4 = 1979-05-27 07:32:00Z
            ldt1 = 1979-05-27T07:32:00
            ldt2 = 1979-05-27T00:32:00.999999
            ld1 = 1979-05-27
            lt1 = 07:32:00
            lt2 = 00:32:00.999999
            """#, expected: [
                "odt1": .datetime("1979-05-27T07:32:00Z"), "odt2": .datetime("1979-05-27T00:32:00-07:00"),
                "odt3": .datetime("1979-05-27T00:32:00.999999-07:00"), "odt4": .datetime("1979-05-27 07:32:00Z"),
                "ldt1": .datetime("1979-05-27T07:32:00"), "ldt2": .datetime("1979-05-27T00:32:00.999999"),
                "ld1": .datetime("1979-05-27"), "lt1": .datetime("07:32:00"), "lt2": .datetime("00:32:00.999999"),
            ]),
        TOMLSpecExample(section: "Array", toml: #"""
            integers = [ 1, 2, 3 ]
            colors = [ "red", "yellow", "green" ]
            nested_arrays_of_ints = [ [ 1, 2 ], [3, 4, 5] ]
            nested_mixed_array = [ [ 1, 2 ], ["a", "b", "c"] ]
            string_array = [ "all", 'strings', """are the same""", '''type''' ]

            # Mixed-type arrays are allowed
            numbers = [ 0.1, 0.2, 0.5, 1, 2, 5 ]
            contributors = [
              "Foo Bar <foo@example.com>",
              { name = "Baz Qux", email = "bazqux@example.com", url = "https://example.com/bazqux" }
            ]
            integers2 = [
              1, 2, 3
            ]

            integers3 = [
              1,
              2, # this is ok
            ]
            """#, expected: [
                "integers": [1, 2, 3], "colors": ["red", "yellow", "green"],
                "nested_arrays_of_ints": [[1, 2], [3, 4, 5]], "nested_mixed_array": [[1, 2], ["a", "b", "c"]],
                "string_array": ["all", "strings", "are the same", "type"],
                "numbers": [0.1, 0.2, 0.5, 1, 2, 5],
                "contributors": [
                    "Foo Bar <foo@example.com>",
                    ["name": "Baz Qux", "email": "bazqux@example.com", "url": "https://example.com/bazqux"],
                ],
                "integers2": [1, 2, 3], "integers3": [1, 2],
            ]),
        TOMLSpecExample(section: "Table", toml: #"""
            [table-1]
            key1 = "some string"
            key2 = 123

            [table-2]
            key1 = "another string"
            key2 = 456

            [dog."tater.man"]
            type.name = "pug"
            """#, expected: [
                "table-1": ["key1": "some string", "key2": 123], "table-2": ["key1": "another string", "key2": 456],
                "dog": ["tater.man": ["type": ["name": "pug"]]],
            ]),
        TOMLSpecExample(section: "Table: whitespace in headers", toml: #"""
            [a.b.c]            # this is best practice
            [ d.e.f ]          # same as [d.e.f]
            [ g .  h  . i ]    # same as [g.h.i]
            [ j . "ʞ" . 'l' ]  # same as [j."ʞ".l]
            """#, expected: [
                "a": ["b": ["c": [:]]], "d": ["e": ["f": [:]]], "g": ["h": ["i": [:]]], "j": ["ʞ": ["l": [:]]],
            ]),
        TOMLSpecExample(section: "Table: super-table defined afterward", toml: #"""
            # [x] you
            # [x.y] don't
            # [x.y.z] need these
            [x.y.z.w] # for this to work

            [x] # defining a super-table afterward is ok
            """#, expected: ["x": ["y": ["z": ["w": [:]]]]]),
        TOMLSpecExample(section: "Table: out of order", toml: #"""
            # VALID BUT DISCOURAGED
            [fruit.apple]
            [animal]
            [fruit.orange]
            """#, expected: ["fruit": ["apple": [:], "orange": [:]], "animal": [:]]),
        TOMLSpecExample(section: "Table: top-level", toml: #"""
            # Top-level table begins.
            name = "Fido"
            breed = "pug"

            # Top-level table ends.
            [owner]
            name = "Regina Dogman"
            member_since = 1999-08-04
            """#, expected: [
                "name": "Fido", "breed": "pug", "owner": ["name": "Regina Dogman", "member_since": .datetime("1999-08-04")],
            ]),
        TOMLSpecExample(section: "Table: dotted keys create tables", toml: #"""
            fruit.apple.color = "red"
            # Defines a table named fruit
            # Defines a table named fruit.apple

            fruit.apple.taste.sweet = true
            # Defines a table named fruit.apple.taste
            # fruit and fruit.apple were already created
            """#, expected: ["fruit": ["apple": ["color": "red", "taste": ["sweet": true]]]]),
        TOMLSpecExample(section: "Table: sub-tables of dotted tables", toml: #"""
            [fruit]
            apple.color = "red"
            apple.taste.sweet = true

            # [fruit.apple]  # INVALID
            # [fruit.apple.taste]  # INVALID

            [fruit.apple.texture]  # you can add sub-tables
            smooth = true
            """#, expected: ["fruit": ["apple": ["color": "red", "taste": ["sweet": true], "texture": ["smooth": true]]]]),
        TOMLSpecExample(section: "Inline table", toml: #"""
            name = { first = "Tom", last = "Preston-Werner" }
            point = { x = 1, y = 2 }
            animal = { type.name = "pug" }
            """#, expected: [
                "name": ["first": "Tom", "last": "Preston-Werner"], "point": ["x": 1, "y": 2],
                "animal": ["type": ["name": "pug"]],
            ]),
        TOMLSpecExample(section: "Array of tables", toml: #"""
            [[products]]
            name = "Hammer"
            sku = 738594937

            [[products]]  # empty table within the array

            [[products]]
            name = "Nail"
            sku = 284758393

            color = "gray"
            """#, expected: [
                "products": [["name": "Hammer", "sku": 738_594_937], [:], ["name": "Nail", "sku": 284_758_393, "color": "gray"]],
            ]),
        TOMLSpecExample(section: "Array of tables: nested", toml: #"""
            [[fruits]]
            name = "apple"

            [fruits.physical]  # subtable
            color = "red"
            shape = "round"

            [[fruits.varieties]]  # nested array of tables
            name = "red delicious"

            [[fruits.varieties]]
            name = "granny smith"


            [[fruits]]
            name = "banana"

            [[fruits.varieties]]
            name = "plantain"
            """#, expected: [
                "fruits": [
                    [
                        "name": "apple", "physical": ["color": "red", "shape": "round"],
                        "varieties": [["name": "red delicious"], ["name": "granny smith"]],
                    ],
                    ["name": "banana", "varieties": [["name": "plantain"]]],
                ],
            ]),
        TOMLSpecExample(section: "Array of tables: inline", toml: #"""
            points = [ { x = 1, y = 2, z = 3 },
                       { x = 7, y = 8, z = 9 },
                       { x = 2, y = 4, z = 8 } ]
            """#, expected: [
                "points": [["x": 1, "y": 2, "z": 3], ["x": 7, "y": 8, "z": 9], ["x": 2, "y": 4, "z": 8]],
            ]),
    ]

    @Test("valid examples read to the values the specification gives", arguments: valid)
    func validExample(example: TOMLSpecExample) throws {
        #expect(try tomlShape(example.toml) == example.expected)
    }

    static let invalid: [TOMLSpecCounterExample] = [
        TOMLSpecCounterExample(section: "Keys: no value", toml: "key = # INVALID", line: 1, column: 7, message: "key 'key' has no value"),
        TOMLSpecCounterExample(section: "Keys: two pairs on a line", toml: #"first = "Tom" last = "Preston-Werner" # INVALID"#,
                               line: 1, column: 15, message: "unexpected 'l' after the value"),
        TOMLSpecCounterExample(section: "Keys: no key name", toml: #"= "no key name"  # INVALID"#, line: 1, column: 1, message: "expected a key"),
        TOMLSpecCounterExample(section: "Keys: duplicate", toml: "# DO NOT DO THIS\nname = \"Tom\"\nname = \"Pradyun\"",
                               line: 3, column: 1, message: "duplicate key 'name' (first defined on line 2)"),
        TOMLSpecCounterExample(section: "Keys: bare and quoted duplicate", toml: "# THIS WILL NOT WORK\nspelling = \"favorite\"\n\"spelling\" = \"favourite\"",
                               line: 3, column: 1, message: "duplicate key 'spelling' (first defined on line 2)"),
        TOMLSpecCounterExample(section: "Keys: value then table", toml: "# THE FOLLOWING IS INVALID\nfruit.apple = 1\nfruit.apple.smooth = true",
                               line: 3, column: 7, message: "key 'fruit.apple' is already an integer (line 2), not a table"),
        TOMLSpecCounterExample(section: "String: three quotes", toml: #"str5 = """Here are three quotation marks: """."""  # INVALID"#,
                               line: 1, column: 46, message: "unexpected '.' after the value"),
        TOMLSpecCounterExample(section: "String: eighteen apostrophes", toml: "apos15 = '''Here are fifteen apostrophes: ''''''''''''''''''  # INVALID",
                               line: 1, column: 43, message: "too many ' in a row"),
        TOMLSpecCounterExample(section: "Float: no leading digit", toml: "invalid_float_1 = .7", line: 1, column: 19, message: "invalid number '.7'"),
        TOMLSpecCounterExample(section: "Float: no trailing digit", toml: "invalid_float_2 = 7.", line: 1, column: 19, message: "invalid number '7.'"),
        TOMLSpecCounterExample(section: "Float: exponent after dot", toml: "invalid_float_3 = 3.e+20", line: 1, column: 19, message: "invalid number '3.e+20'"),
        TOMLSpecCounterExample(section: "Table: defined twice", toml: "# DO NOT DO THIS\n\n[fruit]\napple = \"red\"\n\n[fruit]\norange = \"orange\"",
                               line: 6, column: 2, message: "table 'fruit' is already defined on line 3"),
        TOMLSpecCounterExample(section: "Table: key then table", toml: "# DO NOT DO THIS EITHER\n\n[fruit]\napple = \"red\"\n\n[fruit.apple]\ntexture = \"smooth\"",
                               line: 6, column: 8, message: "key 'fruit.apple' is already a string (line 4), not a table"),
        TOMLSpecCounterExample(section: "Table: header for a dotted table", toml: "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n\n[fruit.apple.taste]  # INVALID",
                               line: 5, column: 14, message: "table 'fruit.apple.taste' is already defined by dotted keys on line 3"),
        TOMLSpecCounterExample(section: "Inline table: extended by a dotted key", toml: "[product]\ntype = { name = \"Nail\" }\ntype.edible = false  # INVALID",
                               line: 3, column: 1, message: "cannot extend inline table 'type' (line 2)"),
        TOMLSpecCounterExample(section: "Inline table: replacing dotted keys", toml: "[product]\ntype.name = \"Nail\"\ntype = { edible = false }  # INVALID",
                               line: 3, column: 1, message: "duplicate key 'type' (first defined on line 2)"),
        TOMLSpecCounterExample(section: "Array of tables: parent after child",
                               toml: "# INVALID TOML DOC\n[fruit.physical]  # subtable, but to which parent element?\ncolor = \"red\"\nshape = \"round\"\n\n[[fruit]]  # parser must throw an error upon discovering that \"fruit\" is\n           # an array rather than a table\nname = \"apple\"",
                               line: 6, column: 3, message: "cannot define array of tables 'fruit': it is already a table (line 2)"),
        TOMLSpecCounterExample(section: "Array of tables: static array", toml: "# INVALID TOML DOC\nfruits = []\n\n[[fruits]] # Not allowed",
                               line: 4, column: 3, message: "cannot append to 'fruits' with [[fruits]]: it is an array written inline on line 2"),
        TOMLSpecCounterExample(section: "Array of tables: table over array",
                               toml: "# INVALID TOML DOC\n[[fruits]]\nname = \"apple\"\n\n[[fruits.varieties]]\nname = \"red delicious\"\n\n# INVALID: This table conflicts with the previous array of tables\n[fruits.varieties]\nname = \"granny smith\"",
                               line: 9, column: 9, message: "'fruits.varieties' is already an array of tables (line 5)"),
        TOMLSpecCounterExample(section: "Array of tables: array over table",
                               toml: "[[fruits]]\nname = \"apple\"\n[fruits.physical]\ncolor = \"red\"\nshape = \"round\"\n\n# INVALID: This array of tables conflicts with the previous table\n[[fruits.physical]]\ncolor = \"green\"",
                               line: 8, column: 10, message: "cannot define array of tables 'fruits.physical': it is already a table (line 3)"),
    ]

    @Test("examples marked INVALID are rejected at the offending place", arguments: invalid)
    func invalidExample(example: TOMLSpecCounterExample) {
        guard let error = tomlParseError(example.toml) else {
            Issue.record("accepted: \(example.toml)")
            return
        }
        #expect(error.position == TOMLPosition(line: example.line, column: example.column), "\(error)")
        #expect(error.message.hasPrefix(example.message), "\(error)")
    }
}

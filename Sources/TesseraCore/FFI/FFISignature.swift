/// The C type of a foreign function, declared as `"ret(arg,arg,...)"` — e.g.
/// `"void(ptr,ptr,i64)"` or `"f64()"` — with the type names of `FFIType`. Whitespace
/// around names, commas and parentheses is ignored; names are case-sensitive. `void` may
/// only be the return type or the whole argument list, `"i32(void)"` meaning no arguments.
public struct FFISignature: Hashable, Sendable, CustomStringConvertible {
    /// The most arguments a signature may declare; plenty for kernels and hooks, and it
    /// bounds the per-call argument storage.
    public static let maxArguments = 16

    public let returnType: FFIType
    public let argumentTypes: [FFIType]

    /// Parses and validates `text`; the error names the offending part and position.
    public init(parsing text: String) throws(FFIError) {
        let quoted = "'\(text)'"
        let whole = Self.trimmed(text[...])
        guard !whole.isEmpty else {
            throw Self.bad("empty signature; \(Self.expectedForm)")
        }
        guard let open = whole.firstIndex(of: "(") else {
            throw Self.bad("missing '(' in \(quoted); \(Self.expectedForm)")
        }
        guard let close = whole[open...].firstIndex(of: ")") else {
            throw Self.bad("missing ')' in \(quoted); \(Self.expectedForm)")
        }
        let junk = Self.trimmed(whole[whole.index(after: close)...])
        guard junk.isEmpty else {
            throw Self.bad("unexpected '\(junk)' after ')' in \(quoted); nothing may follow the argument list")
        }
        let returnText = Self.trimmed(whole[..<open])
        guard !returnText.isEmpty else {
            throw Self.bad("missing return type before '(' in \(quoted); valid types: \(FFIType.validTypeList)")
        }
        guard let returnType = FFIType(rawValue: String(returnText)) else {
            throw Self.bad("unknown return type '\(returnText)' in \(quoted); valid types: \(FFIType.validTypeList)")
        }
        self.returnType = returnType
        self.argumentTypes = try Self.argumentTypes(whole[whole.index(after: open)..<close], quoted: quoted)
    }

    /// The canonical spelling, without whitespace: `"i32(ptr,i64)"`, `"void()"`.
    public var description: String {
        "\(returnType)(\(argumentTypes.map(\.rawValue).joined(separator: ",")))"
    }

    private static func argumentTypes(_ list: Substring, quoted: String) throws(FFIError) -> [FFIType] {
        let items = list.split(separator: ",", omittingEmptySubsequences: false).map(trimmed)
        if items == [""] || items == ["void"] { return [] }
        guard items.count <= maxArguments else {
            throw bad("too many arguments in \(quoted): \(items.count) given, at most \(maxArguments) are supported")
        }
        var types: [FFIType] = []
        for (offset, item) in items.enumerated() {
            let position = offset + 1
            guard !item.isEmpty else {
                throw bad(position == items.count
                    ? "trailing comma after argument \(offset) in \(quoted)"
                    : "missing type at argument \(position) in \(quoted)")
            }
            guard let type = FFIType(rawValue: String(item)) else {
                throw bad("unknown type '\(item)' at argument \(position) in \(quoted); valid types: \(FFIType.validTypeList)")
            }
            guard type != .void else {
                throw bad("'void' at argument \(position) in \(quoted); void is only allowed as the return type or as the whole argument list '(void)'")
            }
            types.append(type)
        }
        return types
    }

    private static let expectedForm = "expected 'ret(arg,arg,...)', e.g. 'void(ptr,ptr,i64)'"

    private static func bad(_ message: String) -> FFIError { FFIError(.badSignature, message) }

    private static func trimmed(_ text: Substring) -> Substring {
        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
              let last = text.lastIndex(where: { !$0.isWhitespace }) else { return text[text.endIndex...] }
        return text[first...last]
    }
}

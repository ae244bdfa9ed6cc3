/// The mutable tree a TOML document is built into while parsing. Tables are reference types
/// here because headers (`[a.b]`) and dotted keys reach back into tables made earlier; the
/// result is frozen into value types at the end.
final class TOMLTableBuilder {
    /// How a table came to exist; TOML forbids defining one twice, but allows a header for a
    /// table that was only implied by an earlier header's path.
    enum Origin { case root, implied, header, dotted, inline, arrayElement }

    enum Element {
        case value(TOMLNode)
        case table(TOMLTableBuilder)
        case tables([TOMLTableBuilder], TOMLPosition)  // [[array of tables]]
    }

    var origin: Origin
    let position: TOMLPosition
    private(set) var keys: [String] = []
    private var elements: [String: (keyPosition: TOMLPosition, element: Element)] = [:]

    init(origin: Origin, position: TOMLPosition) {
        self.origin = origin
        self.position = position
    }

    subscript(key: String) -> (keyPosition: TOMLPosition, element: Element)? { elements[key] }

    func set(_ key: String, at position: TOMLPosition, _ element: Element) {
        if elements[key] == nil { keys.append(key) }
        elements[key] = (position, element)
    }

    func freeze() -> TOMLTable {
        TOMLTable(entries: keys.map { key in
            let (keyPosition, element) = elements[key]!
            let node: TOMLNode = switch element {
            case .value(let node): node
            case .table(let table): TOMLNode(value: .table(table.freeze()), position: table.position)
            case .tables(let tables, let position):
                TOMLNode(value: .array(tables.map { TOMLNode(value: .table($0.freeze()), position: $0.position) }), position: position)
            }
            return TOMLEntry(key: key, keyPosition: keyPosition, node: node)
        }, position: position)
    }
}

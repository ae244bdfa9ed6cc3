import ArgumentParser
import TesseraCore

struct TagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag",
        abstract: "Set or remove key=value tags on a model or a version.",
        discussion: """
            tessera tag bert team=search owner=ana      # on the model
            tessera tag bert:3 reviewed=yes             # on version 3
            tessera tag bert:3 --rm reviewed            # remove
            """
    )

    @OptionGroup var options: StoreOptions
    @Argument(help: "NAME for the model, NAME:VERSION for a version.") var target: String
    @Argument(help: "Tags to set, as key=value.") var tags: [String] = []
    @Option(name: .customLong("rm"), help: "A tag key to remove. Repeatable.") var remove: [String] = []

    func run() throws {
        guard !tags.isEmpty || !remove.isEmpty else { throw ValidationError("give tags as key=value, or --rm KEY") }
        let (model, version) = try Self.split(target)
        let backend = try options.backend()
        for tag in tags {
            guard let equals = tag.firstIndex(of: "="), equals != tag.startIndex else {
                throw ValidationError("'\(tag)' is not key=value")
            }
            try backend.setTag(model: model, version: version, key: String(tag[..<equals]),
                               value: String(tag[tag.index(after: equals)...]))
        }
        for key in remove { try backend.removeTag(model: model, version: version, key: key) }
        let current = try version.map { number in try backend.resolve("\(model):\(number)").tags } ?? backend.model(model).0.tags
        print("\(target): \(current.isEmpty ? "no tags" : current.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
    }

    static func split(_ target: String) throws -> (String, Int?) {
        guard let colon = target.lastIndex(of: ":") else { return (target, nil) }
        guard let version = Int(target[target.index(after: colon)...]) else {
            throw ValidationError("'\(target)' is not NAME or NAME:VERSION")
        }
        return (String(target[..<colon]), version)
    }
}

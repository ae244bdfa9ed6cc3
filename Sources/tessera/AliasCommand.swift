import ArgumentParser
import TesseraCore

struct AliasCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alias",
        abstract: "Point a name such as production or staging at a version, or remove it.",
        subcommands: [AliasSet.self, AliasRemove.self]
    )
}

struct AliasSet: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set", abstract: "Set or move an alias (audited with before and after).")

    @OptionGroup var options: StoreOptions
    @Argument(help: "The model's name.") var name: String
    @Argument(help: "The alias, e.g. production.") var alias: String
    @Argument(help: "The version number it points at.") var version: Int

    func run() throws {
        let previous = try options.backend().setAlias(model: name, alias: alias, version: version)
        switch previous {
        case nil: print("\(name)@\(alias) → \(version)")
        case version?: print("\(name)@\(alias) already points at \(version)")
        case let old?: print("\(name)@\(alias) moved from \(old) to \(version)")
        }
    }
}

struct AliasRemove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove an alias.")

    @OptionGroup var options: StoreOptions
    @Argument(help: "The model's name.") var name: String
    @Argument(help: "The alias to remove.") var alias: String

    func run() throws {
        try options.backend().removeAlias(model: name, alias: alias)
        print("removed \(name)@\(alias)")
    }
}

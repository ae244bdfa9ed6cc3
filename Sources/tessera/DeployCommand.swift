import ArgumentParser
import TesseraCore

struct DeployCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Make a version the model's primary (recorded in the registry; audited).",
        discussion: "REFERENCE is NAME:VERSION, NAME@ALIAS, or NAME (its production alias, else its latest version). The previous primary is kept so `tessera rollback` can return to it."
    )

    @OptionGroup var options: StoreOptions
    @Argument(help: "What to deploy: NAME, NAME:VERSION or NAME@ALIAS.") var reference: String

    func run() throws {
        let backend = try options.backend()
        let version = try backend.resolve(reference)
        let (before, deployment) = try backend.deploy(model: version.model, version: version.number)
        switch before {
        case nil: print("\(version.model): primary is now \(deployment.primary)")
        case deployment.primary?: print("\(version.model): \(deployment.primary) is already the primary")
        case let old?: print("\(version.model): primary \(old) → \(deployment.primary)")
        }
    }
}

struct RollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Return a model's primary to the previous one (or to --to VERSION)."
    )

    @OptionGroup var options: StoreOptions
    @Argument(help: "The model's name.") var name: String
    @Option(help: "A version that was primary before.") var to: Int?

    func run() throws {
        let (from, target) = try options.backend().rollback(model: name, to: to)
        print("\(name): primary \(from) → \(target)")
    }
}

import ArgumentParser
import Foundation
import TesseraCore

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the models in the store, or show one.",
        subcommands: [ModelsList.self, ModelsShow.self],
        defaultSubcommand: ModelsList.self
    )
}

struct ModelsList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List models with their latest version and aliases.")

    @OptionGroup var options: StoreOptions
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() throws {
        let models = try options.backend().models()
        if json { return try printJSON(models) }
        var table = Table("NAME", "VERSIONS", "LATEST", "ALIASES", "TASK", "CREATED")
        for model in models {
            let aliases = model.aliases.sorted { $0.key < $1.key }.map { "\($0.key)→\($0.value)" }.joined(separator: " ")
            table.add(model.name, String(model.versionCount), model.latestVersion.map(String.init) ?? "-",
                      aliases.isEmpty ? "-" : aliases, model.task ?? "-", model.createdAt)
        }
        print(models.isEmpty ? "no models yet: `tessera register NAME FILE` adds one" : table.render())
    }
}

struct ModelsShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a model: description, tags, aliases, deployment.")

    @OptionGroup var options: StoreOptions
    @Argument(help: "The model's name.") var name: String
    @Flag(help: "Print JSON.") var json = false

    struct Shown: Encodable {
        let model: Model
        let deployment: Deployment?
    }

    func run() throws {
        let (model, deployment) = try options.backend().model(name)
        if json { return try printJSON(Shown(model: model, deployment: deployment)) }
        print("model:       \(model.name)")
        if !model.description.isEmpty { print("description: \(model.description)") }
        if let task = model.task { print("task:        \(task)") }
        print("versions:    \(model.versionCount) (latest \(model.latestVersion.map(String.init) ?? "-"))")
        print("created:     \(model.createdAt) by \(model.createdBy)")
        print("aliases:     \(model.aliases.isEmpty ? "-" : model.aliases.sorted { $0.key < $1.key }.map { "\($0.key)→\($0.value)" }.joined(separator: ", "))")
        print("tags:        \(model.tags.isEmpty ? "-" : model.tags.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))")
        if let deployment {
            print("primary:     \(deployment.primary)\(deployment.previousPrimaries.isEmpty ? "" : " (before: \(deployment.previousPrimaries.map(String.init).joined(separator: ", ")))")")
        } else {
            print("primary:     not deployed")
        }
    }
}

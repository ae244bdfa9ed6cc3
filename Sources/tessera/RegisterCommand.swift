import ArgumentParser
import Foundation
import TesseraCore

struct RegisterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Add a model file or folder to the store as a new immutable version.",
        discussion: """
            The format is detected by the format plugins of the configuration (--config, or the \
            embedded default; with --url, the daemon's), which also load the model to check it \
            and to record its inputs, outputs and size. The bytes are stored content-addressed (identical files are kept \
            once) and the version is committed only after they are on disk.

              tessera register bert ./model.safetensors --tag team=search --alias staging
            """
    )

    @OptionGroup var options: StoreOptions
    @Argument(help: "The model's name (created on first registration).") var name: String
    @Argument(help: "The model file or folder.") var path: String
    @Option(help: "The format, skipping detection (e.g. safetensors).") var format: String?
    @Option(name: .customLong("tag"), help: "A tag key=value for the version. Repeatable.") var tags: [String] = []
    @Option(name: .customLong("alias"), help: "Point this alias at the new version. Repeatable.") var aliases: [String] = []
    @Option(help: "Free-text notes stored with the version.") var notes: String?
    @Option(help: "The version this one derives from.") var parent: Int?
    @Option(name: .shortAndLong, help: "Configuration whose plugins detect the format. Default: the embedded one.") var config: String?
    @Flag(help: "Print the new version as JSON.") var json = false

    func run() throws {
        try RegistryNames.validateModelName(name)
        let url = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ValidationError("no file or folder at \(url.path)")
        }
        var tagPairs: [String: String] = [:]
        for tag in tags {
            guard let equals = tag.firstIndex(of: "="), equals != tag.startIndex else { throw ValidationError("--tag '\(tag)' is not key=value") }
            tagPairs[String(tag[..<equals])] = String(tag[tag.index(after: equals)...])
        }
        let version = try options.backend(create: true).register(Registration(
            model: name, path: url, format: format, tags: tagPairs, aliases: aliases, notes: notes, parent: parent, config: config))
        if json { return try printJSON(version) }
        print("registered \(version.model):\(version.number) (\(version.format), \(formatBytes(version.sizeBytes)), sha256 \(version.artifactDigest.prefix(12)))"
            + (version.aliases.isEmpty ? "" : " aliases \(version.aliases.joined(separator: ","))"))
    }
}

import ArgumentParser
import TesseraCore

struct VersionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "versions",
        abstract: "List a model's versions with their lineage.",
        discussion: "Each row: number, artifact digest, format, size, who made it and how (register, optimize:<plugin>, convert:<plugin>), its parent, aliases and tags."
    )

    @OptionGroup var options: StoreOptions
    @Argument(help: "The model's name.") var name: String
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() throws {
        let versions = try options.backend().versions(of: name)
        if json { return try printJSON(versions) }
        var table = Table("VERSION", "DIGEST", "FORMAT", "SIZE", "PRODUCER", "PARENT", "ALIASES", "CREATED", "BY")
        for version in versions {
            table.add(String(version.number), String(version.artifactDigest.prefix(12)), version.format,
                      formatBytes(version.sizeBytes), version.producer, version.parent.map(String.init) ?? "-",
                      version.aliases.isEmpty ? "-" : version.aliases.joined(separator: ","), version.createdAt, version.createdBy)
        }
        print(table.render())
    }
}

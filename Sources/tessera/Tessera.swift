import ArgumentParser
import TesseraCore

/// The `tessera` command line: drives the daemon over HTTP and works offline on plugins and
/// configuration files.
@main
struct Tessera: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "Operate the Tessera model server: plugins, configuration, and (soon) models.",
        discussion: """
            Commands that ask the daemon use --url (default $TESSERA_URL or http://127.0.0.1:8080) \
            and the management token from --token, $TESSERA_MANAGEMENT_TOKEN or the store's \
            management-token file.

            Examples:
              tessera plugins list
              tessera plugins check ./libmy-plugin.so --setting p99_ms=20
              tessera config check tessera.toml
            """,
        version: TesseraCore.version,
        subcommands: [PluginsCommand.self, ConfigCommand.self, VersionCommand.self]
    )
}

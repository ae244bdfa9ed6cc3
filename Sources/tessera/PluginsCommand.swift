import ArgumentParser

struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "List the daemon's plugins, or check a plugin library you built.",
        subcommands: [PluginsList.self, PluginsCheck.self]
    )
}

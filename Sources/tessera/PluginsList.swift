import ArgumentParser
import Foundation
import TesseraCore

struct PluginsList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List plugins with their kinds, ABI, state and, for failed ones, why.",
        discussion: """
            Asks the running daemon (GET /v1/plugins at --url, default $TESSERA_URL or \
            http://127.0.0.1:8080). With --offline, or when no daemon answers, \
            loads the plugins of --config (or the embedded default) in this process instead and \
            says so.
            """
    )

    @OptionGroup var options: StoreOptions

    @Option(name: .shortAndLong, help: "Configuration to load plugins from when listing offline.")
    var config: String?

    @Flag(help: "Do not ask the daemon; load the configuration's plugins in this process.")
    var offline = false

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    struct Listing: Codable { let plugins: [PluginInfo] }

    func run() throws {
        var plugins: [PluginInfo]
        var note: String?
        if offline {
            plugins = try loadOffline()
            note = "loaded in-process from \(config ?? ConfigLoader.embeddedName)"
        } else {
            do {
                let url = options.url ?? ProcessInfo.processInfo.environment["TESSERA_URL"] ?? "http://127.0.0.1:8080"
                plugins = try options.client(url: url).get("v1/plugins", as: Listing.self).plugins
            } catch let error as DaemonClient.Unreachable {
                plugins = try loadOffline()
                note = "\(error.description); loaded the plugins of \(config ?? ConfigLoader.embeddedName) in-process instead"
            }
        }
        if json {
            try printJSON(Listing(plugins: plugins))
            return
        }
        if let note { print("(\(note))\n") }
        var table = Table("NAME", "KINDS", "VERSION", "ABI", "STATE", "DETAIL")
        for plugin in plugins {
            table.add(plugin.name, plugin.kinds.joined(separator: ","), plugin.version ?? "-", plugin.abi ?? "-",
                      plugin.state.rawValue, plugin.reason ?? plugin.path)
        }
        print(table.render())
    }

    private func loadOffline() throws -> [PluginInfo] {
        let settings: TesseraConfig
        do {
            settings = try config.map { try ConfigLoader.load(path: $0) } ?? ConfigLoader.loadDefault()
        } catch {
            throw ValidationError("the configuration has problems:\n\(error)")
        }
        let host = PluginHost(hostName: "tessera")
        host.load(settings.plugins, baseDirectory: settings.baseDirectory)
        let infos = host.infos
        host.shutdown()
        // Report what the plugins were while loaded, not "stopped" after the shutdown above.
        return infos
    }
}

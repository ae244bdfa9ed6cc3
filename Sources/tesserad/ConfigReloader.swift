import Dispatch
import Foundation
import Logging
import TesseraCore

/// Re-reads the configuration file on SIGHUP and applies what a running daemon can take: new
/// plugins are loaded; every other change is refused with its reason in the log (see
/// `ConfigReload`). A file with problems changes nothing. The embedded default never changes,
/// so without --config SIGHUP only logs that there is nothing to reload.
final class ConfigReloader: @unchecked Sendable {
    private let host: PluginHost
    private let logger: Logger
    private let overrideListen: (host: String, port: Int)?
    private var running: TesseraConfig
    private var source: (any DispatchSourceSignal)?
    private let queue = DispatchQueue(label: "tessera.config-reload")

    init(running: TesseraConfig, host: PluginHost, overrideListen: (host: String, port: Int)?, logger: Logger) {
        self.running = running
        self.host = host
        self.overrideListen = overrideListen
        self.logger = logger
    }

    /// Starts handling SIGHUP (instead of the default, which would end the process).
    func start() {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        source.setEventHandler { [self] in reload() }
        source.resume()
        self.source = source
    }

    private func reload() {
        guard running.source != ConfigLoader.embeddedName else {
            logger.notice("SIGHUP: running on the embedded default configuration; nothing to reload (start with --config to use a file)")
            return
        }
        var next: TesseraConfig
        do {
            next = try ConfigLoader.load(path: running.source)
        } catch {
            logger.error("SIGHUP: the configuration was not reloaded; it has problems", metadata: ["file": "\(running.source)", "problems": "\(error)"])
            return
        }
        if let overrideListen { (next.host, next.port) = overrideListen }
        let plan = ConfigReload(running: running, new: next)
        for refused in plan.refused { logger.warning("SIGHUP: not applied: \(refused)") }
        for spec in plan.pluginsToLoad {
            let plugin = host.load(spec, baseDirectory: next.baseDirectory)
            if let reason = plugin.info.reason, plugin.info.state == .failed {
                logger.error("SIGHUP: plugin failed to load", metadata: ["plugin": "\(plugin.name)", "reason": "\(reason)"])
            } else {
                logger.info("SIGHUP: plugin loaded", metadata: ["plugin": "\(plugin.name)"])
            }
            running.plugins.append(spec)
        }
        Events(host: host, logger: logger).send(type: "config.reloaded",
            message: "configuration reloaded from \(running.source): \(plan.pluginsToLoad.count) plugin(s) loaded, \(plan.refused.count) change(s) need a restart")
    }
}

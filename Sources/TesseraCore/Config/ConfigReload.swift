/// What a configuration reload (SIGHUP) can apply to a running daemon, and what it must refuse.
///
/// Plugins are added live: a new `[[plugins]]` entry is loaded. Plugins are never unloaded
/// (the host never `dlclose`s, and requests may be inside them), so a removed, disabled or
/// changed entry is refused with the reason; so are changes to the listen address, the store,
/// the log level, the `[server]` limits and `[serving]`, which are fixed at start. A refused change leaves everything as it was.
public struct ConfigReload: Sendable, Equatable {
    /// Plugins to load now, in configuration order.
    public var pluginsToLoad: [PluginSpec] = []
    /// Changes that need a restart, one line each.
    public var refused: [String] = []

    public init(running old: TesseraConfig, new: TesseraConfig) {
        let key = { (spec: PluginSpec) in spec.source.description }
        let oldSpecs = Dictionary(old.plugins.map { (key($0), $0) }, uniquingKeysWith: { first, _ in first })
        let newKeys = Set(new.plugins.map(key))
        for spec in new.plugins {
            guard let running = oldSpecs[key(spec)] else {
                if spec.enabled { pluginsToLoad.append(spec) }
                continue
            }
            var comparable = spec
            comparable.line = running.line
            if comparable != running {
                refused.append("plugin '\(key(spec))' changed (settings, pin or enabled); restart tesserad to apply it")
            }
        }
        for spec in old.plugins where !newKeys.contains(key(spec)) {
            refused.append("plugin '\(key(spec))' was removed; plugins are never unloaded from a running daemon — restart tesserad to remove it")
        }
        if (old.host, old.port) != (new.host, new.port) {
            refused.append("server.listen changed to \(new.host):\(new.port); restart tesserad to listen there")
        }
        if old.storePath != new.storePath { refused.append("store.path changed; restart tesserad to use another store") }
        if old.logLevel != new.logLevel { refused.append("log.level changed; restart tesserad to apply it") }
        if old.limits != new.limits { refused.append("a [server] limit changed; restart tesserad to apply it") }
        if old.serving != new.serving { refused.append("[serving] changed; restart tesserad to apply it") }
    }
}

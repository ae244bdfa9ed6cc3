public import TesseraCore

/// What the routes share: the plugin host and the daemon's settings. Immutable references;
/// the objects behind them do their own locking.
public struct ServerState: Sendable {
    public let plugins: PluginHost
    /// The registry and artifacts; nil for a server run without a store (some tests).
    public let store: ModelStore?
    /// Bearer token required on /v1; nil disables the check (tests, or an explicit opt-out).
    public let managementToken: String?
    public let startedAt: ContinuousClock.Instant

    public init(plugins: PluginHost, store: ModelStore? = nil, managementToken: String?) {
        self.plugins = plugins
        self.store = store
        self.managementToken = managementToken
        startedAt = .now
    }
}

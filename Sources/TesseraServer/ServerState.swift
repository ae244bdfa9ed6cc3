public import TesseraCore

/// What the routes share: the plugin host and the daemon's settings. Immutable references;
/// the objects behind them do their own locking.
public struct ServerState: Sendable {
    public let plugins: PluginHost
    /// The registry and artifacts; nil for a server run without a store (some tests).
    public let store: ModelStore?
    /// Bearer token required on /v1; nil disables the check (tests, or an explicit opt-out).
    public let managementToken: String?
    /// Bearer token required on inference endpoints; nil (the default) leaves them open.
    public let inferenceToken: String?
    /// What is loaded and which versions take traffic.
    public let serving: ModelServing
    /// Largest inference request body accepted; larger ones get 413.
    public let maxRequestBytes: Int
    public let startedAt: ContinuousClock.Instant

    public init(plugins: PluginHost, store: ModelStore? = nil, managementToken: String?, inferenceToken: String? = nil,
                serving: ModelServing? = nil, maxRequestBytes: Int = 64 << 20) {
        self.plugins = plugins
        self.store = store
        self.managementToken = managementToken
        self.inferenceToken = inferenceToken
        self.serving = serving ?? ModelServing(store: store, plugins: plugins)
        self.maxRequestBytes = maxRequestBytes
        startedAt = .now
    }
}

extension ServerState {
    /// The store, or 503 for a server run without one.
    func requireStore() throws -> ModelStore {
        guard let store else { throw APIError(.serviceUnavailable, "this server has no model store") }
        return store
    }
}

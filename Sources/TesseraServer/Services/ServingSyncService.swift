public import ServiceLifecycle

/// Keeps serving in step with the registry: syncs at start, then every `interval`, so a
/// deploy or rollback made with the `tessera` CLI straight on the store (not through the
/// daemon's API) takes effect within one interval. On graceful shutdown it stops polling and
/// retires every loaded version once its queue is drained. Listed before the HTTP server in
/// the group, so it stops after the server has drained its in-flight requests.
public struct ServingSyncService: Service {
    let serving: ModelServing
    let interval: Duration
    /// How often finished requests are handed to the monitors.
    let flushInterval: Duration

    public init(serving: ModelServing, interval: Duration = .seconds(2), flushInterval: Duration = .milliseconds(250)) {
        self.serving = serving
        self.interval = interval
        self.flushInterval = flushInterval
    }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                var lastSync: ContinuousClock.Instant?
                while !Task.isCancelled {
                    if lastSync.map({ .now - $0 >= interval }) ?? true {
                        // A failed sync (registry busy, a version that cannot load) is recorded as a
                        // serving problem and retried on the next round; it never stops the loop.
                        try? await serving.sync()
                        lastSync = .now
                    }
                    serving.flushRecords()
                    try await Task.sleep(for: flushInterval)
                }
            }
        } catch is CancellationError {}
        serving.flushRecords()
        serving.shutdown()
    }
}

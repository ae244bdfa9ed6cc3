public import ServiceLifecycle
public import TesseraCore

/// Keeps the plugins running for the life of the service group and stops them — last loaded
/// first — once graceful shutdown begins. Listed before the HTTP server in the group, so the
/// server drains its requests before the plugins it calls go away.
public struct PluginHostService: Service {
    let host: PluginHost

    public init(host: PluginHost) {
        self.host = host
    }

    public func run() async throws {
        try? await gracefulShutdown()
        for exporter in host.exporters { try? exporter.flush() }
        host.shutdown()
    }
}

import Foundation
public import Logging

/// Sends events to every exporter plugin. An exporter that fails is disabled with the
/// reason, and the event still reaches the others.
public struct Events: Sendable {
    let host: PluginHost
    let logger: Logger

    public init(host: PluginHost, logger: Logger) {
        self.host = host
        self.logger = logger
    }

    public func send(type: String, model: String? = nil, version: String? = nil, message: String, attributesJSON: String? = nil) {
        let event = PluginEvent(unixNanos: Int64(Date().timeIntervalSince1970 * 1e9), type: type, model: model,
                                version: version, message: message, attributesJSON: attributesJSON)
        for exporter in host.exporters {
            do {
                try exporter.send(event)
            } catch {
                exporter.plugin.fail("on_event failed: \(error.message)")
            }
        }
    }
}

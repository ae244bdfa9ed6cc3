import Foundation
import Hummingbird
import TesseraCore

/// `GET /metrics`: the daemon's series, rendered by the first exporter plugin that can render
/// Prometheus text. Without one, 404 says which plugin to enable.
struct MetricsRoutes {
    let state: ServerState

    func register(on router: Router<some RequestContext>) {
        router.get("metrics") { _, _ -> Response in
            guard let exporter = state.plugins.exporters.first(where: \.canRender) else {
                throw APIError(.notFound, "no exporter plugin renders metrics; enable the bundled 'prometheus' plugin in tessera.toml")
            }
            let telemetry = Telemetry(state: state)
            do {
                try exporter.publish(telemetry.snapshot(), takenUnixNanos: Telemetry.nowUnixNanos())
                let text = try exporter.render(format: "prometheus-text")
                return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(string: text)))
            } catch {
                throw APIError(.internalServerError, "exporter '\(exporter.name)' failed: \(error)")
            }
        }
    }
}

import Hummingbird
import TesseraCore

/// Open Inference Protocol health and server metadata: `GET /v2/health/live`,
/// `GET /v2/health/ready`, `GET /v2`.
struct HealthRoutes {
    let state: ServerState

    struct Live: ResponseEncodable { let live: Bool }

    struct Ready: ResponseEncodable {
        let ready: Bool
        /// Plugins that failed to load or were disabled after an error; the server runs
        /// without them, so they do not make it unready, but operators need to see them.
        let plugins_failed: [FailedPlugin]
    }

    struct FailedPlugin: Codable { let name: String; let reason: String }

    struct ServerMetadata: ResponseEncodable {
        let name: String
        let version: String
        /// OIP extensions this server implements.
        let extensions: [String]
    }

    func register(on router: Router<some RequestContext>) {
        router.get("v2/health/live") { _, _ in Live(live: true) }
        router.get("v2/health/ready") { _, _ in
            let failed = state.plugins.problems.map { FailedPlugin(name: $0.name, reason: $0.reason ?? "unknown") }
            return Ready(ready: true, plugins_failed: failed)
        }
        router.get("v2") { _, _ in
            ServerMetadata(name: TesseraServer.serverName, version: TesseraCore.version, extensions: [])
        }
    }
}

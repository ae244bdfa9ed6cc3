import Foundation
import Hummingbird
import NIOCore
import TesseraCore

/// Open Inference Protocol health and server metadata: `GET /v2/health/live`,
/// `GET /v2/health/ready`, `GET /v2`.
struct HealthRoutes {
    let state: ServerState

    struct Live: ResponseEncodable { let live: Bool }

    struct Ready: Encodable {
        /// True when every deployed model serves what its deployment says.
        let ready: Bool
        /// Deployed models that are not serving (still loading, or failed), with the reason.
        let models_not_ready: [String: String]
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
            let problems = state.serving.problems
            let body = try JSONEncoder().encode(Ready(ready: problems.isEmpty, models_not_ready: problems, plugins_failed: failed))
            return Response(status: problems.isEmpty ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.get("v2") { _, _ in
            ServerMetadata(name: TesseraServer.serverName, version: TesseraCore.version, extensions: ["binary_tensor_data", "statistics", "model_repository"])
        }
    }
}

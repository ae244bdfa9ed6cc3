import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TesseraCore
@testable import TesseraServer
import TesseraTestSupport

/// The HTTP endpoints, served for real on an ephemeral loopback port.
@Suite("HTTP server")
struct ServerTests {
    static let token = "test-token"

    func withServer(plugins: [PluginSpec] = [], _ body: @Sendable (any TestClientProtocol, PluginHost) async throws -> Void) async throws {
        let host = PluginHost(hostName: "test")
        host.load(plugins)
        defer { host.shutdown() }
        let app = TesseraServer.makeApplication(state: ServerState(plugins: host, managementToken: Self.token),
                                                host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
        try await app.test(.live) { client in try await body(client, host) }
    }

    /// The message of an `{"error": …}` body.
    static func error(_ buffer: ByteBuffer) throws -> String {
        try #require(try json(buffer)["error"] as? String)
    }

    static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
    }

    @Test("liveness, readiness and server metadata answer as the Open Inference Protocol says")
    func health() async throws {
        try await withServer { client, _ in
            try await client.execute(uri: "/v2/health/live", method: .get) { response in
                #expect(response.status == .ok)
                let body = try Self.json(response.body)
                #expect(body["live"] as? Bool == true)
            }
            try await client.execute(uri: "/v2/health/ready", method: .get) { response in
                #expect(response.status == .ok)
                let body = try Self.json(response.body)
                #expect(body["ready"] as? Bool == true)
            }
            try await client.execute(uri: "/v2", method: .get) { response in
                let body = try Self.json(response.body)
                #expect(body["name"] as? String == "tessera")
                #expect(body["version"] as? String == TesseraCore.version)
                #expect(body["extensions"] is [Any])
            }
        }
    }

    @Test("unknown paths get a JSON 404 that says what to do")
    func notFound() async throws {
        try await withServer { client, _ in
            try await client.execute(uri: "/v2/nothing", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/json")
                let message = try Self.error(response.body)
                #expect(message.contains("no endpoint at /v2/nothing"))
            }
        }
    }

    @Test("the management API needs the token: 401 without, 403 wrong, 200 right")
    func auth() async throws {
        try await withServer { client, _ in
            try await client.execute(uri: "/v1/plugins", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
                let message = try Self.error(response.body)
                #expect(message.contains("token"))
            }
            try await client.execute(uri: "/v1/plugins", method: .get, headers: [.authorization: "Basic dXNlcjpwdw=="]) { response in
                #expect(response.status == .unauthorized)  // another scheme is no token at all
            }
            try await client.execute(uri: "/v1/plugins", method: .get, headers: [.authorization: "Bearer nope"]) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/v1/plugins", method: .get, headers: [.authorization: "Bearer \(Self.token)"]) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test("GET /v1/plugins lists active and failed plugins with kinds, ABI, state and reason; readiness shows the failure")
    func plugins() async throws {
        let specs = [
            PluginSpec(source: .path(TestSupport.bundledPlugin("latency-slo"))),
            PluginSpec(source: .path("/nonexistent/libgone.so")),
        ]
        try await withServer(plugins: specs) { client, _ in
            try await client.execute(uri: "/v1/plugins", method: .get, headers: [.authorization: "Bearer \(Self.token)"]) { response in
                let plugins = try #require(try Self.json(response.body)["plugins"] as? [[String: Any]])
                #expect(plugins.count == 2)
                #expect(plugins[0]["name"] as? String == "latency-slo")
                #expect(plugins[0]["kinds"] as? [String] == ["monitor"])
                #expect(plugins[0]["abi"] as? String == "1.0")
                #expect(plugins[0]["state"] as? String == "active")
                #expect(plugins[1]["state"] as? String == "failed")
                #expect((plugins[1]["reason"] as? String)?.contains("plugin file not found") == true)
            }
            try await client.execute(uri: "/v2/health/ready", method: .get) { response in
                let failed = try #require(try Self.json(response.body)["plugins_failed"] as? [[String: Any]])
                #expect(failed.map { $0["name"] as? String } == ["libgone"])
            }
        }
    }

    @Test("GET /metrics renders Prometheus text through the prometheus exporter plugin")
    func metrics() async throws {
        let specs = [PluginSpec(source: .path(TestSupport.bundledPlugin("prometheus")))]
        try await withServer(plugins: specs) { client, _ in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.contains("# TYPE tessera_plugin_state gauge"))
                #expect(text.contains("tessera_plugin_state{plugin=\"prometheus\",state=\"active\"} 1"))
                #expect(text.contains("# TYPE tessera_uptime_seconds gauge"))
            }
        }
        try await withServer { client, _ in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .notFound)
                let message = try Self.error(response.body)
                #expect(message.contains("enable the bundled 'prometheus' plugin"))
            }
        }
    }
}

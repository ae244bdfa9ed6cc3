import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TesseraCore
@testable import TesseraServer
import TesseraTestSupport

/// The management API for models, versions, aliases, tags, deployments and the audit log,
/// served for real on a loopback port over a real store.
@Suite("Model management API")
struct ModelRoutesTests {
    static let token = "t0ken"
    static let fixture = TestSupport.root.appendingPathComponent("Plugins/safetensors/fixtures/tiny.safetensors")
    static let auth: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]

    func withServer(_ body: @Sendable (any TestClientProtocol, URL) async throws -> Void) async throws {
        let folder = try TestSupport.temporaryDirectory("tessera-api")
        let events = folder.appendingPathComponent("events.jsonl")
        let host = PluginHost(hostName: "test")
        host.load([PluginSpec(source: .bundled("safetensors")),
                   PluginSpec(source: .bundled("jsonl-events"), settings: PluginSettings([("path", .string(events.path))]))])
        defer { host.shutdown() }
        let store = try ModelStore(root: folder.appendingPathComponent("store"))
        let app = TesseraServer.makeApplication(state: ServerState(plugins: host, store: store, managementToken: Self.token),
                                                host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
        try await app.test(.live) { client in try await body(client, folder) }
    }

    static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
    }

    static func body(_ object: [String: Any]) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
    }

    @Test("register by path, list, alias, deploy, rollback and audit through /v1, with events to exporters")
    func lifecycle() async throws {
        try await withServer { client, folder in
            for _ in 0..<2 {
                try await client.execute(uri: "/v1/models/bert/versions", method: .post, headers: Self.auth,
                                         body: try Self.body(["path": Self.fixture.path, "tags": ["team": "search"]])) { response throws in
                    #expect(response.status == .created)
                    let version = try Self.json(response.body)
                    #expect(version["format"] as? String == "safetensors")
                    #expect(version["sizeBytes"] as? Int == 919)
                }
            }
            try await client.execute(uri: "/v1/models", method: .get, headers: Self.auth) { response throws in
                let models = try #require(try Self.json(response.body)["models"] as? [[String: Any]])
                #expect(models.map { $0["name"] as? String } == ["bert"])
                #expect(models[0]["versionCount"] as? Int == 2)
            }
            try await client.execute(uri: "/v1/models/bert/aliases/production", method: .put, headers: Self.auth,
                                     body: try Self.body(["version": 1])) { response throws in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v1/models/bert/deploy", method: .post, headers: Self.auth,
                                     body: try Self.body(["alias": "production"])) { response throws in
                #expect(try Self.json(response.body)["primary"] as? Int == 1)
            }
            try await client.execute(uri: "/v1/models/bert/deploy", method: .post, headers: Self.auth,
                                     body: try Self.body(["version": 2])) { response throws in
                #expect(try Self.json(response.body)["primary"] as? Int == 2)
            }
            // Every field of a rollback is optional, so no body at all is fine.
            try await client.execute(uri: "/v1/models/bert/rollback", method: .post, headers: Self.auth) { response throws in
                let result = try Self.json(response.body)
                #expect(result["from"] as? Int == 2)
                #expect(result["to"] as? Int == 1)
            }
            try await client.execute(uri: "/v1/models/bert/diff?from=1&to=2", method: .get, headers: Self.auth) { response throws in
                let rows = try #require(try Self.json(response.body)["rows"] as? [[String: Any]])
                #expect(rows.contains { $0["field"] as? String == "digest" })
            }
            try await client.execute(uri: "/v1/audit?model=bert&limit=2", method: .get, headers: Self.auth) { response throws in
                let events = try #require(try Self.json(response.body)["events"] as? [[String: Any]])
                #expect(events.map { $0["action"] as? String } == ["rollback", "deploy"])
            }
            let lines = try String(contentsOf: folder.appendingPathComponent("events.jsonl"), encoding: .utf8)
                .split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(lines.map { $0["type"] as? String } == ["version.registered", "version.registered", "deployment.primary",
                                                            "deployment.primary", "deployment.rollback"])
        }
    }

    @Test("mistakes get 4xx JSON errors that say what to fix", arguments: [
        ("/v1/models/nope", HTTPRequest.Method.get, nil as String?, HTTPResponse.Status.notFound, "there is no model"),
        ("/v1/models/..bad/versions", .post, #"{"path":"/tmp"}"#, .badRequest, "model name"),
        ("/v1/models/m/versions", .post, #"{"path":"/nonexistent/file"}"#, .badRequest, "no file or folder at /nonexistent/file"),
        ("/v1/models/m/versions", .post, #"{"nopath":1}"#, .badRequest, "path"),
        ("/v1/models/m/versions", .post, "{not json", .badRequest, ""),
        ("/v1/models/m/rollback", .post, "{}", .notFound, ""),
        ("/v1/models/m/diff", .get, nil, .badRequest, "?from=N&to=M"),
    ])
    func mistakes(uri: String, method: HTTPRequest.Method, body: String?, status: HTTPResponse.Status, message: String) async throws {
        try await withServer { client, _ in
            try await client.execute(uri: uri, method: method, headers: Self.auth,
                                     body: body.map { ByteBuffer(string: $0) }) { response throws in
                #expect(response.status == status)
                let error = try #require(try Self.json(response.body)["error"] as? String)
                #expect(message.isEmpty || error.contains(message), "\(error)")
            }
        }
    }

    @Test("a body over the size limit is 413, not an internal error")
    func tooLarge() async throws {
        try await withServer { client, _ in
            let huge = ByteBuffer(string: "{\"path\": \"" + String(repeating: "a", count: 3 << 20) + "\"}")
            try await client.execute(uri: "/v1/models/m/versions", method: .post, headers: Self.auth, body: huge) { response throws in
                #expect(response.status == .contentTooLarge)
                let error = try #require(try Self.json(response.body)["error"] as? String)
                #expect(error.contains("larger than this server accepts"))
            }
        }
    }

    @Test("a file no format plugin recognizes is 422 and nothing is recorded")
    func unknownFormat() async throws {
        try await withServer { client, _ in
            let readme = TestSupport.root.appendingPathComponent("README.md").path
            try await client.execute(uri: "/v1/models/m/versions", method: .post, headers: Self.auth,
                                     body: try Self.body(["path": readme])) { response throws in
                #expect(response.status == .unprocessableContent)
            }
            try await client.execute(uri: "/v1/models", method: .get, headers: Self.auth) { response throws in
                #expect((try Self.json(response.body)["models"] as? [Any])?.isEmpty == true)
            }
        }
    }
}

import Foundation
import Testing
import TesseraTestSupport

/// docs/openapi.json must describe exactly the routes the server registers: adding, removing or
/// renaming a route without updating the document fails here.
@Suite("OpenAPI document")
struct OpenAPITests {
    /// Every route `TesseraServer.makeApplication` registers, as the route code spells it
    /// (Hummingbird's `:parameter` syntax), with the prefix of the group it is registered on.
    /// Keep in step with Sources/TesseraServer/Routes/*.swift.
    static let routes: [(method: String, path: String)] = [
        // HealthRoutes (on the router: no authentication)
        ("GET", "/v2/health/live"),
        ("GET", "/v2/health/ready"),
        ("GET", "/v2"),
        // InferenceRoutes (on the /v2 group: optional inference token)
        ("GET", "/v2/models/:name"),
        ("GET", "/v2/models/:name/versions/:version"),
        ("GET", "/v2/models/:name/ready"),
        ("GET", "/v2/models/:name/versions/:version/ready"),
        ("POST", "/v2/models/:name/infer"),
        ("POST", "/v2/models/:name/versions/:version/infer"),
        ("GET", "/v2/models/:name/stats"),
        ("GET", "/v2/models/:name/versions/:version/stats"),
        // RepositoryRoutes (on the /v2/repository group: management token)
        ("POST", "/v2/repository/index"),
        ("POST", "/v2/repository/models/:name/load"),
        ("POST", "/v2/repository/models/:name/unload"),
        // MetricsRoutes (on the router: no authentication)
        ("GET", "/metrics"),
        // PluginRoutes (on the /v1 group: bearer token)
        ("GET", "/v1/plugins"),
        ("GET", "/v1/plugins/:name"),
        // ModelRoutes (on the /v1 group: bearer token)
        ("GET", "/v1/models"),
        ("GET", "/v1/models/:name"),
        ("GET", "/v1/models/:name/versions"),
        ("GET", "/v1/models/:name/versions/:version"),
        ("POST", "/v1/models/:name/versions"),
        ("GET", "/v1/resolve/:reference"),
        ("GET", "/v1/models/:name/diff"),
        ("PUT", "/v1/models/:name/aliases/:alias"),
        ("DELETE", "/v1/models/:name/aliases/:alias"),
        ("PUT", "/v1/models/:name/tags/:key"),
        ("PUT", "/v1/models/:name/versions/:version/tags/:key"),
        ("DELETE", "/v1/models/:name/tags/:key"),
        ("DELETE", "/v1/models/:name/versions/:version/tags/:key"),
        ("GET", "/v1/models/:name/deployment"),
        ("POST", "/v1/models/:name/deploy"),
        ("POST", "/v1/models/:name/rollback"),
        ("GET", "/v1/audit"),
        // RolloutRoutes (on the /v1 group: bearer token)
        ("POST", "/v1/models/:name/canary"),
        ("POST", "/v1/models/:name/promote"),
        ("POST", "/v1/models/:name/abort"),
        ("PUT", "/v1/models/:name/shadow"),
        ("DELETE", "/v1/models/:name/shadow"),
        ("GET", "/v1/status"),
    ]

    static let httpMethods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// Readiness answers 503 with its usual body (`ready: false`), not with an error.
    static let readinessBodies: [String: String] = [
        "GET /v2/health/ready": "#/components/schemas/Ready",
        "GET /v2/models/{name}/ready": "#/components/schemas/ModelReady",
        "GET /v2/models/{name}/versions/{version}/ready": "#/components/schemas/ModelReady",
    ]

    /// `/v1/models/:name` → `/v1/models/{name}`.
    static func openAPIPath(_ routePath: String) -> String {
        routePath.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
        }.joined(separator: "/")
    }

    static func document() throws -> [String: Any] {
        let url = TestSupport.root.appendingPathComponent("docs/openapi.json")
        let data = try Data(contentsOf: url)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Every operation in the document: "METHOD /path" → operation object.
    static func operations(_ document: [String: Any]) throws -> [String: [String: Any]] {
        let paths = try #require(document["paths"] as? [String: Any])
        var operations: [String: [String: Any]] = [:]
        for (path, item) in paths {
            let item = try #require(item as? [String: Any], "path item \(path) is not an object")
            for (method, operation) in item where httpMethods.contains(method) {
                operations["\(method.uppercased()) \(path)"] = try #require(operation as? [String: Any])
            }
        }
        return operations
    }

    @Test("the document is OpenAPI 3.1 JSON with the management and inference bearer security schemes")
    func header() throws {
        let document = try Self.document()
        let version = try #require(document["openapi"] as? String)
        #expect(version.hasPrefix("3.1."))
        let components = try #require(document["components"] as? [String: Any])
        let schemes = try #require(components["securitySchemes"] as? [String: Any])
        let scheme = try #require(schemes["managementToken"] as? [String: Any])
        #expect(scheme["type"] as? String == "http")
        #expect(scheme["scheme"] as? String == "bearer")
        let inference = try #require(schemes["inferenceToken"] as? [String: Any])
        #expect(inference["type"] as? String == "http")
        #expect(inference["scheme"] as? String == "bearer")
        let schemas = try #require(components["schemas"] as? [String: Any])
        let error = try #require(schemas["Error"] as? [String: Any])
        #expect(error["required"] as? [String] == ["error"])
    }

    @Test("the document's paths and methods are exactly the routes the server registers")
    func everyRouteDocumented() throws {
        let expected = Set(Self.routes.map { "\($0.method) \(Self.openAPIPath($0.path))" })
        #expect(expected.count == Self.routes.count, "the expected route list has duplicates")
        let documented = Set(try Self.operations(try Self.document()).keys)
        let undocumented = expected.subtracting(documented).sorted()
        let extra = documented.subtracting(expected).sorted()
        #expect(undocumented.isEmpty, "routes missing from docs/openapi.json: \(undocumented)")
        #expect(extra.isEmpty, "docs/openapi.json documents routes the server does not register: \(extra)")
    }

    @Test("/v1 and /v2/repository need the management token and /v2/models may need the inference token (401/403 documented); the rest is unauthenticated")
    func security() throws {
        let document = try Self.document()
        let global = try #require(document["security"] as? [[String: Any]])
        #expect(global.contains { $0["managementToken"] != nil })
        for (name, operation) in try Self.operations(document) {
            let responses = try #require(operation["responses"] as? [String: Any], "\(name) has no responses")
            let path = name.split(separator: " ")[1]
            if path.hasPrefix("/v1/") || path.hasPrefix("/v2/repository/") {
                #expect(operation["security"] == nil, "\(name) must use the global bearer requirement")
                #expect(responses["401"] != nil, "\(name) does not document 401")
                #expect(responses["403"] != nil, "\(name) does not document 403")
            } else if path.hasPrefix("/v2/models/") {
                // Open unless the daemon has an inference token: no requirement, or the inference token.
                let security = try #require(operation["security"] as? [[String: Any]], "\(name) must set its own security")
                let schemes: [[String]] = security.map { $0.keys.sorted() }
                let optional: [[String]] = [[], ["inferenceToken"]]
                #expect(schemes == optional, "\(name) must have security: [{}, {\"inferenceToken\": []}]")
                #expect(responses["401"] != nil, "\(name) does not document 401")
                #expect(responses["403"] != nil, "\(name) does not document 403")
            } else {
                let security = try #require(operation["security"] as? [Any], "\(name) must set security: []")
                #expect(security.isEmpty, "\(name) must be unauthenticated")
                #expect(responses["401"] == nil && responses["403"] == nil, "\(name) documents auth errors")
            }
        }
    }

    @Test("every error response is the {\"error\": …} object, except readiness's 503 (its usual body)")
    func errorBodies() throws {
        let document = try Self.document()
        let components = try #require(document["components"] as? [String: Any])
        let shared = try #require(components["responses"] as? [String: Any])
        for (name, operation) in try Self.operations(document) {
            let responses = try #require(operation["responses"] as? [String: Any])
            for (status, response) in responses where (Int(status) ?? 0) >= 400 {
                var response = try #require(response as? [String: Any])
                if let reference = response["$ref"] as? String {
                    let key = try #require(reference.split(separator: "/").last.map(String.init))
                    response = try #require(shared[key] as? [String: Any], "\(name) \(status): \(reference) is missing")
                }
                let content = try #require(response["content"] as? [String: Any], "\(name) \(status) has no body")
                let media = try #require(content["application/json"] as? [String: Any], "\(name) \(status) is not JSON")
                let schema = try #require(media["schema"] as? [String: Any])
                let expected = (status == "503" ? Self.readinessBodies[name] : nil) ?? "#/components/schemas/Error"
                #expect(schema["$ref"] as? String == expected, "\(name) \(status) is not \(expected)")
            }
        }
    }
}

import ArgumentParser
import Foundation
import TesseraCore

/// Store commands through a daemon's management API (/v1). The daemon records itself as the
/// actor ("api"); registration sends the file's absolute path, which the daemon reads from
/// its own file system, so it needs a path the daemon can see.
struct RemoteBackend: LifecycleBackend {
    let client: DaemonClient

    private struct Models: Decodable { let models: [Model] }
    private struct Detail: Decodable { let model: Model; let deployment: Deployment? }
    private struct Versions: Decodable { let versions: [ModelVersion] }
    private struct Events: Decodable { let events: [AuditEvent] }
    private struct AliasResult: Decodable { let previous: Int? }
    private struct RollbackResult: Decodable { let from: Int; let to: Int }
    private struct Empty: Encodable {}

    private func path(_ parts: String...) -> String {
        parts.map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? $0 }
            .joined(separator: "/")
    }

    func models() throws -> [Model] { try client.get("v1/models", as: Models.self).models }

    func model(_ name: String) throws -> (Model, Deployment?) {
        let detail = try client.get(path("v1", "models", name), as: Detail.self)
        return (detail.model, detail.deployment)
    }

    func versions(of name: String) throws -> [ModelVersion] {
        try client.get(path("v1", "models", name, "versions"), as: Versions.self).versions
    }

    func resolve(_ reference: String) throws -> ModelVersion {
        try client.get(path("v1", "resolve", reference), as: ModelVersion.self)
    }

    func register(_ registration: Registration) throws -> ModelVersion {
        struct Body: Encodable {
            let path: String
            let format: String?
            let tags: [String: String]
            let aliases: [String]
            let notes: String?
            let parent: Int?
        }
        let body = Body(path: registration.path.standardizedFileURL.path, format: registration.format, tags: registration.tags,
                        aliases: registration.aliases, notes: registration.notes, parent: registration.parent)
        return try client.send("POST", path("v1", "models", registration.model, "versions"), body: body, as: ModelVersion.self)
    }

    func setAlias(model: String, alias: String, version: Int) throws -> Int? {
        try client.send("PUT", path("v1", "models", model, "aliases", alias), body: ["version": version], as: AliasResult.self).previous
    }

    func removeAlias(model: String, alias: String) throws {
        try client.send("DELETE", path("v1", "models", model, "aliases", alias), body: Optional<Empty>.none)
    }

    func setTag(model: String, version: Int?, key: String, value: String) throws {
        try client.send("PUT", tagPath(model, version, key), body: ["value": value])
    }

    func removeTag(model: String, version: Int?, key: String) throws {
        try client.send("DELETE", tagPath(model, version, key), body: Optional<Empty>.none)
    }

    private func tagPath(_ model: String, _ version: Int?, _ key: String) -> String {
        version.map { path("v1", "models", model, "versions", String($0), "tags", key) } ?? path("v1", "models", model, "tags", key)
    }

    func deploy(model: String, version: Int) throws -> (before: Int?, after: Deployment) {
        let before = try self.model(model).1?.primary
        return (before, try client.send("POST", path("v1", "models", model, "deploy"), body: ["version": version], as: Deployment.self))
    }

    func rollback(model: String, to: Int?) throws -> (from: Int, to: Int) {
        struct Body: Encodable { let to: Int? }
        let result = try client.send("POST", path("v1", "models", model, "rollback"), body: Body(to: to), as: RollbackResult.self)
        return (result.from, result.to)
    }

    func audit(model: String?, limit: Int) throws -> [AuditEvent] {
        var components = URLComponents()
        components.queryItems = [URLQueryItem(name: "limit", value: String(limit))] + (model.map { [URLQueryItem(name: "model", value: $0)] } ?? [])
        return try client.get("v1/audit" + (components.url?.absoluteString ?? ""), as: Events.self).events
    }

    func startCanary(model: String, version: Int, weight: Int?, plan: CanaryPlan?) throws -> Deployment {
        struct Body: Encodable { let version: Int; let weight: Int?; let steps: [Int]?; let window_seconds: Double? }
        return try client.send("POST", path("v1", "models", model, "canary"),
                               body: Body(version: version, weight: weight, steps: plan?.steps, window_seconds: plan?.windowSeconds),
                               as: Deployment.self)
    }

    func promote(model: String) throws -> Deployment {
        try client.send("POST", path("v1", "models", model, "promote"), body: Optional<Empty>.none, as: Deployment.self)
    }

    func abort(model: String) throws -> Deployment {
        try client.send("POST", path("v1", "models", model, "abort"), body: Optional<Empty>.none, as: Deployment.self)
    }

    func setShadow(model: String, version: Int, fraction: Double) throws -> Deployment {
        struct Body: Encodable { let version: Int; let fraction: Double }
        return try client.send("PUT", path("v1", "models", model, "shadow"), body: Body(version: version, fraction: fraction), as: Deployment.self)
    }

    func clearShadow(model: String) throws {
        try client.send("DELETE", path("v1", "models", model, "shadow"), body: Optional<Empty>.none)
    }

    func status() throws -> [ServingStatus] {
        struct Status: Decodable { let models: [ServingStatus] }
        return try client.get("v1/status", as: Status.self).models
    }
}

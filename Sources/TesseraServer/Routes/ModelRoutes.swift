import Foundation
import Hummingbird
import TesseraCore

/// Management API for the lifecycle manager: models, versions, aliases, tags, deployments
/// and the audit log, under /v1 (token-protected). The same operations as the `tessera` store
/// commands; mutations are audited by the registry and announced to exporter plugins.
struct ModelRoutes {
    let state: ServerState

    struct RegisterBody: Decodable {
        /// A file or folder on the daemon's machine.
        let path: String
        let format: String?
        let tags: [String: String]?
        let aliases: [String]?
        let notes: String?
        let parent: Int?
    }

    struct AliasBody: Decodable { let version: Int }
    struct TagBody: Decodable { let value: String }
    struct DeployBody: Decodable { let version: Int?; let alias: String? }
    struct RollbackBody: Decodable { let to: Int? }

    struct ModelList: ResponseEncodable { let models: [Model] }
    struct ModelDetail: ResponseEncodable { let model: Model; let deployment: Deployment? }
    struct VersionList: ResponseEncodable { let versions: [ModelVersion] }
    struct DiffRows: ResponseEncodable { let rows: [VersionDiff] }
    struct AliasResult: ResponseEncodable { let model: String; let alias: String; let version: Int; let previous: Int? }
    struct Rollback: ResponseEncodable { let model: String; let from: Int; let to: Int }
    struct AuditList: ResponseEncodable { let events: [AuditEvent] }

    static let actor = "api"

    func register(on group: RouterGroup<some RequestContext>) {
        group.get("models") { _, _ in ModelList(models: try state.requireStore().registry.models()) }
        group.get("models/:name") { _, context in
            let registry = try state.requireStore().registry
            let name = try context.parameters.require("name")
            guard let model = try registry.model(name) else { throw RegistryError(.notFound, "there is no model \"\(name)\"") }
            return ModelDetail(model: model, deployment: try registry.deployment(of: name))
        }
        group.get("models/:name/versions") { _, context in
            VersionList(versions: try state.requireStore().registry.versions(of: try context.parameters.require("name")))
        }
        group.get("models/:name/versions/:version") { _, context in
            let name = try context.parameters.require("name")
            return JSONBody(value: try state.requireStore().registry.resolve(.number(model: name, version: try version(context))))
        }
        group.post("models/:name/versions") { request, context -> EditedResponse<JSONBody<ModelVersion>> in
            let body = try await request.decode(as: RegisterBody.self, context: context)
            let name = try context.parameters.require("name")
            let version = try await registerVersion(name, body)
            Events(host: state.plugins, logger: context.logger).send(type: "version.registered", model: name,
                version: String(version.number), message: "registered \(name):\(version.number) (\(version.format))")
            return EditedResponse(status: .created, response: JSONBody(value: version))
        }
        group.get("resolve/:reference") { _, context in
            JSONBody(value: try state.requireStore().registry.resolve(try context.parameters.require("reference")))
        }
        group.get("models/:name/diff") { request, context in
            let name = try context.parameters.require("name")
            guard let from = request.uri.queryParameters.get("from", as: Int.self),
                  let to = request.uri.queryParameters.get("to", as: Int.self) else {
                throw APIError(.badRequest, "give the versions to compare as ?from=N&to=M")
            }
            let registry = try state.requireStore().registry
            return DiffRows(rows: VersionDiff.rows(try registry.resolve(.number(model: name, version: from)),
                                                   try registry.resolve(.number(model: name, version: to))))
        }
        group.put("models/:name/aliases/:alias") { request, context in
            let body = try await request.decode(as: AliasBody.self, context: context)
            let name = try context.parameters.require("name")
            let alias = try context.parameters.require("alias")
            let previous = try state.requireStore().registry.setAlias(model: name, alias: alias, version: body.version, actor: Self.actor)
            return AliasResult(model: name, alias: alias, version: body.version, previous: previous)
        }
        group.delete("models/:name/aliases/:alias") { _, context -> HTTPResponse.Status in
            try state.requireStore().registry.removeAlias(model: try context.parameters.require("name"),
                                             alias: try context.parameters.require("alias"), actor: Self.actor)
            return .noContent
        }
        group.put("models/:name/tags/:key") { request, context -> HTTPResponse.Status in
            let body = try await request.decode(as: TagBody.self, context: context)
            try state.requireStore().registry.setTag(model: try context.parameters.require("name"), key: try context.parameters.require("key"),
                                        value: body.value, actor: Self.actor)
            return .noContent
        }
        group.put("models/:name/versions/:version/tags/:key") { request, context -> HTTPResponse.Status in
            let body = try await request.decode(as: TagBody.self, context: context)
            try state.requireStore().registry.setTag(model: try context.parameters.require("name"), version: try version(context),
                                        key: try context.parameters.require("key"), value: body.value, actor: Self.actor)
            return .noContent
        }
        group.delete("models/:name/tags/:key") { _, context -> HTTPResponse.Status in
            try state.requireStore().registry.removeTag(model: try context.parameters.require("name"), key: try context.parameters.require("key"), actor: Self.actor)
            return .noContent
        }
        group.delete("models/:name/versions/:version/tags/:key") { _, context -> HTTPResponse.Status in
            try state.requireStore().registry.removeTag(model: try context.parameters.require("name"), version: try version(context),
                                           key: try context.parameters.require("key"), actor: Self.actor)
            return .noContent
        }
        group.get("models/:name/deployment") { _, context in
            let name = try context.parameters.require("name")
            guard let deployment = try state.requireStore().registry.deployment(of: name) else {
                throw APIError(.notFound, "model \"\(name)\" is not deployed; POST /v1/models/\(name)/deploy deploys it")
            }
            return JSONBody(value: deployment)
        }
        group.post("models/:name/deploy") { request, context in
            let body = try await Self.decodeOptional(DeployBody.self, request, context) ?? DeployBody(version: nil, alias: nil)
            let name = try context.parameters.require("name")
            let registry = try state.requireStore().registry
            let reference: VersionReference = switch (body.version, body.alias) {
            case (let number?, nil): .number(model: name, version: number)
            case (nil, let alias?): .alias(model: name, alias: alias)
            case (nil, nil): .model(name)
            default: throw APIError(.badRequest, "give either \"version\" or \"alias\", not both")
            }
            let target = try registry.resolve(reference)
            // Load and warm the version before the registry names it, so a version that cannot
            // serve is refused (422) while the current one keeps serving.
            try await state.serving.prepare(model: name, version: target.number)
            let deployment = try registry.deploy(model: name, version: target.number, actor: Self.actor)
            try await state.serving.sync(model: name)
            Events(host: state.plugins, logger: context.logger).send(type: "deployment.primary", model: name,
                version: String(deployment.primary), message: "\(name): primary is now \(deployment.primary)")
            return JSONBody(value: deployment)
        }
        group.post("models/:name/rollback") { request, context in
            let body = try await Self.decodeOptional(RollbackBody.self, request, context) ?? RollbackBody(to: nil)
            let name = try context.parameters.require("name")
            let (from, to) = try state.requireStore().registry.rollback(model: name, to: body.to, actor: Self.actor)
            try await state.serving.sync(model: name)
            Events(host: state.plugins, logger: context.logger).send(type: "deployment.rollback", model: name,
                version: String(to), message: "\(name): rolled back from \(from) to \(to)")
            return Rollback(model: name, from: from, to: to)
        }
        group.get("audit") { request, _ in
            let query = request.uri.queryParameters
            let model: String? = query.get("model").map { String($0) }
            let limit = query.get("limit", as: Int.self) ?? 100
            return AuditList(events: try state.requireStore().registry.audit(model: model, limit: min(max(limit, 1), 1000),
                                                                before: query.get("before", as: Int64.self)))
        }
    }

    /// Decodes a JSON body whose fields are all optional: an empty body means none given.
    static func decodeOptional<T: Decodable>(_ type: T.Type, _ request: Request, _ context: some RequestContext) async throws -> T? {
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        guard buffer.readableBytes > 0 else { return nil }
        return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
    }


    private func version(_ context: some RequestContext) throws -> Int {
        let text = try context.parameters.require("version")
        guard let number = Int(text), number > 0 else {
            throw APIError(.badRequest, "'\(text)' is not a version number")
        }
        return number
    }

    /// Detects the format with the daemon's format plugins, then stores and records the
    /// version. Runs off the async executors: it reads and hashes the whole artifact.
    private func registerVersion(_ name: String, _ body: RegisterBody) async throws -> ModelVersion {
        let store = try state.requireStore()
        let plugins = state.plugins
        try RegistryNames.validateModelName(name)
        return try await Blocking.run {
            let url = URL(fileURLWithPath: body.path)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw APIError(.badRequest, "no file or folder at \(url.path) on the server")
            }
            let detection: FormatDetector.Detection
            do {
                detection = try FormatDetector(host: plugins).detect(url, forced: body.format)
            } catch {
                throw APIError(.unprocessableContent, "\(error)")
            }
            return try store.register(ModelStore.Registration(
                model: name, path: url, format: detection.format.name, signatureJSON: detection.signatureJSON,
                parent: body.parent, notes: body.notes, tags: body.tags ?? [:], aliases: body.aliases ?? []), actor: Self.actor)
        }
    }
}

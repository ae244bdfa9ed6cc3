import Foundation
import Hummingbird
import TesseraCore

/// The Open Inference Protocol's model repository extension, over the registry: the index of
/// models with their state, and load/unload to put a model in or out of service. The registry
/// stays the record of truth — load serves what the model's deployment names, unload stops
/// serving without changing the deployment (it sets the model tag `serving.unloaded`, so the
/// model stays out of service across restarts until load). Guarded by the management token.
struct RepositoryRoutes {
    let state: ServerState

    struct Entry: Encodable {
        let name: String
        /// The primary version, when the model is deployed.
        let version: String?
        /// READY (serving), UNAVAILABLE (deployed, not serving) or NOT_DEPLOYED.
        let state: String
        let reason: String?
    }

    func register(on group: RouterGroup<some RequestContext>) {
        group.post("index") { _, _ -> JSONArray<Entry> in
            let registry = try state.requireStore().registry
            let problems = state.serving.problems
            return JSONArray(values: try registry.models().map { model in
                let deployment = try registry.deployment(of: model.name)
                let routed = state.serving.isRouted(model.name)
                let status = deployment == nil ? "NOT_DEPLOYED" : routed ? "READY" : "UNAVAILABLE"
                var reason: String? = problems[model.name]
                if deployment != nil, !routed, state.serving.isUnloaded(model.name) {
                    reason = "unloaded through the repository API; POST /v2/repository/models/\(model.name)/load serves it again"
                }
                return Entry(name: model.name, version: deployment.map { String($0.primary) }, state: status, reason: reason)
            })
        }
        group.post("models/:name/load") { _, context -> HTTPResponse.Status in
            let name = try canonicalName(context)
            guard try state.requireStore().registry.deployment(of: name) != nil else {
                throw APIError(.notFound, "model '\(name)' has no deployment to load; deploy a version first (tessera deploy \(name):N)")
            }
            try await state.serving.reload(name)
            if let problem = state.serving.problems[name] { throw APIError(.unprocessableContent, problem) }
            return .ok
        }
        group.post("models/:name/unload") { _, context -> HTTPResponse.Status in
            try state.serving.unload(try canonicalName(context))
            return .ok
        }
    }

    /// The model's name as the registry spells it (lookups there ignore case; serving does not).
    private func canonicalName(_ context: some RequestContext) throws -> String {
        let name = try context.parameters.require("name")
        guard let model = try state.requireStore().registry.model(name) else {
            throw APIError(.notFound, "there is no model \"\(name)\"")
        }
        return model.name
    }
}

/// A JSON array response body.
struct JSONArray<Element: Encodable>: ResponseGenerator {
    let values: [Element]

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return Response(status: .ok, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(values))))
    }
}

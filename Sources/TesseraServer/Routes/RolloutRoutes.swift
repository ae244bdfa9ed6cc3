import Foundation
import Hummingbird
import TesseraCore

/// Management API for rolling versions out (under /v1, token-protected): canary with steps,
/// manual promote and abort, shadow traffic, and the serving status of every model. Like a
/// deploy, a canary or shadow version is loaded and warmed before the registry names it, so
/// a version that cannot serve is refused with 422 and traffic is untouched.
struct RolloutRoutes {
    let state: ServerState

    struct CanaryBody: Decodable {
        let version: Int?
        let alias: String?
        /// Start at this weight; without steps the canary stays there until promoted or aborted.
        let weight: Int?
        let steps: [Int]?
        let window_seconds: Double?
    }

    struct ShadowBody: Decodable {
        let version: Int?
        let alias: String?
        let fraction: Double?
    }

    struct Status: ResponseEncodable { let models: [ModelStatus] }

    struct ModelStatus: Encodable {
        let name: String
        let deployment: Deployment?
        /// Every loaded version and its role: primary, canary, shadow or standby.
        let loaded: [LoadedEntry]
        /// Why the model does not serve what its deployment says, if it does not.
        let problem: String?
    }

    struct LoadedEntry: Encodable {
        let version: Int
        let role: String
        let queue_depth: Int
        let inference_count: Int
    }

    static let actor = "api"
    /// Analysis window when a canary is started with steps but no window.
    static let defaultWindowSeconds = 60.0

    func register(on group: RouterGroup<some RequestContext>) {
        group.post("models/:name/canary") { request, context in
            let body = try await ModelRoutes.decodeOptional(CanaryBody.self, request, context)
                ?? CanaryBody(version: nil, alias: nil, weight: nil, steps: nil, window_seconds: nil)
            let name = try context.parameters.require("name")
            let target = try resolve(name, version: body.version, alias: body.alias)
            var plan: CanaryPlan?
            if body.steps != nil || body.window_seconds != nil || body.weight == nil {
                plan = try CanaryPlan(steps: body.steps ?? CanaryPlan.defaultSteps,
                                      windowSeconds: body.window_seconds ?? Self.defaultWindowSeconds).validated()
            }
            let weight = body.weight ?? plan?.steps.first ?? 10
            guard (0...99).contains(weight) else {
                throw APIError(.badRequest, "a canary's weight must be 0 to 99 percent; to send it all traffic, deploy it")
            }
            try await state.serving.prepare(model: name, version: target)
            let deployment = try state.requireStore().registry.setCanary(model: name, version: target, weight: weight, plan: plan, actor: Self.actor)
            try await state.serving.sync(model: name)
            events(context).send(type: "canary.started", model: name, version: String(target),
                                 message: "\(name): canary \(target) takes \(weight)%"
                                    + (plan.map { " (steps \($0.steps.map(String.init).joined(separator: "→")), \(Int($0.windowSeconds)) s each)" } ?? ""))
            return JSONBody(value: deployment)
        }
        group.post("models/:name/promote") { _, context in
            let name = try context.parameters.require("name")
            let registry = try state.requireStore().registry
            guard let canary = try registry.deployment(of: name)?.canary else {
                throw APIError(.conflict, "\"\(name)\" has no canary to promote; start one with POST /v1/models/\(name)/canary")
            }
            let deployment = try registry.deploy(model: name, version: canary.version, actor: Self.actor)
            try await state.serving.sync(model: name)
            events(context).send(type: "canary.promoted", model: name, version: String(canary.version),
                                 message: "\(name): canary \(canary.version) promoted to primary by an operator")
            return JSONBody(value: deployment)
        }
        group.post("models/:name/abort") { _, context in
            let name = try context.parameters.require("name")
            let registry = try state.requireStore().registry
            guard let canary = try registry.deployment(of: name)?.canary else {
                throw APIError(.conflict, "\"\(name)\" has no canary to abort")
            }
            let deployment = try registry.setCanary(model: name, version: canary.version, weight: 0, state: .aborted, actor: Self.actor)
            try await state.serving.sync(model: name)
            events(context).send(type: "canary.aborted", model: name, version: String(canary.version),
                                 message: "\(name): canary \(canary.version) aborted by an operator; all traffic to \(deployment.primary)")
            return JSONBody(value: deployment)
        }
        group.put("models/:name/shadow") { request, context in
            let body = try await request.decode(as: ShadowBody.self, context: context)
            let name = try context.parameters.require("name")
            let target = try resolve(name, version: body.version, alias: body.alias)
            try await state.serving.prepare(model: name, version: target)
            let deployment = try state.requireStore().registry.setShadow(model: name, version: target, fraction: body.fraction ?? 1,
                                                            actor: Self.actor)
            try await state.serving.sync(model: name)
            events(context).send(type: "shadow.started", model: name, version: String(target),
                                 message: "\(name): mirroring \(Int((body.fraction ?? 1) * 100))% of requests to \(target)")
            return JSONBody(value: deployment)
        }
        group.delete("models/:name/shadow") { _, context -> HTTPResponse.Status in
            let name = try context.parameters.require("name")
            if try state.requireStore().registry.clearShadow(model: name, actor: Self.actor)?.shadow == nil {
                try await state.serving.sync(model: name)
                events(context).send(type: "shadow.stopped", model: name, message: "\(name): shadow stopped")
            }
            return .noContent
        }
        group.get("status") { _, _ in
            let registry = try state.requireStore().registry
            let loaded = state.serving.loadedSnapshot()
            let problems = state.serving.problems
            let models = try registry.models().map { model in
                ModelStatus(
                    name: model.name, deployment: try registry.deployment(of: model.name),
                    loaded: loaded.filter { $0.version.model == model.name }.map {
                        let stats = $0.version.stats.snapshot
                        return LoadedEntry(version: $0.version.version, role: $0.role, queue_depth: stats.queueDepth,
                                           inference_count: stats.inferenceCount)
                    },
                    problem: problems[model.name])
            }
            return Status(models: models)
        }
    }

    private func resolve(_ name: String, version: Int?, alias: String?) throws -> Int {
        let reference: VersionReference = switch (version, alias) {
        case (let number?, nil): .number(model: name, version: number)
        case (nil, let alias?): .alias(model: name, alias: alias)
        case (nil, nil): .latest(model: name)
        default: throw APIError(.badRequest, "give either \"version\" or \"alias\", not both")
        }
        return try state.requireStore().registry.resolve(reference).number
    }

    private func events(_ context: some RequestContext) -> Events {
        Events(host: state.plugins, logger: context.logger)
    }

}

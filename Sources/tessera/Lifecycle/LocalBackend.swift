import ArgumentParser
import Foundation
import TesseraCore

/// Store commands on the store folder itself, beside a running daemon if there is one: SQLite
/// and the store's lock keep the two consistent.
struct LocalBackend: LifecycleBackend {
    let store: ModelStore
    let actor: String

    func models() throws -> [Model] { try store.registry.models() }

    func model(_ name: String) throws -> (Model, Deployment?) {
        guard let model = try store.registry.model(name) else {
            throw ValidationError("no model named '\(name)'; `tessera models list` shows them")
        }
        return (model, try store.registry.deployment(of: name))
    }

    func versions(of name: String) throws -> [ModelVersion] { try store.registry.versions(of: name) }

    func resolve(_ reference: String) throws -> ModelVersion { try store.registry.resolve(reference) }

    func register(_ registration: Registration) throws -> ModelVersion {
        let settings: TesseraConfig
        do {
            settings = try registration.config.map { try ConfigLoader.load(path: $0) } ?? ConfigLoader.loadDefault()
        } catch {
            throw ValidationError("the configuration has problems:\n\(error)")
        }
        let host = PluginHost(hostName: "tessera")
        host.load(settings.plugins, baseDirectory: settings.baseDirectory)
        defer { host.shutdown() }
        let detection = try FormatDetector(host: host).detect(registration.path, forced: registration.format)
        let bar = ProgressBar("storing")
        defer { bar.finish() }
        return try store.register(ModelStore.Registration(
            model: registration.model, path: registration.path, format: detection.format.name,
            signatureJSON: detection.signatureJSON, parent: registration.parent, notes: registration.notes,
            tags: registration.tags, aliases: registration.aliases), actor: actor, progress: bar.update)
    }

    func setAlias(model: String, alias: String, version: Int) throws -> Int? {
        try store.registry.setAlias(model: model, alias: alias, version: version, actor: actor)
    }

    func removeAlias(model: String, alias: String) throws {
        try store.registry.removeAlias(model: model, alias: alias, actor: actor)
    }

    func setTag(model: String, version: Int?, key: String, value: String) throws {
        try store.registry.setTag(model: model, version: version, key: key, value: value, actor: actor)
    }

    func removeTag(model: String, version: Int?, key: String) throws {
        try store.registry.removeTag(model: model, version: version, key: key, actor: actor)
    }

    func deploy(model: String, version: Int) throws -> (before: Int?, after: Deployment) {
        let before = try store.registry.deployment(of: model)?.primary
        return (before, try store.registry.deploy(model: model, version: version, actor: actor))
    }

    func rollback(model: String, to: Int?) throws -> (from: Int, to: Int) {
        try store.registry.rollback(model: model, to: to, actor: actor)
    }

    func audit(model: String?, limit: Int) throws -> [AuditEvent] {
        try store.registry.audit(model: model, limit: limit)
    }

    func startCanary(model: String, version: Int, weight: Int?, plan: CanaryPlan?) throws -> Deployment {
        try store.registry.setCanary(model: model, version: version, weight: weight ?? plan?.steps.first ?? 10, plan: plan, actor: actor)
    }

    func promote(model: String) throws -> Deployment {
        guard let canary = try store.registry.deployment(of: model)?.canary else {
            throw ValidationError("'\(model)' has no canary to promote; start one with `tessera deploy \(model):N --canary 10`")
        }
        return try store.registry.deploy(model: model, version: canary.version, actor: actor)
    }

    func abort(model: String) throws -> Deployment {
        guard let canary = try store.registry.deployment(of: model)?.canary else {
            throw ValidationError("'\(model)' has no canary to abort")
        }
        return try store.registry.setCanary(model: model, version: canary.version, weight: 0, state: .aborted, actor: actor)
    }

    func setShadow(model: String, version: Int, fraction: Double) throws -> Deployment {
        try store.registry.setShadow(model: model, version: version, fraction: fraction, actor: actor)
    }

    func clearShadow(model: String) throws {
        try store.registry.clearShadow(model: model, actor: actor)
    }

    func status() throws -> [ServingStatus] {
        try store.registry.models().map {
            ServingStatus(name: $0.name, deployment: try store.registry.deployment(of: $0.name), loaded: nil, problem: nil)
        }
    }
}

import ArgumentParser
import Foundation
import TesseraCore

/// Where the store commands act: the store folder directly (`LocalBackend`), or a running
/// daemon's management API (`RemoteBackend`, with --url). Both give the same answers; the
/// daemon's are the registry's records as JSON.
protocol LifecycleBackend {
    func models() throws -> [Model]
    func model(_ name: String) throws -> (Model, Deployment?)
    func versions(of name: String) throws -> [ModelVersion]
    func resolve(_ reference: String) throws -> ModelVersion
    func register(_ registration: Registration) throws -> ModelVersion
    func setAlias(model: String, alias: String, version: Int) throws -> Int?
    func removeAlias(model: String, alias: String) throws
    func setTag(model: String, version: Int?, key: String, value: String) throws
    func removeTag(model: String, version: Int?, key: String) throws
    func deploy(model: String, version: Int) throws -> (before: Int?, after: Deployment)
    func rollback(model: String, to: Int?) throws -> (from: Int, to: Int)
    func audit(model: String?, limit: Int) throws -> [AuditEvent]
    /// Starts (or changes) a canary; with a plan the daemon's canary controller steps it.
    func startCanary(model: String, version: Int, weight: Int?, plan: CanaryPlan?) throws -> Deployment
    func promote(model: String) throws -> Deployment
    func abort(model: String) throws -> Deployment
    func setShadow(model: String, version: Int, fraction: Double) throws -> Deployment
    func clearShadow(model: String) throws
    /// Every model's deployment and, through a daemon, what it has loaded.
    func status() throws -> [ServingStatus]
}

/// A model's deployment and what the daemon serves of it (`loaded` is nil without a daemon).
struct ServingStatus: Decodable {
    struct Loaded: Decodable {
        let version: Int
        let role: String
        let queue_depth: Int
        let inference_count: Int
    }

    let name: String
    let deployment: Deployment?
    let loaded: [Loaded]?
    let problem: String?
}

/// What `tessera register` asks for, before the format is known.
struct Registration {
    var model: String
    var path: URL
    var format: String?
    var tags: [String: String]
    var aliases: [String]
    var notes: String?
    var parent: Int?
    /// The configuration whose format plugins detect the format (local registration only;
    /// the daemon uses its own plugins).
    var config: String?
}

extension StoreOptions {
    /// The daemon at --url, or the store folder.
    func backend(create: Bool = false) throws -> any LifecycleBackend {
        if let url { return RemoteBackend(client: try client(url: url)) }
        return LocalBackend(store: try open(create: create), actor: actorName)
    }
}

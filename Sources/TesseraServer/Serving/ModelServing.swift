import Foundation
public import TesseraCore
import Synchronization
import TesseraEngine

/// What the daemon serves: the loaded versions, and per model which of them take traffic.
///
/// The registry's deployments are the record of truth; `sync` makes serving match them. A
/// new version is loaded and warmed *before* the route switches to it, and the switch is one
/// assignment under a lock, so a deploy never drops or fails a request: requests already
/// queued on the old version finish there. Versions taken out of service stay loaded for
/// `gracePeriod`, so a rollback within it switches back instantly. A version that fails to
/// load leaves the current route alone and is reported (health, `/v2/health/ready`), not
/// retried on every poll.
///
/// Requests read the routing table under a short lock; loading runs on the blocking queue,
/// one sync at a time.
public final class ModelServing: Sendable {
    public struct Options: Sendable {
        public var scheduler = BatchScheduler.Options()
        /// How long a replaced version stays loaded for instant rollback.
        public var gracePeriod: Duration = .seconds(300)

        public init() {}

        /// The options `[serving]` in tessera.toml asks for.
        public init(_ settings: ServingSettings) {
            scheduler.maxBatchSize = settings.maxBatchSize
            scheduler.maxQueueDelay = .microseconds(Int64(settings.maxQueueDelayMilliseconds * 1000))
            scheduler.queueCapacity = settings.queueCapacity
            scheduler.instances = settings.instances
            scheduler.queueTimeout = .microseconds(Int64(settings.queueTimeoutMilliseconds * 1000))
            gracePeriod = .microseconds(Int64(settings.rollbackGraceSeconds * 1_000_000))
        }
    }

    struct Route: Sendable {
        let primary: LoadedVersion
        let canary: (version: LoadedVersion, weight: Int)?
        let shadow: (version: LoadedVersion, fraction: Double)?

        var versions: [LoadedVersion] { [primary] + [canary?.version, shadow?.version].compactMap { $0 } }
    }

    struct Key: Hashable, Sendable {
        let model: String
        let version: Int
    }

    private struct Table: Sendable {
        var routes: [String: Route] = [:]
        var loaded: [Key: LoadedVersion] = [:]
        /// When each loaded version stopped being routed.
        var retiredAt: [Key: ContinuousClock.Instant] = [:]
        /// Loads that failed, by version, not retried until asked (a deploy through the API).
        var failedLoads: [Key: String] = [:]
        /// Deployed models that have no route or a failed change, with the reason.
        var problems: [String: String] = [:]
        /// Whether every deployment has been looked at once since start.
        var synced = false
        /// Models taken out of service through the repository API; syncs leave them unrouted.
        var unloaded: Set<String> = []
    }

    let store: ModelStore?
    let plugins: PluginHost
    let options: Options
    /// Finished requests on their way to the monitor plugins.
    let recorder: RequestRecorder
    private let table = Mutex(Table())
    /// Serializes syncs: each reads the registry, loads, then switches.
    private let syncLock = NSLock()

    public init(store: ModelStore?, plugins: PluginHost, options: Options = Options()) {
        self.store = store
        self.plugins = plugins
        self.options = options
        recorder = RequestRecorder(plugins: plugins)
        if store == nil { table.withLock { $0.synced = true } }
    }

    // MARK: - Request path

    /// The version that should take this request: the canary for its weight's share of
    /// requests (by `stickyKey` when given, so one client always sees one version), else the
    /// primary. Also returns the shadow to mirror to, when this request is picked for it.
    func route(_ model: String, stickyKey: String? = nil) -> (target: LoadedVersion, shadow: LoadedVersion?)? {
        guard let route = table.withLock({ $0.routes[model] }) else { return nil }
        var target = route.primary
        if let canary = route.canary, canary.weight > 0 {
            let bucket = stickyKey.map { Self.bucket($0) } ?? Int.random(in: 0..<100)
            if bucket < canary.weight { target = canary.version }
        }
        var shadow: LoadedVersion?
        if let mirror = route.shadow, Double.random(in: 0..<1) < mirror.fraction { shadow = mirror.version }
        return (target, shadow)
    }

    /// The version a model's deployment names as primary, when it is served.
    func primary(of model: String) -> LoadedVersion? {
        table.withLock { $0.routes[model]?.primary }
    }

    /// A loaded version, routed or not (`/v2/models/{m}/versions/{v}`).
    func loaded(_ model: String, version: Int) -> LoadedVersion? {
        table.withLock { $0.loaded[Key(model: model, version: version)] }
    }

    /// The loaded versions of a model, newest first.
    func loadedVersions(of model: String) -> [LoadedVersion] {
        table.withLock { $0.loaded.values.filter { $0.model == model }.sorted { $0.version > $1.version } }
    }

    /// Models with a route, sorted.
    var servedModels: [String] { table.withLock { $0.routes.keys.sorted() } }

    func isRouted(_ model: String) -> Bool { table.withLock { $0.routes[model] != nil } }

    /// Deployed models that are not (fully) serving what the registry says, with reasons;
    /// before the first sync, one entry saying so.
    public var problems: [String: String] {
        table.withLock { $0.synced ? $0.problems : ["*": "the deployments have not been loaded yet"] }
    }

    /// Ready when every deployed model serves what its deployment says.
    public var isReady: Bool { problems.isEmpty }

    /// A stable bucket 0..<100 for a sticky routing key (FNV-1a; Swift's Hasher is seeded per process).
    static func bucket(_ key: String) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return Int(hash % 100)
    }

    // MARK: - Control path

    /// Loads and warms `version` of `model` without routing traffic to it (a deploy calls this
    /// before it changes the registry, so a version that cannot load is refused up front).
    @discardableResult
    public func prepare(model: String, version: Int) async throws -> Int {
        let key = Key(model: model, version: version)
        return try await Blocking.run { [self] in
            try syncLock.withLock {
                // An explicit request retries a version that failed before.
                table.withLock { _ = $0.failedLoads.removeValue(forKey: key) }
                return try ensureLoaded(key).version
            }
        }
    }

    /// Makes serving match the registry: for one model, or (nil) for every model.
    public func sync(model: String? = nil) async throws {
        try await Blocking.run { [self] in try syncLock.withLock { try syncNow(model: model) } }
    }

    /// The model tag recording that the model was taken out of service through the
    /// repository API: it survives restarts, and `tessera tag` can set or clear it too.
    static let unloadedTag = "serving.unloaded"

    /// Takes a model out of service until `reload` (its versions stay loaded for the grace
    /// period, so a reload soon after is instant), and records that in the registry.
    func unload(_ model: String) throws {
        try store?.registry.setTag(model: model, key: Self.unloadedTag, value: "true", actor: "repository-api")
        table.withLock { table in
            table.unloaded.insert(model)
            if let route = table.routes.removeValue(forKey: model) {
                for version in route.versions { table.retiredAt[Key(model: model, version: version.version)] = .now }
            }
            table.problems[model] = nil
        }
    }

    /// Puts a model taken out with `unload` back into service, as its deployment says.
    func reload(_ model: String) async throws {
        if let registry = store?.registry, try registry.tags(model: model)[Self.unloadedTag] != nil {
            try registry.removeTag(model: model, key: Self.unloadedTag, actor: "repository-api")
        }
        table.withLock { _ = $0.unloaded.remove(model) }
        try await sync(model: model)
    }

    /// Whether `model` was taken out of service through the repository API.
    func isUnloaded(_ model: String) -> Bool { table.withLock { $0.unloaded.contains(model) } }

    /// Hands the finished requests collected so far to the monitor plugins.
    public func flushRecords() { recorder.flush() }

    /// Everything loaded, with whether each takes traffic (primary, canary, shadow) — for metrics.
    func loadedSnapshot() -> [(version: LoadedVersion, role: String)] {
        table.withLock { table in
            table.loaded.values.sorted { ($0.model, $0.version) < ($1.model, $1.version) }.map { version in
                let route = table.routes[version.model]
                let role = route?.primary === version ? "primary"
                    : route?.canary?.version === version ? "canary"
                    : route?.shadow?.version === version ? "shadow" : "standby"
                return (version, role)
            }
        }
    }

    /// Canary weights by model, for metrics.
    func canaryWeights() -> [String: Int] {
        table.withLock { $0.routes.compactMapValues { $0.canary?.weight } }
    }

    /// Unloads everything (shutdown); queued requests still finish.
    public func shutdown() {
        let all = table.withLock { table in
            defer { table = Table() }
            return Array(table.loaded.values)
        }
        for version in all { version.retire() }
    }

    private func syncNow(model: String?) throws {
        guard let store else { return }
        let names = try model.map { [$0] } ?? store.registry.models().map(\.name)
        var deployed: Set<String> = []
        for name in names {
            let unloaded = try store.registry.tags(model: name)[Self.unloadedTag] == "true"
            table.withLock { table in
                if unloaded { table.unloaded.insert(name) } else { table.unloaded.remove(name) }
            }
            guard let deployment = try store.registry.deployment(of: name), !unloaded else { continue }
            deployed.insert(name)
            apply(deployment)
        }
        table.withLock { table in
            let stale = model == nil ? table.routes.keys.filter { !deployed.contains($0) }
                : (deployed.isEmpty ? [model!] : [])
            for name in stale {
                if let route = table.routes.removeValue(forKey: name) {
                    for version in route.versions { table.retiredAt[Key(model: name, version: version.version)] = .now }
                }
                table.problems[name] = nil
            }
            if model == nil { table.synced = true }
        }
        collectRetired()
    }

    /// Loads what `deployment` needs, then switches its route in one step.
    private func apply(_ deployment: Deployment) {
        let name = deployment.model
        let primary: LoadedVersion
        do {
            primary = try ensureLoaded(Key(model: name, version: deployment.primary))
        } catch {
            table.withLock { $0.problems[name] = "cannot serve \(name):\(deployment.primary): \(error)" }
            return
        }
        var issues: [String] = []
        var canary: (version: LoadedVersion, weight: Int)?
        if let record = deployment.canary, record.state != .aborted, record.weight > 0 {
            do {
                canary = (try ensureLoaded(Key(model: name, version: record.version)), record.weight)
            } catch {
                issues.append("canary \(name):\(record.version) failed to load: \(error)")
            }
        }
        var shadow: (version: LoadedVersion, fraction: Double)?
        if let record = deployment.shadow, record.fraction > 0 {
            do {
                shadow = (try ensureLoaded(Key(model: name, version: record.version)), record.fraction)
            } catch {
                issues.append("shadow \(name):\(record.version) failed to load: \(error)")
            }
        }
        let route = Route(primary: primary, canary: canary, shadow: shadow)
        table.withLock { table in
            let before = table.routes[name]?.versions.map(\.version) ?? []
            table.routes[name] = route
            let now = route.versions.map(\.version)
            for version in now { table.retiredAt[Key(model: name, version: version)] = nil }
            for version in before where !now.contains(version) { table.retiredAt[Key(model: name, version: version)] = .now }
            table.problems[name] = issues.isEmpty ? nil : issues.joined(separator: "; ")
        }
    }

    /// The loaded version for `key`, loading and warming it first if needed.
    private func ensureLoaded(_ key: Key) throws -> LoadedVersion {
        if let loaded = table.withLock({ $0.loaded[key] }) { return loaded }
        if let failure = table.withLock({ $0.failedLoads[key] }) {
            throw APIError(.unprocessableContent, failure)
        }
        do {
            let loaded = try load(key)
            // Unrouted until a route takes it; collected after the grace period if none does.
            table.withLock {
                $0.loaded[key] = loaded
                $0.retiredAt[key] = .now
            }
            return loaded
        } catch {
            let message = "\(key.model):\(key.version) failed to load: \(error)"
            table.withLock { $0.failedLoads[key] = message }
            throw APIError(.unprocessableContent, message)
        }
    }

    private func load(_ key: Key) throws -> LoadedVersion {
        guard let store else { throw APIError(.serviceUnavailable, "this server has no model store") }
        let record = try store.registry.resolve(.number(model: key.model, version: key.version))
        let graph = try store.loadGraph(record, host: plugins)
        let executor = try Executor(graph: graph, customOperators: plugins.customOperators)
        // A folder with a tokenizer next to an encoder taking input_ids is served as text in, embeddings out.
        var text: TextEmbedder?
        let path = try store.localPath(of: record)
        if record.artifactKind == "directory", TextEmbedder.canRead(path), graph.inputs.contains(where: { $0.name == "input_ids" }) {
            text = try TextEmbedder(folder: path)
        }
        let loaded = LoadedVersion(model: key.model, version: key.version, format: record.format, executor: executor,
                                   options: options.scheduler, recorder: recorder, text: text)
        do {
            try loaded.warmUp()
        } catch {
            loaded.retire()
            throw EngineError(.invalidGraph, "warm-up run failed: \(error)")
        }
        return loaded
    }

    /// Unloads versions that have been out of service for longer than the grace period.
    private func collectRetired() {
        let now = ContinuousClock.now
        let expired: [LoadedVersion] = table.withLock { table in
            let keys = table.retiredAt.filter { now - $0.value >= options.gracePeriod }.map(\.key)
            return keys.compactMap { key in
                table.retiredAt[key] = nil
                return table.loaded.removeValue(forKey: key)
            }
        }
        for version in expired { version.retire() }
    }
}

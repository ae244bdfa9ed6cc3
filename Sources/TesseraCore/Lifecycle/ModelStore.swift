public import Foundation

/// The lifecycle manager's front door: one folder holding the registry (`registry.sqlite`)
/// and the content-addressed artifacts (`objects/`). Registration writes the artifact first
/// and commits the registry row only after the objects are durable, under the store's shared
/// lock so garbage collection cannot remove an object between the two.
///
/// Safe to use from several threads and processes at once (the daemon and the CLI share a
/// store): SQLite serializes registry writers, and the artifact store's lock and atomic renames
/// keep objects consistent.
public final class ModelStore: Sendable {
    /// The registry database's file name inside the store folder.
    public static let registryFileName = "registry.sqlite"

    public let root: URL
    public let registry: Registry
    public let artifacts: ArtifactStore

    /// Opens the store at `root`, creating it if needed.
    public init(root: URL) throws {
        self.root = root.standardizedFileURL
        artifacts = try ArtifactStore(root: self.root)
        registry = try Registry(path: self.root.appendingPathComponent(Self.registryFileName))
    }

    /// What to register: the file or folder, its format, and what the registry records with it.
    public struct Registration: Sendable {
        public var model: String
        public var path: URL
        public var format: String
        /// Inputs, outputs and sizes read from the model by its format plugin.
        public var signatureJSON: String?
        public var parent: Int?
        public var producer: String
        public var parametersJSON: String?
        public var metricsJSON: String?
        public var notes: String?
        public var tags: [String: String]
        public var aliases: [String]

        public init(model: String, path: URL, format: String, signatureJSON: String? = nil, parent: Int? = nil,
                    producer: String = "register", parametersJSON: String? = nil, metricsJSON: String? = nil,
                    notes: String? = nil, tags: [String: String] = [:], aliases: [String] = []) {
            self.model = model
            self.path = path
            self.format = format
            self.signatureJSON = signatureJSON
            self.parent = parent
            self.producer = producer
            self.parametersJSON = parametersJSON
            self.metricsJSON = metricsJSON
            self.notes = notes
            self.tags = tags
            self.aliases = aliases
        }
    }

    /// Stores the artifact and records a new version. The name and references are checked
    /// before any bytes are copied, so a typo costs nothing.
    public func register(_ registration: Registration, actor: String,
                         progress: (@Sendable (Int64, Int64) -> Void)? = nil) throws -> ModelVersion {
        try register(registration, actor: actor, unlessNewestIsSame: false, progress: progress).version
    }

    /// Like `register`, but when `unlessNewestIsSame` and the model's newest version already has
    /// the same contents, records nothing and returns that version (`registered` false). The
    /// files are hashed once either way.
    public func register(_ registration: Registration, actor: String, unlessNewestIsSame: Bool,
                         progress: (@Sendable (Int64, Int64) -> Void)? = nil) throws -> (version: ModelVersion, registered: Bool) {
        try RegistryNames.validateModelName(registration.model)
        for alias in registration.aliases { try RegistryNames.validateAlias(alias) }
        return try artifacts.lock.withShared {
            let artifact = try artifacts.putArtifact(registration.path, progress: progress)
            if unlessNewestIsSame, try registry.model(registration.model) != nil,
               let newest = try registry.versions(of: registration.model).max(by: { $0.number < $1.number }),
               newest.artifactDigest == artifact.digest {
                return (newest, false)
            }
            return (try registry.registerVersion(NewVersion(
                model: registration.model, artifactDigest: artifact.digest, artifactKind: artifact.kind.rawValue,
                format: registration.format, sizeBytes: artifact.size, signatureJSON: registration.signatureJSON,
                sourcePath: registration.path.path, parent: registration.parent, producer: registration.producer,
                parametersJSON: registration.parametersJSON, metricsJSON: registration.metricsJSON,
                notes: registration.notes, tags: registration.tags, aliases: registration.aliases), actor: actor), true)
        }
    }

    /// The artifact a version points at.
    public func artifact(of version: ModelVersion) -> Artifact {
        Artifact(kind: version.artifactKind == "directory" ? .directory : .file, digest: version.artifactDigest,
                 size: version.sizeBytes, files: 0)
    }

    /// Where a file version's bytes are (read-only), for loading it in place.
    public func fileURL(of version: ModelVersion) throws -> URL {
        try artifacts.objectURL(version.artifactDigest)
    }

    /// Copies a version's file (or folder) out of the store.
    public func export(_ version: ModelVersion, to destination: URL,
                       progress: (@Sendable (Int64, Int64) -> Void)? = nil) throws {
        try artifacts.export(artifact(of: version), to: destination, progress: progress)
    }

    /// Re-hashes every object and reports, besides corrupt and stray files, the versions whose
    /// artifacts are missing.
    public func verify(progress: (@Sendable (StoreProgress) -> Void)? = nil) throws -> StoreVerification {
        let referenced = try registry.referencedDigests()
        let report = try artifacts.verify(referenced: referenced, progress: progress)
        let missing = Set(report.missing)
        var broken: [StoreVerification.BrokenVersion] = []
        if !missing.isEmpty {
            for model in try registry.models() {
                for version in try registry.versions(of: model.name) where missing.contains(version.artifactDigest) {
                    broken.append(.init(model: model.name, version: version.number, digest: version.artifactDigest))
                }
            }
        }
        return StoreVerification(report: report, brokenVersions: broken)
    }

    /// Removes objects no version references.
    public func collectGarbage(dryRun: Bool, progress: (@Sendable (StoreProgress) -> Void)? = nil) throws -> GCReport {
        try artifacts.collectGarbage(referenced: try registry.referencedDigests(), dryRun: dryRun, progress: progress)
    }
}

/// The outcome of `ModelStore.verify`.
public struct StoreVerification: Sendable {
    /// A version whose artifact (or one of its files) is not in the store.
    public struct BrokenVersion: Sendable, Equatable, Codable {
        public let model: String
        public let version: Int
        public let digest: String
    }

    public let report: VerifyReport
    public let brokenVersions: [BrokenVersion]

    public var isClean: Bool { report.isClean && report.missing.isEmpty && brokenVersions.isEmpty }
}

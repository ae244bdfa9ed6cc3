/// What ``Registry/registerVersion(_:actor:)`` records. The artifact must already be durable in
/// the artifact store: the registry row is the commit point.
public struct NewVersion: Sendable, Equatable {
    /// The model's name; the model is created if it does not exist yet.
    public var model: String
    /// sha256 of the artifact, 64 hex digits (stored lowercase).
    public var artifactDigest: String
    /// `file` or `directory`.
    public var artifactKind: String
    public var format: String
    public var sizeBytes: Int64
    /// Input/output signature as JSON text.
    public var signatureJSON: String?
    public var sourcePath: String?
    /// A version number of the same model this one derives from.
    public var parent: Int?
    /// `register`, `optimize:<plugin>`, `convert:<plugin>`, `train:<plugin>` or `distill:<plugin>`.
    public var producer: String
    /// The producer's parameters as JSON text.
    public var parametersJSON: String?
    /// Initial metrics as a JSON object.
    public var metricsJSON: String?
    public var notes: String?
    /// Tags on the new version.
    public var tags: [String: String]
    /// Aliases to point at the new version (moved if they point elsewhere).
    public var aliases: [String]

    public static let artifactKinds: Set<String> = ["file", "directory"]

    public init(model: String, artifactDigest: String, artifactKind: String = "file", format: String,
                sizeBytes: Int64, signatureJSON: String? = nil, sourcePath: String? = nil, parent: Int? = nil,
                producer: String = "register", parametersJSON: String? = nil, metricsJSON: String? = nil,
                notes: String? = nil, tags: [String: String] = [:], aliases: [String] = []) {
        self.model = model
        self.artifactDigest = artifactDigest
        self.artifactKind = artifactKind
        self.format = format
        self.sizeBytes = sizeBytes
        self.signatureJSON = signatureJSON
        self.sourcePath = sourcePath
        self.parent = parent
        self.producer = producer
        self.parametersJSON = parametersJSON
        self.metricsJSON = metricsJSON
        self.notes = notes
        self.tags = tags
        self.aliases = aliases
    }
}

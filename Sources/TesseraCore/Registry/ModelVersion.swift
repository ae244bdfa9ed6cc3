/// One registered version of a model. Everything but ``metrics``, ``tags`` and ``aliases`` is
/// fixed when the version is registered; the database refuses any other change.
public struct ModelVersion: Codable, Sendable, Equatable {
    public var model: String
    /// 1, 2, 3, … within the model, assigned at registration.
    public var number: Int
    /// The sha256 of the artifact in the content-addressed store (64 lowercase hex digits).
    public var artifactDigest: String
    /// `file` or `directory`.
    public var artifactKind: String
    /// The artifact's format (`safetensors`, `onnx`, `hf-bert`, …).
    public var format: String
    public var sizeBytes: Int64
    /// Input/output signature, as the format plugin described it.
    public var signature: JSONValue?
    /// Where the artifact was registered from, for people; the store holds the bytes.
    public var sourcePath: String?
    /// The version (of the same model) this one was produced from.
    public var parent: Int?
    /// `register`, `optimize:<plugin>`, `convert:<plugin>`, …
    public var producer: String
    /// The producer's parameters (quantization settings, conversion options, …).
    public var parameters: JSONValue?
    /// Recorded metrics (validation accuracy, latency, …); a JSON object that may grow.
    public var metrics: JSONValue?
    public var notes: String?
    /// ISO-8601 UTC with milliseconds.
    public var createdAt: String
    public var createdBy: String
    public var tags: [String: String]
    /// The aliases pointing at this version, sorted.
    public var aliases: [String]

    public init(model: String, number: Int, artifactDigest: String, artifactKind: String, format: String,
                sizeBytes: Int64, signature: JSONValue?, sourcePath: String?, parent: Int?, producer: String,
                parameters: JSONValue?, metrics: JSONValue?, notes: String?, createdAt: String, createdBy: String,
                tags: [String: String], aliases: [String]) {
        self.model = model
        self.number = number
        self.artifactDigest = artifactDigest
        self.artifactKind = artifactKind
        self.format = format
        self.sizeBytes = sizeBytes
        self.signature = signature
        self.sourcePath = sourcePath
        self.parent = parent
        self.producer = producer
        self.parameters = parameters
        self.metrics = metrics
        self.notes = notes
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.tags = tags
        self.aliases = aliases
    }

    /// `model:number`, the reference that always means this version.
    public var reference: VersionReference { .number(model: model, version: number) }
}

/// A named model: the line of versions that share a name, with its tags and aliases.
public struct Model: Codable, Sendable, Equatable {
    /// Unique case-insensitively; see ``RegistryNames``.
    public var name: String
    public var description: String
    /// What the model does (`text-embedding`, `classification`, …), if recorded.
    public var task: String?
    /// When the model was created, ISO-8601 UTC with milliseconds (`2025-01-02T03:04:05.678Z`).
    public var createdAt: String
    public var createdBy: String
    /// How many versions are registered.
    public var versionCount: Int
    /// The highest version number, nil before the first registration.
    public var latestVersion: Int?
    public var tags: [String: String]
    /// Alias name → version number.
    public var aliases: [String: Int]

    public init(name: String, description: String, task: String?, createdAt: String, createdBy: String,
                versionCount: Int, latestVersion: Int?, tags: [String: String], aliases: [String: Int]) {
        self.name = name
        self.description = description
        self.task = task
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.versionCount = versionCount
        self.latestVersion = latestVersion
        self.tags = tags
        self.aliases = aliases
    }
}

/// One row of the append-only audit log: who changed what, when, from what, to what.
public struct AuditEvent: Codable, Sendable, Equatable {
    /// What kind of change; a growable set of dotted names.
    public struct Action: RawRepresentable, Codable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public init(from decoder: any Decoder) throws {
            rawValue = try decoder.singleValueContainer().decode(String.self)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }

        public static let modelCreate = Action(rawValue: "model.create")
        public static let versionRegister = Action(rawValue: "version.register")
        public static let metricsRecord = Action(rawValue: "metrics.record")
        public static let aliasSet = Action(rawValue: "alias.set")
        public static let aliasMove = Action(rawValue: "alias.move")
        public static let aliasRemove = Action(rawValue: "alias.remove")
        public static let tagSet = Action(rawValue: "tag.set")
        public static let tagRemove = Action(rawValue: "tag.remove")
        public static let deploy = Action(rawValue: "deploy")
        public static let rollback = Action(rawValue: "rollback")
        public static let canarySet = Action(rawValue: "canary.set")
        public static let canaryClear = Action(rawValue: "canary.clear")
        public static let shadowSet = Action(rawValue: "shadow.set")
        public static let shadowClear = Action(rawValue: "shadow.clear")
    }

    /// Increases with every event; never reused.
    public var id: Int64
    /// ISO-8601 UTC with milliseconds.
    public var at: String
    public var actor: String
    public var action: Action
    public var model: String?
    public var version: Int?
    /// The state before the change (null when something was created).
    public var before: JSONValue?
    /// The state after the change (null when something was removed).
    public var after: JSONValue?

    public init(id: Int64, at: String, actor: String, action: Action, model: String?, version: Int?,
                before: JSONValue?, after: JSONValue?) {
        self.id = id
        self.at = at
        self.actor = actor
        self.action = action
        self.model = model
        self.version = version
        self.before = before
        self.after = after
    }
}

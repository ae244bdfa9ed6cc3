/// What a model's serving should look like: the primary version, an optional canary taking a
/// share of traffic, an optional shadow receiving a mirrored copy. This is the record of truth;
/// the serving layer acts on it.
public struct Deployment: Codable, Sendable, Equatable {
    public struct Canary: Codable, Sendable, Equatable {
        public var version: Int
        /// Percent of traffic, 0–100.
        public var weight: Int
        public var state: CanaryState

        public init(version: Int, weight: Int, state: CanaryState) {
            self.version = version
            self.weight = weight
            self.state = state
        }
    }

    public struct Shadow: Codable, Sendable, Equatable {
        public var version: Int
        /// Fraction of requests mirrored, 0–1.
        public var fraction: Double

        public init(version: Int, fraction: Double) {
            self.version = version
            self.fraction = fraction
        }
    }

    public var model: String
    public var primary: Int
    public var canary: Canary?
    public var shadow: Shadow?
    /// Earlier primaries, most recent first: what `rollback` returns to.
    public var previousPrimaries: [Int]
    /// ISO-8601 UTC with milliseconds.
    public var updatedAt: String
    public var updatedBy: String

    public init(model: String, primary: Int, canary: Canary?, shadow: Shadow?, previousPrimaries: [Int],
                updatedAt: String, updatedBy: String) {
        self.model = model
        self.primary = primary
        self.canary = canary
        self.shadow = shadow
        self.previousPrimaries = previousPrimaries
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }
}

/// Where a canary stands; a growable set of names.
public struct CanaryState: RawRepresentable, Codable, Hashable, Sendable, CustomStringConvertible {
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

    /// Taking its weight of traffic; analysis may step it up.
    public static let running = CanaryState(rawValue: "running")
    /// Held at its weight (an inconclusive analysis, or an operator's pause).
    public static let paused = CanaryState(rawValue: "paused")
    /// Failed analysis; traffic is back at 0 % and the record stays for inspection until cleared.
    public static let aborted = CanaryState(rawValue: "aborted")

    public static let all: [CanaryState] = [.running, .paused, .aborted]
}

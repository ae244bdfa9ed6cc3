import Foundation

/// What a model's serving should look like: the primary version, an optional canary taking a
/// share of traffic, an optional shadow receiving a mirrored copy. This is the record of truth;
/// the serving layer acts on it.
public struct Deployment: Codable, Sendable, Equatable {
    public struct Canary: Codable, Sendable, Equatable {
        public var version: Int
        /// Percent of traffic, 0–100.
        public var weight: Int
        public var state: CanaryState
        /// How the canary controller steps it; nil for a canary stepped by hand.
        public var plan: CanaryPlan?
        /// When the current weight or state was set (ISO-8601 UTC): the analysis window starts here.
        public var stepStartedAt: String?

        public init(version: Int, weight: Int, state: CanaryState, plan: CanaryPlan? = nil, stepStartedAt: String? = nil) {
            self.version = version
            self.weight = weight
            self.state = state
            self.plan = plan
            self.stepStartedAt = stepStartedAt
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

/// The weights a canary goes through and how long each is watched before the next.
public struct CanaryPlan: Codable, Sendable, Equatable {
    /// Ascending percentages ending at 100 (reaching 100 promotes the canary to primary).
    public var steps: [Int]
    /// Seconds of traffic the monitors judge at each step.
    public var windowSeconds: Double

    enum CodingKeys: String, CodingKey {
        case steps
        case windowSeconds = "window_seconds"
    }

    public init(steps: [Int], windowSeconds: Double) {
        self.steps = steps
        self.windowSeconds = windowSeconds
    }

    /// The usual progression: 10 → 25 → 50 → 100 %.
    public static let defaultSteps = [10, 25, 50, 100]

    /// Checks the steps and window, with messages that say what to give instead.
    public func validated() throws -> CanaryPlan {
        guard !steps.isEmpty, steps.allSatisfy({ (1...100).contains($0) }), zip(steps, steps.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw RegistryError(.invalidArgument, "canary steps \(steps) must be ascending percentages from 1 to 100, e.g. 10,25,50,100")
        }
        guard steps.last == 100 else {
            throw RegistryError(.invalidArgument, "canary steps \(steps) must end at 100 (where the canary becomes the primary)")
        }
        guard windowSeconds.isFinite, windowSeconds > 0 else {
            throw RegistryError(.invalidArgument, "the canary analysis window must be a positive number of seconds, not \(windowSeconds)")
        }
        return self
    }

    /// The weight after `weight`, or nil at the last step.
    public func step(after weight: Int) -> Int? { steps.first { $0 > weight } }

    var json: String {
        String(decoding: (try? JSONEncoder().encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    init?(json: String?) {
        guard let json, let plan = try? JSONDecoder().decode(CanaryPlan.self, from: Data(json.utf8)) else { return nil }
        self = plan
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

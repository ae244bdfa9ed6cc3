public import Foundation
public import Logging
public import ServiceLifecycle
import TesseraCore

/// Steps canaries through their plan, judged by the monitor plugins.
///
/// For each running canary with a plan whose analysis window has passed, every active monitor
/// evaluates the canary's version over the window: any `failing` aborts it (weight 0, all
/// traffic back to the primary); all `ok` advances it to the next step, and the last step
/// (100 %) promotes it to primary; anything else (`degraded`, `inconclusive`, or no monitors)
/// pauses it for an operator, who may promote, abort or restart it. Each decision starts a
/// new window (the monitors are reset), is audited by the registry and announced to the
/// exporters as an event.
public struct CanaryController: Sendable {
    public enum Decision: Equatable, Sendable {
        case advanced(to: Int)
        case promoted
        case aborted(reason: String)
        case paused(reason: String)
    }

    let state: ServerState
    let logger: Logger

    public init(state: ServerState, logger: Logger) {
        self.state = state
        self.logger = logger
    }

    static let actor = "canary-controller"

    /// Decides every canary whose window has passed at `now`; returns what was decided, by model.
    @discardableResult
    public func tick(now: Date = Date()) async throws -> [String: Decision] {
        let store = try state.requireStore()
        var decisions: [String: Decision] = [:]
        for model in try store.registry.models() {
            guard let deployment = try store.registry.deployment(of: model.name), let canary = deployment.canary,
                  canary.state == .running, let plan = canary.plan,
                  let started = canary.stepStartedAt.flatMap(Self.parseTime),
                  now.timeIntervalSince(started) >= plan.windowSeconds else { continue }
            let decision = decide(model: model.name, canary: canary)
            try apply(decision, model: model.name, canary: canary, plan: plan, registry: store.registry)
            try await state.serving.sync(model: model.name)
            for monitor in state.plugins.monitors { try? monitor.reset() }
            decisions[model.name] = decision
        }
        return decisions
    }

    private func decide(model: String, canary: Deployment.Canary) -> Decision {
        let monitors = state.plugins.monitors
        guard !monitors.isEmpty else { return .paused(reason: "no monitor plugin is loaded to judge the canary") }
        var unsure: [String] = []
        for monitor in monitors {
            let verdict: Verdict
            do {
                verdict = try monitor.evaluate(model: model, version: String(canary.version))
            } catch {
                unsure.append("\(monitor.name) could not evaluate: \(error.message)")
                continue
            }
            let reason = verdict.reason.map { ": \($0)" } ?? ""
            switch verdict.state {
            case .failing: return .aborted(reason: "\(monitor.name) says failing\(reason)")
            case .ok: continue
            case .degraded, .inconclusive: unsure.append("\(monitor.name) says \(verdict.state.rawValue)\(reason)")
            }
        }
        return unsure.isEmpty ? advanceDecision(canary) : .paused(reason: unsure.joined(separator: "; "))
    }

    private func advanceDecision(_ canary: Deployment.Canary) -> Decision {
        guard let next = canary.plan?.step(after: canary.weight), next < 100 else { return .promoted }
        return .advanced(to: next)
    }

    private func apply(_ decision: Decision, model: String, canary: Deployment.Canary, plan: CanaryPlan,
                       registry: Registry) throws {
        let events = Events(host: state.plugins, logger: logger)
        let version = String(canary.version)
        switch decision {
        case .advanced(let weight):
            try registry.setCanary(model: model, version: canary.version, weight: weight, actor: Self.actor)
            events.send(type: "canary.step", model: model, version: version,
                        message: "\(model): canary \(version) passed \(canary.weight)%, now \(weight)%")
        case .promoted:
            try registry.deploy(model: model, version: canary.version, actor: Self.actor)
            events.send(type: "canary.promoted", model: model, version: version,
                        message: "\(model): canary \(version) passed every step and is now the primary")
        case .aborted(let reason):
            try registry.setCanary(model: model, version: canary.version, weight: 0, state: .aborted, actor: Self.actor)
            events.send(type: "canary.aborted", model: model, version: version,
                        message: "\(model): canary \(version) aborted at \(canary.weight)%: \(reason)")
        case .paused(let reason):
            try registry.setCanary(model: model, version: canary.version, weight: canary.weight, state: .paused, actor: Self.actor)
            events.send(type: "canary.paused", model: model, version: version,
                        message: "\(model): canary \(version) paused at \(canary.weight)%: \(reason)")
        }
        logger.info("canary decision", metadata: ["model": "\(model)", "version": "\(version)", "decision": "\(decision)"])
    }

    static func parseTime(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}

/// Runs the canary controller every `interval` until graceful shutdown.
public struct CanaryControllerService: Service {
    let controller: CanaryController
    let interval: Duration

    public init(controller: CanaryController, interval: Duration = .seconds(1)) {
        self.controller = controller
        self.interval = interval
    }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    do {
                        try await controller.tick()
                    } catch {
                        controller.logger.warning("canary controller round failed", metadata: ["error": "\(error)"])
                    }
                    try await Task.sleep(for: interval)
                }
            }
        } catch is CancellationError {}
    }
}

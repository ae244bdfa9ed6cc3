import ArgumentParser
import TesseraCore

struct DeployCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Make a version the model's primary, or start a canary or a shadow of it (audited).",
        discussion: """
            REFERENCE is NAME:VERSION, NAME@ALIAS, or NAME (its production alias, else its latest \
            version). A plain deploy replaces the primary (blue-green: the daemon loads and warms \
            the new version, then switches); the previous primary is kept so `tessera rollback` can \
            return to it.

            --canary N sends N% of requests to the version. With --steps (default 10,25,50,100 when \
            --canary is not given) the daemon's canary controller moves it up one step after each \
            --window seconds of traffic the monitor plugins judge ok, promotes it at 100, aborts it \
            when a monitor says failing, and pauses it otherwise. `tessera promote` and `tessera \
            abort` decide by hand.

            --shadow F mirrors a fraction F (0–1) of requests to the version; its answers are \
            compared with the primary's (GET /v2/models/NAME/stats) and discarded. --shadow 0 stops it.

            Examples:
              tessera deploy iris:2
              tessera deploy iris:2 --canary 10                 # stays at 10% until promote/abort
              tessera deploy iris:2 --steps 10,50,100 --window 120
              tessera deploy iris:3 --shadow 0.5
            """
    )

    @OptionGroup var options: StoreOptions
    @Argument(help: "What to deploy: NAME, NAME:VERSION or NAME@ALIAS.") var reference: String
    @Option(help: "Start a canary taking this percent of requests (0–99).") var canary: Int?
    @Option(help: "Canary weight steps, comma-separated, ending at 100 (e.g. 10,25,50,100).") var steps: String?
    @Option(help: "Seconds of traffic judged at each canary step (default 60).") var window: Double?
    @Option(help: "Mirror this fraction (0–1) of requests to the version instead; 0 stops mirroring.") var shadow: Double?

    func validate() throws {
        if shadow != nil, canary != nil || steps != nil || window != nil {
            throw ValidationError("--shadow cannot be combined with --canary, --steps or --window")
        }
        if let shadow, !(0...1).contains(shadow) {
            throw ValidationError("--shadow takes a fraction from 0 to 1, e.g. 0.25")
        }
        if let canary, !(0...99).contains(canary) {
            throw ValidationError("--canary takes a percentage from 0 to 99; deploy without it to send all traffic")
        }
    }

    func run() throws {
        let backend = try options.backend()
        let version = try backend.resolve(reference)
        let name = version.model
        if let shadow {
            if shadow == 0 {
                try backend.clearShadow(model: name)
                print("\(name): no shadow")
            } else {
                let deployment = try backend.setShadow(model: name, version: version.number, fraction: shadow)
                print("\(name): mirroring \(Int((shadow * 100).rounded()))% of requests to \(version.number) (primary \(deployment.primary))")
            }
            return
        }
        if canary != nil || steps != nil || window != nil {
            let plan = try self.plan()
            let deployment = try backend.startCanary(model: name, version: version.number, weight: canary, plan: plan)
            let weight = deployment.canary?.weight ?? 0
            if let plan {
                print("\(name): canary \(version.number) at \(weight)%, steps \(plan.steps.map(String.init).joined(separator: " → ")), "
                      + "\(Int(plan.windowSeconds)) s each (primary \(deployment.primary))")
            } else {
                print("\(name): canary \(version.number) at \(weight)% until `tessera promote \(name)` or `tessera abort \(name)`")
            }
            return
        }
        let (before, deployment) = try backend.deploy(model: name, version: version.number)
        switch before {
        case nil: print("\(name): primary is now \(deployment.primary)")
        case deployment.primary?: print("\(name): \(deployment.primary) is already the primary")
        case let old?: print("\(name): primary \(old) → \(deployment.primary)")
        }
    }

    /// The canary's plan: none for a bare --canary N (stepped by hand), else steps and window.
    private func plan() throws -> CanaryPlan? {
        guard steps != nil || window != nil || canary == nil else { return nil }
        var parsed = CanaryPlan.defaultSteps
        if let steps {
            let parts = steps.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else {
                throw ValidationError("--steps '\(steps)' is not a comma-separated list of percentages such as 10,25,50,100")
            }
            parsed = parts.map { $0! }
        }
        do {
            return try CanaryPlan(steps: parsed, windowSeconds: window ?? 60).validated()
        } catch let error as RegistryError {
            throw ValidationError(error.message)
        }
    }
}

struct RollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Return a model's primary to the previous one (or to --to VERSION)."
    )

    @OptionGroup var options: StoreOptions
    @Argument(help: "The model's name.") var name: String
    @Option(help: "A version that was primary before.") var to: Int?

    func run() throws {
        let (from, target) = try options.backend().rollback(model: name, to: to)
        print("\(name): primary \(from) → \(target)")
    }
}

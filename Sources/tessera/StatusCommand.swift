import ArgumentParser
import Foundation
import TesseraCore

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "What each model serves: primary, canary weight and step, shadow, and (with --url) what is loaded.",
        discussion: "Without --url this reads the store's deployments; with --url the daemon also reports the versions it has loaded, their queues and any version it cannot serve."
    )

    @OptionGroup var options: StoreOptions
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() throws {
        let models = try options.backend().status()
        if json {
            try printJSON(models.map(Row.init))
            return
        }
        guard !models.isEmpty else {
            print("no models; register one with `tessera register NAME FILE`")
            return
        }
        var table = Table("MODEL", "PRIMARY", "CANARY", "SHADOW", "LOADED", "PROBLEM")
        for model in models {
            let row = Row(model)
            table.add(row.model, row.primary.map(String.init) ?? "-", row.canary ?? "-", row.shadow ?? "-",
                      row.loaded ?? "(no daemon)", row.problem ?? "")
        }
        print(table.render())
    }

    /// One model's status as printed.
    struct Row: Encodable {
        let model: String
        let primary: Int?
        let canary: String?
        let shadow: String?
        let loaded: String?
        let problem: String?

        init(_ status: ServingStatus) {
            model = status.name
            primary = status.deployment?.primary
            canary = status.deployment?.canary.map { canary in
                let plan = canary.plan.map { " of \($0.steps.map(String.init).joined(separator: "→"))" } ?? ""
                return "\(canary.version) @ \(canary.weight)%\(plan) (\(canary.state))"
            }
            shadow = status.deployment?.shadow.map { "\($0.version) @ \(Int(($0.fraction * 100).rounded()))%" }
            loaded = status.loaded.map { versions in
                versions.isEmpty ? "none" : versions.map { "\($0.version):\($0.role)" }.joined(separator: ", ")
            }
            problem = status.problem
        }
    }
}

import ArgumentParser
import TesseraCore

struct PromoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Make a model's canary its primary now, whatever step it is at (audited)."
    )

    @OptionGroup var options: StoreOptions
    @Argument(help: "The model's name.") var name: String

    func run() throws {
        let deployment = try options.backend().promote(model: name)
        print("\(name): canary promoted; primary is now \(deployment.primary)")
    }
}

struct AbortCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abort",
        abstract: "Stop a model's canary: all traffic back to the primary (audited).",
        discussion: "The aborted canary stays recorded (weight 0) until another canary or deploy replaces it."
    )

    @OptionGroup var options: StoreOptions
    @Argument(help: "The model's name.") var name: String

    func run() throws {
        let deployment = try options.backend().abort(model: name)
        print("\(name): canary \(deployment.canary.map { String($0.version) } ?? "?") aborted; all traffic to \(deployment.primary)")
    }
}

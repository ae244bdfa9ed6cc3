import ArgumentParser
import TesseraCore

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show the audit log, newest first: who did what, when, with before and after."
    )

    @OptionGroup var options: StoreOptions
    @Argument(help: "Only events of this model.") var name: String?
    @Option(help: "How many events.") var limit = 50
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let events = try options.backend().audit(model: name, limit: limit)
        if json { return try printJSON(events) }
        var table = Table("ID", "AT", "ACTOR", "ACTION", "MODEL", "VERSION", "CHANGE")
        for event in events {
            let change = [event.before.map { "before \($0.jsonText)" }, event.after.map { "after \($0.jsonText)" }]
                .compactMap { $0 }.joined(separator: "; ")
            table.add(String(event.id), event.at, event.actor, event.action.rawValue, event.model ?? "-",
                      event.version.map(String.init) ?? "-", change.isEmpty ? "-" : change)
        }
        print(table.render())
    }
}

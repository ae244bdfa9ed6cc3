import ArgumentParser
import TesseraCore

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two versions of a model: signature, size, format, lineage, parameters, metrics."
    )

    @OptionGroup var options: StoreOptions
    @Argument(help: "The model's name.") var name: String
    @Argument(help: "The first version number.") var first: Int
    @Argument(help: "The second version number.") var second: Int
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let backend = try options.backend()
        let a = try backend.resolve("\(name):\(first)")
        let b = try backend.resolve("\(name):\(second)")
        let rows = VersionDiff.rows(a, b)
        if json { return try printJSON(rows) }
        var table = Table("FIELD", "V\(first)", "V\(second)")
        for row in rows { table.add(row.field + (row.differs ? " *" : ""), row.first, row.second) }
        print(table.render())
        let changed = rows.filter(\.differs).count
        print(changed == 0 ? "\nno differences" : "\n\(changed) field\(changed == 1 ? "" : "s") differ (marked *)")
    }
}

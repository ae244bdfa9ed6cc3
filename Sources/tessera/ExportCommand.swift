import ArgumentParser
import Foundation
import TesseraCore

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Copy a version's file or folder out of the store, checking every byte.",
        discussion: "REFERENCE is NAME:VERSION, NAME@ALIAS or NAME. DESTINATION must not exist yet: a file path for a single-file model, a folder for a folder model."
    )

    @OptionGroup var options: StoreOptions
    @Argument(help: "NAME, NAME:VERSION or NAME@ALIAS.") var reference: String
    @Argument(help: "Where to write it.") var destination: String

    func run() throws {
        guard options.url == nil else {
            throw ValidationError("export copies out of the store folder; run it where the store is (without --url)")
        }
        let store = try options.open()
        let version = try store.registry.resolve(reference)
        let bar = ProgressBar("exporting")
        try store.export(version, to: URL(fileURLWithPath: destination), progress: bar.update)
        bar.finish()
        print("exported \(version.model):\(version.number) to \(destination)")
    }
}

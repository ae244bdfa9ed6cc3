import ArgumentParser
import Foundation
import TesseraCore

struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Check the store's integrity or remove unreferenced objects.",
        subcommands: [StoreVerify.self, StoreGC.self]
    )
}

struct StoreVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-hash every object; report corrupt, stray and missing ones. Exits 1 on any problem."
    )

    @OptionGroup var options: StoreOptions

    func run() throws {
        guard options.url == nil else { throw ValidationError("verify reads the store folder; run it where the store is (without --url)") }
        let store = try options.open()
        let bar = ProgressBar("verifying")
        let result = try store.verify { bar.update($0.bytesDone, $0.bytesTotal) }
        bar.finish()
        let report = result.report
        print("checked \(report.checked) objects (\(formatBytes(report.bytesChecked)))")
        for corrupt in report.corrupt { print("corrupt: \(corrupt)") }
        for file in report.unexpected { print("unexpected file: \(file)") }
        for broken in result.brokenVersions { print("missing: \(broken.model):\(broken.version) needs \(broken.digest)") }
        for digest in report.missing where !result.brokenVersions.contains(where: { $0.digest == digest }) {
            print("missing: object \(digest) listed by a folder's manifest")
        }
        if result.isClean {
            print("store is consistent")
        } else {
            throw ExitCode(1)
        }
    }
}

struct StoreGC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Remove objects no version references (--dry-run to only list them)."
    )

    @OptionGroup var options: StoreOptions
    @Flag(help: "List what would be removed, remove nothing.") var dryRun = false

    func run() throws {
        guard options.url == nil else { throw ValidationError("gc works on the store folder; run it where the store is (without --url)") }
        let store = try options.open()
        let bar = ProgressBar("collecting")
        let report = try store.collectGarbage(dryRun: dryRun) { bar.update($0.bytesDone, $0.bytesTotal) }
        bar.finish()
        for digest in report.removed { print("\(dryRun ? "would remove" : "removed") \(digest)") }
        print("\(dryRun ? "would free" : "freed") \(formatBytes(report.bytesFreed)) in \(report.removed.count) object\(report.removed.count == 1 ? "" : "s"); \(report.kept) kept")
    }
}

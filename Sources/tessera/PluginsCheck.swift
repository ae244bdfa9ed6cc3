import ArgumentParser
import Foundation
import TesseraCore

struct PluginsCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a plugin library: ABI, negotiation, and a smoke call per capability.",
        discussion: """
            Loads the library in this process exactly as tesserad would (dlopen, entry symbol, ABI \
            version, fingerprint, create, activate), calls each capability it declares once with \
            harmless input, then stops it. Exits 0 when every step passes, 1 otherwise.

            Pass settings as the plugin would get them from [plugins.settings]:
              tessera plugins check ./libmy-exporter.so --setting path=/tmp/events.jsonl --setting verbose=true
            """
    )

    @Argument(help: "The plugin library (.so) to check.")
    var path: String

    @Option(name: .customLong("setting"), help: "A setting KEY=VALUE (VALUE as in TOML: 20, 0.5, true, \"text\" or bare text). Repeatable.")
    var settings: [String] = []

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        var parsed = PluginSettings()
        for setting in settings {
            guard let equals = setting.firstIndex(of: "="), equals != setting.startIndex else {
                throw ValidationError("--setting '\(setting)' is not KEY=VALUE")
            }
            parsed[String(setting[..<equals])] = SettingValue(parsing: String(setting[setting.index(after: equals)...]))
        }
        let report = PluginChecker(path: path, settings: parsed).run()
        if json {
            try printJSON(report)
        } else {
            let info = report.plugin
            print("plugin:  \(info.name)\(info.version.map { " \($0)" } ?? "")\(info.id.map { " (\($0))" } ?? "")")
            print("file:    \(report.path)")
            if !info.capabilities.isEmpty { print("provides: \(info.capabilities.joined(separator: ", "))") }
            print("")
            for step in report.steps {
                print("\(step.passed ? "PASS" : "FAIL")  \(step.name): \(step.detail)")
            }
            print("")
            print(report.passed ? "verdict: PASS — the plugin conforms to ABI \(info.abi ?? "?")" : "verdict: FAIL")
        }
        if !report.passed { throw ExitCode(1) }
    }
}

import ArgumentParser
import Foundation
import TesseraCore

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check a tessera.toml, or print the built-in one.",
        subcommands: [ConfigCheck.self, ConfigDefault.self]
    )
}

struct ConfigCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a configuration file without starting anything.",
        discussion: """
            Reports every problem with its file, line and key: TOML syntax, unknown keys, values \
            of the wrong type, plugin files that do not exist, bundled plugin names that are not \
            installed, malformed sha256 pins. With --load-plugins it also loads each plugin in \
            this process, so ABI refusals and rejected settings show up too. Exits 1 on any problem.
            """
    )

    @Argument(help: "The configuration file.")
    var file: String

    @Flag(help: "Also load every enabled plugin, to check ABI compatibility and settings.")
    var loadPlugins = false

    func run() throws {
        var issues: [ConfigIssue] = []
        do {
            let config = try ConfigLoader.load(path: file)
            issues += ConfigLoader.checkPluginFiles(config)
            if issues.isEmpty, loadPlugins {
                let host = PluginHost(hostName: "tessera config check")
                for (spec, plugin) in zip(config.plugins, host.load(config.plugins, baseDirectory: config.baseDirectory)) {
                    if plugin.state == .failed {
                        issues.append(ConfigIssue(file: file, line: spec.line, key: "plugins (\(spec.source))", message: plugin.info.reason ?? "failed"))
                    }
                }
                host.shutdown()
            }
        } catch {
            issues += error.issues
        }
        if issues.isEmpty {
            print("\(file): OK")
        } else {
            for issue in issues { print(issue) }
            print("\(issues.count) problem\(issues.count == 1 ? "" : "s") in \(file)")
            throw ExitCode(1)
        }
    }
}

struct ConfigDefault: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "default",
        abstract: "Print the embedded default configuration, to start a tessera.toml from."
    )

    func run() {
        print(ConfigLoader.embeddedDefault, terminator: "")
    }
}

import ArgumentParser
import Foundation
import Logging
import TesseraCore

/// The `tessera` command line: drives the daemon over HTTP and works offline on plugins and
/// configuration files.
@main
struct Tessera: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "Operate Tessera: the model store, deployments, plugins and configuration.",
        discussion: """
            Store commands (models, register, versions, diff, alias, tag, deploy, rollback, promote, \
            abort, status, audit, export, store) work on the store folder (--store, default ./.tessera), safely beside a \
            running daemon, or through the daemon with --url. `plugins list` asks the daemon at \
            --url (default $TESSERA_URL or http://127.0.0.1:8080). The management token comes from \
            --token, $TESSERA_MANAGEMENT_TOKEN or the store's management-token file.

            Examples:
              tessera register bert ./model.safetensors --alias staging
              tessera versions bert
              tessera deploy bert:2 && tessera rollback bert
              tessera deploy bert:3 --steps 10,50,100 --window 120 && tessera status --url http://127.0.0.1:8080
              tessera plugins list
              tessera plugins check ./libmy-plugin.so --setting p99_ms=20
              tessera config check tessera.toml
              tessera inspect model.onnx && tessera convert model.onnx weights.safetensors
            """,
        version: TesseraCore.version,
        subcommands: [
            ModelsCommand.self, RegisterCommand.self, VersionsCommand.self, DiffCommand.self, AliasCommand.self,
            TagCommand.self, DeployCommand.self, RollbackCommand.self, PromoteCommand.self, AbortCommand.self,
            StatusCommand.self, AuditCommand.self, ExportCommand.self,
            StoreCommand.self, InspectCommand.self, RunCommand.self, EmbedCommand.self, ConvertCommand.self, PluginsCommand.self, ConfigCommand.self,
            VersionCommand.self,
        ]
    )

    /// Parses and runs the command with logging kept quiet: the CLI reports what matters itself
    /// (failed plugins in its tables, problems as errors). TESSERA_LOG_LEVEL=info shows the
    /// plugin host's log lines.
    static func main() async {
        let level = ProcessInfo.processInfo.environment["TESSERA_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

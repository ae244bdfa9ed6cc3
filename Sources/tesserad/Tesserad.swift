import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import TesseraCore
import TesseraServer

/// The Tessera daemon: loads the configured plugins, serves HTTP, and shuts down gracefully
/// on SIGTERM or SIGINT.
@main
struct Tesserad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tesserad",
        abstract: "Serve and operate machine-learning models.",
        discussion: """
            Without --config, tesserad runs on its embedded default configuration: it listens on \
            127.0.0.1:8080, keeps its store in ./.tessera and loads every bundled plugin. \
            Print that configuration with `tessera config default`.

            The management API (/v1 and the repository extension /v2/repository) needs a bearer token. On first start tesserad writes one to \
            <store>/management-token (mode 0600); TESSERA_MANAGEMENT_TOKEN overrides it. \
            Inference (/v2) is open unless TESSERA_INFERENCE_TOKEN is set.

            SIGTERM (or SIGINT) drains in-flight requests, then exits. SIGHUP re-reads --config: \
            new plugins are loaded; changes that need a restart are logged and not applied.

            On first start with an empty store, tesserad registers and deploys a small demo \
            model, `iris` (an iris species classifier), unless --no-demo or --model is given. \
            --model NAME=PATH registers PATH (unless its newest version already has the same \
            contents) and deploys it before serving; a model that cannot be read stops the daemon.
            """,
        version: TesseraCore.version
    )

    @Option(name: .shortAndLong, help: "Configuration file (TOML). Default: the embedded configuration.")
    var config: String?

    @Option(help: "Listen address HOST:PORT, overriding the configuration's server.listen.")
    var listen: String?

    @Flag(help: "Exit if any plugin fails to load, instead of running without it.")
    var strict = false

    @Flag(help: "Load no plugins given by path: only bundled ones.")
    var safeMode = false

    @Flag(help: "Do not install the demo model (iris) into an empty store.")
    var noDemo = false

    @Option(name: .customLong("model"), help: ArgumentHelp(
        "Register (unless unchanged) and deploy a model before serving, as NAME=PATH; repeatable.",
        discussion: "PATH is a model file or folder; a folder no plugin reads as a whole may hold exactly one model file (KServe's /mnt/models)."))
    var modelArguments: [String] = []

    mutating func run() async throws {
        let startupModels: [StartupModel]
        do {
            startupModels = try modelArguments.map { try StartupModel(argument: $0) }
        } catch {
            throw ValidationError("\(error)")
        }
        var settings: TesseraConfig
        do {
            settings = try config.map { try ConfigLoader.load(path: $0) } ?? ConfigLoader.loadDefault()
        } catch {
            throw ValidationError("the configuration has problems:\n\(error)")
        }
        var listenOverride: (host: String, port: Int)?
        if let listen {
            guard let (host, port) = ConfigLoader.hostAndPort(listen) else {
                throw ValidationError("--listen '\(listen)' is not HOST:PORT, e.g. 127.0.0.1:8080")
            }
            settings.host = host
            settings.port = port
            listenOverride = (host, port)
        }
        let logger = Self.makeLogger(level: settings.logLevel)

        let store = URL(fileURLWithPath: settings.storePath, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        try FileManager.default.createDirectory(at: store, withIntermediateDirectories: true)
        let token = try ManagementToken.load(storeDirectory: store.path)
        let models: ModelStore
        do {
            models = try ModelStore(root: store)
        } catch {
            throw ValidationError("cannot open the model store at \(store.path): \(error)")
        }

        let plugins = PluginHost(hostName: "tesserad", logger: logger)
        let specs = safeMode ? settings.plugins.filter { if case .bundled = $0.source { true } else { false } } : settings.plugins
        plugins.load(specs, baseDirectory: settings.baseDirectory)
        for problem in plugins.problems {
            logger.warning("running without plugin", metadata: ["plugin": "\(problem.name)", "reason": "\(problem.reason ?? "")"])
        }
        if strict, !plugins.problems.isEmpty {
            plugins.shutdown()
            throw ValidationError("--strict: \(plugins.problems.count) plugin(s) failed to load:\n"
                + plugins.problems.map { "  \($0.name): \($0.reason ?? "")" }.joined(separator: "\n"))
        }
        Events(host: plugins, logger: logger).send(type: "daemon.started",
            message: "tesserad \(TesseraCore.version) listening on \(settings.host):\(settings.port)")

        var running = settings
        running.plugins = specs
        let reloader = ConfigReloader(running: running, host: plugins, overrideListen: listenOverride, logger: logger)
        reloader.start()
        for model in startupModels {
            do {
                try model.install(store: models, plugins: plugins, logger: logger)
            } catch {
                logger.critical("cannot serve a model given with --model", metadata: ["error": "\(error)"])
                plugins.shutdown()
                throw ExitCode.failure
            }
        }
        if !noDemo { DemoModel.installIfEmpty(store: models, plugins: plugins, logger: logger) }
        let inferenceToken = ProcessInfo.processInfo.environment["TESSERA_INFERENCE_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        let serving = ModelServing(store: models, plugins: plugins, options: ModelServing.Options(settings.serving))
        let state = ServerState(plugins: plugins, store: models, managementToken: token, inferenceToken: inferenceToken,
                                serving: serving, maxRequestBytes: settings.limits.maxRequestBytes)
        let app = TesseraServer.makeApplication(state: state, host: settings.host, port: settings.port,
                                                limits: settings.limits, logger: logger)
        // Shutdown runs in reverse: the server drains first, then serving retires its
        // versions, then the plugins stop.
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: PluginHostService(host: plugins)),
                           .init(service: ServingSyncService(serving: state.serving)),
                           .init(service: CanaryControllerService(controller: CanaryController(state: state, logger: logger))),
                           .init(service: app)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        logger.info("tesserad starting", metadata: ["listen": "\(settings.host):\(settings.port)", "config": "\(settings.source)"])
        try await group.run()
        logger.info("tesserad stopped")
    }

    static func makeLogger(level: String) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = DeferredMetadataLogHandler(StreamLogHandler.standardError(label: label))
            handler.logLevel = Logger.Level(rawValue: level) ?? .info
            return handler
        }
        return Logger(label: "tesserad")
    }
}

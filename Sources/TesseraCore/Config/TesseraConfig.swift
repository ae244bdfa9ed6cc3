/// The daemon's configuration, as read from `tessera.toml` (or the embedded default).
public struct TesseraConfig: Sendable, Equatable {
    /// Where the HTTP server listens.
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    /// Request size limits and the idle timeout (`[server]`).
    public var limits = ServerLimits()
    /// The model store's folder.
    public var storePath: String = ".tessera"
    /// Log level: trace, debug, info, notice, warning, error, critical.
    public var logLevel: String = "info"
    /// Plugins in load order.
    public var plugins: [PluginSpec] = []
    /// Queueing and batching of inference requests (`[serving]`).
    public var serving = ServingSettings()
    /// The file the configuration came from ("<embedded default>" for the built-in one).
    public var source: String = ConfigLoader.embeddedName
    /// Folder that relative plugin paths resolve against (the file's folder); nil: the
    /// working directory.
    public var baseDirectory: String?

    public init() {}
}

/// One thing wrong with a configuration, located by file, line and key.
public struct ConfigIssue: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    /// Dotted key path, e.g. `plugins[2].sha256`; empty for problems with the file as a whole.
    public var key: String
    public var message: String

    public init(file: String, line: Int?, key: String, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        return key.isEmpty ? "\(place): \(message)" : "\(place): \(key): \(message)"
    }
}

/// A configuration that could not be used, with every issue found.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var issues: [ConfigIssue]
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}

/// `[serving]`: how each loaded model version queues and batches requests, and how long a
/// replaced version stays loaded. The defaults suit small models on a few cores.
public struct ServingSettings: Sendable, Equatable {
    /// Most rows (requests' first dimension, summed) per engine run.
    public var maxBatchSize = 16
    /// How long the oldest queued request may wait for others to join its batch, in ms.
    public var maxQueueDelayMilliseconds = 0.0
    /// Requests that may wait per version; more get 503 with Retry-After.
    public var queueCapacity = 256
    /// Engine runs in flight per version.
    public var instances = 1
    /// A request queued longer than this fails with 503, in ms.
    public var queueTimeoutMilliseconds = 30_000.0
    /// How long a replaced version stays loaded so rollback is instant, in seconds.
    public var rollbackGraceSeconds = 300.0

    public init() {}
}

/// `[server]` limits on what one client may send, so no single connection can exhaust the
/// daemon's memory or hold a connection open for nothing.
public struct ServerLimits: Sendable, Equatable {
    /// Largest request body, in bytes (a larger one gets 413).
    public var maxRequestBytes = 64 << 20
    /// Largest header block (request line not included), in bytes; a single field is held to
    /// the same bound.
    public var maxHeaderBytes = 32 << 10
    /// Most header fields in one request.
    public var maxHeaderCount = 100
    /// A keep-alive connection idle this long is closed, in seconds.
    public var idleTimeoutSeconds = 60.0

    public init() {}
}

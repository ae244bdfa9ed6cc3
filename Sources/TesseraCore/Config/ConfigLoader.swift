import Foundation

/// Reads `tessera.toml` into a `TesseraConfig`, collecting every problem with its file, line
/// and key instead of stopping at the first.
public enum ConfigLoader {
    /// The name used for the embedded default in messages.
    public static let embeddedName = "<embedded default>"

    /// Reads and checks the file at `path`.
    public static func load(path: String) throws(ConfigError) -> TesseraConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(issues: [ConfigIssue(file: path, line: nil, key: "",
                message: "cannot read the configuration file: \(FileManager.default.fileExists(atPath: path) ? "it is not readable UTF-8 text" : "no such file")")])
        }
        var config = try parse(text, file: path)
        config.baseDirectory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return config
    }

    /// The embedded default configuration.
    public static func loadDefault() -> TesseraConfig {
        // The default is part of the build and covered by tests; failing here is a bug.
        do { return try parse(embeddedDefault, file: embeddedName) } catch { fatalError("embedded default configuration is invalid: \(error)") }
    }

    /// Checks `text`, naming `file` in messages.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> TesseraConfig {
        let root: TOMLTable
        do {
            root = try TOMLParser.parse(text)
        } catch {
            throw ConfigError(issues: [ConfigIssue(file: file, line: error.position.line, key: "", message: "TOML syntax: \(error.message)")])
        }
        var reader = Reader(file: file)
        var config = TesseraConfig()
        config.source = file
        reader.read(root, into: &config)
        guard reader.issues.isEmpty else { throw ConfigError(issues: reader.issues) }
        return config
    }

    /// Walks the document, recording issues.
    private struct Reader {
        let file: String
        var issues: [ConfigIssue] = []

        mutating func issue(_ line: Int?, _ key: String, _ message: String) {
            issues.append(ConfigIssue(file: file, line: line, key: key, message: message))
        }

        mutating func read(_ root: TOMLTable, into config: inout TesseraConfig) {
            for entry in root.entries {
                switch entry.key {
                case "server":
                    guard let table = self.table(entry.node, entry.key) else { continue }
                    readServer(table, into: &config)
                case "store":
                    guard let table = self.table(entry.node, entry.key) else { continue }
                    for item in table.entries {
                        switch item.key {
                        case "path": if let path = string(item.node, "store.path") { config.storePath = path }
                        default: unknown(item.key, in: "store", line: item.keyPosition.line, accepted: ["path"])
                        }
                    }
                case "log":
                    guard let table = self.table(entry.node, entry.key) else { continue }
                    for item in table.entries {
                        switch item.key {
                        case "level":
                            guard let level = string(item.node, "log.level") else { continue }
                            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
                            if levels.contains(level) { config.logLevel = level } else {
                                issue(item.node.position.line, "log.level", "'\(level)' is not a log level; use one of \(levels.joined(separator: ", "))")
                            }
                        default: unknown(item.key, in: "log", line: item.keyPosition.line, accepted: ["level"])
                        }
                    }
                case "serving":
                    guard let table = self.table(entry.node, entry.key) else { continue }
                    readServing(table, into: &config.serving)
                case "plugins":
                    guard case .array(let items) = entry.node.value else {
                        issue(entry.keyPosition.line, "plugins", "expected an array of tables ([[plugins]]), got \(entry.node.value.typeName)")
                        continue
                    }
                    for (index, item) in items.enumerated() {
                        guard let table = self.table(item, "plugins[\(index + 1)]") else { continue }
                        if let spec = readPlugin(table, index: index + 1) { config.plugins.append(spec) }
                    }
                default:
                    unknown(entry.key, in: "", line: entry.keyPosition.line, accepted: ["server", "store", "log", "serving", "plugins"])
                }
            }
        }

        mutating func readServer(_ table: TOMLTable, into config: inout TesseraConfig) {
            for item in table.entries {
                switch item.key {
                case "listen":
                    guard let listen = string(item.node, "server.listen") else { continue }
                    if let (host, port) = Self.hostAndPortImpl(listen) {
                        config.host = host
                        config.port = port
                    } else {
                        issue(item.node.position.line, "server.listen", "'\(listen)' is not HOST:PORT with a port from 0 to 65535, e.g. \"127.0.0.1:8080\"")
                    }
                case "max_request_mb":
                    if let value = serverNumber(item, range: 0.001...4096) { config.limits.maxRequestBytes = Int(value * 1_048_576) }
                case "max_header_kb":
                    if let value = serverNumber(item, range: 1...1024) { config.limits.maxHeaderBytes = Int(value * 1024) }
                case "max_headers":
                    if let value = serverNumber(item, range: 1...10_000, whole: true) { config.limits.maxHeaderCount = Int(value) }
                case "idle_timeout_s":
                    if let value = serverNumber(item, range: 0.1...86_400) { config.limits.idleTimeoutSeconds = value }
                default:
                    unknown(item.key, in: "server", line: item.keyPosition.line,
                            accepted: ["listen", "max_request_mb", "max_header_kb", "max_headers", "idle_timeout_s"])
                }
            }
        }

        /// A `[server]` number within `range` (a whole one when `whole`), or nil after
        /// recording why not.
        mutating func serverNumber(_ item: TOMLEntry, range: ClosedRange<Double>, whole: Bool = false) -> Double? {
            let key = "server.\(item.key)"
            guard let number = number(item, key: key) else { return nil }
            guard range.contains(number), !whole || number == number.rounded() else {
                let kind = whole ? "a whole number" : "a number"
                let text = { (x: Double) in x == x.rounded() && abs(x) < 1e15 ? "\(Int(x))" : "\(x)" }
                issue(item.node.position.line, key, "expected \(kind) from \(text(range.lowerBound)) to \(text(range.upperBound)), got \(text(number))")
                return nil
            }
            return number
        }

        /// An integer or float entry as a finite Double, or nil after recording that it is not one.
        mutating func number(_ item: TOMLEntry, key: String) -> Double? {
            let number: Double? = switch item.node.value {
            case .integer(let value): Double(value)
            case .float(let value): value
            default: nil
            }
            guard let number, number.isFinite else {
                issue(item.node.position.line, key, "expected a number, got \(item.node.value.typeName)")
                return nil
            }
            return number
        }

        mutating func readServing(_ table: TOMLTable, into serving: inout ServingSettings) {
            let keys = ["max_batch_size", "max_queue_delay_ms", "queue_capacity", "instances", "queue_timeout_ms", "rollback_grace_s"]
            for item in table.entries {
                let key = "serving.\(item.key)"
                let line = item.node.position.line
                guard keys.contains(item.key) else {
                    unknown(item.key, in: "serving", line: item.keyPosition.line, accepted: keys)
                    continue
                }
                guard let number = number(item, key: key) else { continue }
                func whole(_ range: ClosedRange<Int>) -> Int? {
                    guard number == number.rounded(), range.contains(Int(number)) else {
                        issue(line, key, "expected a whole number from \(range.lowerBound) to \(range.upperBound), got \(number)")
                        return nil
                    }
                    return Int(number)
                }
                func atLeast(_ low: Double, strictly: Bool = false) -> Double? {
                    guard strictly ? number > low : number >= low else {
                        issue(line, key, "expected a number \(strictly ? "above" : "of at least") \(low), got \(number)")
                        return nil
                    }
                    return number
                }
                switch item.key {
                case "max_batch_size": if let value = whole(1...4096) { serving.maxBatchSize = value }
                case "max_queue_delay_ms": if let value = atLeast(0) { serving.maxQueueDelayMilliseconds = value }
                case "queue_capacity": if let value = whole(1...1_000_000) { serving.queueCapacity = value }
                case "instances": if let value = whole(1...64) { serving.instances = value }
                case "queue_timeout_ms": if let value = atLeast(0, strictly: true) { serving.queueTimeoutMilliseconds = value }
                default: if let value = atLeast(0) { serving.rollbackGraceSeconds = value }
                }
            }
        }

        mutating func readPlugin(_ table: TOMLTable, index: Int) -> PluginSpec? {
            let key = "plugins[\(index)]"
            var name: String?, path: String?, sha256: String?, enabled = true
            var settings = PluginSettings()
            for item in table.entries {
                switch item.key {
                case "name": name = string(item.node, "\(key).name")
                case "path": path = string(item.node, "\(key).path")
                case "sha256":
                    guard let pin = string(item.node, "\(key).sha256") else { continue }
                    if pin.count == 64, pin.allSatisfy(\.isHexDigit) { sha256 = pin.lowercased() } else {
                        issue(item.node.position.line, "\(key).sha256", "expected 64 hexadecimal digits (the output of `sha256sum FILE`), got '\(pin)'")
                    }
                case "enabled":
                    if case .bool(let value) = item.node.value { enabled = value } else {
                        issue(item.node.position.line, "\(key).enabled", "expected true or false, got \(item.node.value.typeName)")
                    }
                case "settings":
                    guard let settingsTable = self.table(item.node, "\(key).settings") else { continue }
                    for setting in settingsTable.entries {
                        settings[setting.key] = Self.settingValue(setting.node.value)
                    }
                default:
                    unknown(item.key, in: key, line: item.keyPosition.line, accepted: ["name", "path", "sha256", "enabled", "settings"])
                }
            }
            let line = table.position.line
            switch (name, path) {
            case (nil, nil):
                issue(line, key, "a plugin needs `name` (a bundled plugin: \(BundledPlugins.knownNames.joined(separator: ", "))) or `path` (a library file)")
                return nil
            case (.some, .some):
                issue(line, key, "give either `name` or `path`, not both")
                return nil
            case (let name?, nil):
                guard !name.isEmpty, !name.contains("/") else {
                    issue(line, "\(key).name", "'\(name)' is not a plugin name; use `path` for a file")
                    return nil
                }
                return PluginSpec(source: .bundled(name), sha256: sha256, enabled: enabled, settings: settings, line: line)
            case (nil, let path?):
                guard !path.isEmpty else {
                    issue(line, "\(key).path", "must not be empty")
                    return nil
                }
                return PluginSpec(source: .path(path), sha256: sha256, enabled: enabled, settings: settings, line: line)
            }
        }

        mutating func table(_ node: TOMLNode, _ key: String) -> TOMLTable? {
            guard case .table(let table) = node.value else {
                issue(node.position.line, key, "expected a table, got \(node.value.typeName)")
                return nil
            }
            return table
        }

        mutating func string(_ node: TOMLNode, _ key: String) -> String? {
            guard case .string(let value) = node.value else {
                issue(node.position.line, key, "expected a string, got \(node.value.typeName)")
                return nil
            }
            return value
        }

        mutating func unknown(_ key: String, in section: String, line: Int, accepted: [String]) {
            let path = section.isEmpty ? key : "\(section).\(key)"
            issue(line, path, "unknown key; accepted here: \(accepted.joined(separator: ", "))")
        }

        static func settingValue(_ value: TOMLValue) -> SettingValue {
            switch value {
            case .string(let text): .string(text)
            case .integer(let number): .integer(number)
            case .float(let number): .float(number)
            case .bool(let flag): .bool(flag)
            case .datetime(let text): .string(text)
            case .array: .array(text: value.tomlText)
            case .table: .table(text: value.tomlText)
            }
        }

        /// Splits "HOST:PORT" ("[::1]:8080" for IPv6).
        fileprivate static func hostAndPortImpl(_ text: String) -> (String, Int)? {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            var host = String(text[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
            return (host, port)
        }
    }
}

extension ConfigLoader {
    /// Splits "HOST:PORT" ("[::1]:8080" for IPv6); nil when it is not that.
    public static func hostAndPort(_ text: String) -> (String, Int)? { Reader.hostAndPortImpl(text) }
}

extension ConfigLoader {
    /// Problems with the plugin files a configuration names: missing paths and bundled names
    /// that are not installed.
    public static func checkPluginFiles(_ config: TesseraConfig, bundledSearchPaths: [String] = BundledPlugins.searchPaths) -> [ConfigIssue] {
        config.plugins.enumerated().compactMap { index, spec in
            let key = "plugins[\(index + 1)]"
            switch spec.source {
            case .bundled(let name):
                if case .failure(let error) = BundledPlugins.locate(name, in: bundledSearchPaths) {
                    return ConfigIssue(file: config.source, line: spec.line, key: "\(key).name", message: error.message)
                }
            case .path(let path):
                let resolved = path.hasPrefix("/") ? path : URL(fileURLWithPath: config.baseDirectory ?? ".").appendingPathComponent(path).standardizedFileURL.path
                if !FileManager.default.fileExists(atPath: resolved) {
                    return ConfigIssue(file: config.source, line: spec.line, key: "\(key).path", message: "no file at \(resolved)")
                }
            }
            return nil
        }
    }
}

extension SettingValue {
    /// Reads a value as written on a command line: a TOML scalar (`20`, `0.5`, `true`,
    /// `"quoted"`), or else the text itself as a string.
    public init(parsing text: String) {
        if let table = try? TOMLParser.parse("v = \(text)"), let node = table["v"] {
            switch node.value {
            case .string(let value): self = .string(value)
            case .integer(let value): self = .integer(value)
            case .float(let value): self = .float(value)
            case .bool(let value): self = .bool(value)
            case .datetime: self = .string(text)
            case .array: self = .array(text: node.value.tomlText)
            case .table: self = .table(text: node.value.tomlText)
            }
        } else {
            self = .string(text)
        }
    }
}

/// One `[[plugins]]` entry of the configuration: which library, how it is pinned, whether it
/// is enabled, and the settings handed to it.
public struct PluginSpec: Sendable, Equatable {
    /// Where the library comes from.
    public enum Source: Sendable, Equatable, CustomStringConvertible {
        /// A file path (relative paths are resolved against the configuration file's folder).
        case path(String)
        /// A plugin bundled with Tessera, found by name (`libtessera-<name>.so`).
        case bundled(String)

        public var description: String {
            switch self {
            case .path(let path): path
            case .bundled(let name): name
            }
        }
    }

    public var source: Source
    /// Expected sha256 of the library file, lower-case hex; nil when not pinned.
    public var sha256: String?
    public var enabled: Bool
    public var settings: PluginSettings
    /// The configuration line of the `[[plugins]]` header, for messages.
    public var line: Int?

    public init(source: Source, sha256: String? = nil, enabled: Bool = true, settings: PluginSettings = PluginSettings(), line: Int? = nil) {
        self.source = source
        self.sha256 = sha256
        self.enabled = enabled
        self.settings = settings
        self.line = line
    }
}

/// A value in a plugin's `[plugins.settings]` table.
public enum SettingValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case bool(Bool)
    /// An array or table, kept as TOML text for the plugin to parse.
    case array(text: String)
    case table(text: String)
}

/// A plugin's settings, in the order they were written.
public struct PluginSettings: Sendable, Equatable {
    public private(set) var keys: [String] = []
    private var values: [String: SettingValue] = [:]

    public init(_ pairs: [(String, SettingValue)] = []) {
        for (key, value) in pairs { self[key] = value }
    }

    public subscript(key: String) -> SettingValue? {
        get { values[key] }
        set {
            if values[key] == nil, newValue != nil { keys.append(key) }
            if newValue == nil { keys.removeAll { $0 == key } }
            values[key] = newValue
        }
    }

    public static func == (lhs: PluginSettings, rhs: PluginSettings) -> Bool {
        lhs.keys == rhs.keys && lhs.values == rhs.values
    }
}

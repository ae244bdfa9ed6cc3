public import TesseraEngine
import TesseraSDK

/// A plugin's `tessera.format/1` capability: probing, loading and saving model files.
public struct FormatPlugin: @unchecked Sendable {
    public let plugin: Plugin
    private let vtable: tsr_format_vtable

    init?(_ plugin: Plugin) {
        guard let vtable = plugin.readVTable(TSR_CAP_FORMAT, as: tsr_format_vtable()) else { return nil }
        self.plugin = plugin
        self.vtable = vtable
    }

    /// The format's short name, e.g. "safetensors".
    public var name: String { vtable.format_name.map { String(cString: $0) } ?? plugin.name }

    /// File extensions the format claims, e.g. [".safetensors"].
    public var extensions: [String] {
        guard let list = vtable.extensions else { return [] }
        var result: [String] = []
        var index = 0
        while let item = list[index], index < 32 {
            result.append(String(cString: item))
            index += 1
        }
        return result
    }

    /// How sure the plugin is that `path` is in its format, 0…1.
    public func probe(_ path: String) throws(PluginError) -> Float {
        guard let probe = vtable.probe else { return 0 }
        var confidence: Float = 0
        try plugin.invoke("probe") { probe($0, path, &confidence) }
        return confidence.isFinite ? min(max(confidence, 0), 1) : 0
    }

    /// Loads `path` into a new graph.
    public func load(_ path: String) throws(PluginError) -> Graph {
        guard let load = vtable.load else {
            throw PluginError(.capabilityMissing, "format '\(name)' cannot load files (its load is NULL)")
        }
        let handle = GraphHandle()
        try plugin.invoke("load") { load($0, path, handle.opaque) }
        return handle.graph
    }

    /// Whether the format can write files.
    public var canSave: Bool { vtable.save != nil }

    /// Writes `graph` to `path`.
    public func save(_ graph: Graph, to path: String) throws(PluginError) {
        guard let save = vtable.save else {
            throw PluginError(.capabilityMissing, "format '\(name)' is read-only")
        }
        let handle = GraphHandle(graph)
        try plugin.invoke("save") { save($0, handle.opaque, path) }
    }
}

import Foundation
public import TesseraEngine
import TesseraSDK

/// A plugin's `tessera.optimizer/1` capability: rewriting a graph into a better one.
public struct OptimizerPlugin: @unchecked Sendable {
    public let plugin: Plugin
    private let vtable: tsr_optimizer_vtable

    init?(_ plugin: Plugin) {
        guard let vtable = plugin.readVTable(TSR_CAP_OPTIMIZER, as: tsr_optimizer_vtable()) else { return nil }
        self.plugin = plugin
        self.vtable = vtable
    }

    /// One parameter the optimizer accepts.
    public struct Parameter: Sendable, Equatable, Codable {
        public let name: String
        public let kind: String
        public let defaultValue: String?
        public let description: String
    }

    /// The optimizer's short name, e.g. "prune-magnitude".
    public var name: String { vtable.optimizer_name.map { String(cString: $0) } ?? plugin.name }

    /// The parameters `run` accepts.
    public func parameters() throws(PluginError) -> [Parameter] {
        guard let describe = vtable.describe else { return [] }
        var list: UnsafePointer<tsr_param_desc>?
        var count = 0
        try plugin.invoke("describe") { describe($0, &list, &count) }
        guard let list else { return [] }
        return VersionedStruct.readArray(list, count: count, into: tsr_param_desc()).map { raw in
            let kind = switch raw.kind {
            case TSR_SETTING_INT: "integer"
            case TSR_SETTING_FLOAT: "float"
            case TSR_SETTING_BOOL: "boolean"
            default: "string"
            }
            return Parameter(name: raw.name.map { String(cString: $0) } ?? "?", kind: kind,
                             defaultValue: raw.default_value.map { String(cString: $0) },
                             description: raw.description.map { String(cString: $0) } ?? "")
        }
    }

    /// Runs the optimizer on a copy of `graph`; returns the new graph and the plugin's report
    /// (a JSON object as text).
    public func run(_ graph: Graph, parameters: [(String, String)]) throws(PluginError) -> (graph: Graph, report: String) {
        guard let run = vtable.run else {
            throw PluginError(.capabilityMissing, "optimizer '\(name)' has no run function")
        }
        try check(parameters)
        let handle = GraphHandle(graph)
        let names = parameters.map { strdup($0.0) }
        let values = parameters.map { strdup($0.1) }
        defer { (names + values).forEach { free($0) } }
        var raw = zip(names, values).map { name, value in
            var param = tsr_param()
            param.struct_size = UInt32(MemoryLayout<tsr_param>.size)
            param.name = UnsafePointer(name)
            param.value = UnsafePointer(value)
            return param
        }
        var report: UnsafePointer<CChar>?
        let count = raw.count
        try raw.withUnsafeMutableBufferPointer { buffer throws(PluginError) in
            let base = UnsafePointer(buffer.baseAddress)
            try plugin.invoke("run") { run($0, handle.opaque, base, count, &report) }
        }
        return (handle.graph, report.map { String(cString: $0) } ?? "{}")
    }

    /// Refuses unknown names and values that do not parse as the declared kind, before the
    /// plugin sees them (tessera/optimizer.h promises plugins checked values).
    private func check(_ given: [(String, String)]) throws(PluginError) {
        let declared = try self.parameters()
        for (name, value) in given {
            guard let parameter = declared.first(where: { $0.name == name }) else {
                throw PluginError(.invalidParameter,
                    "optimizer '\(self.name)' has no parameter '\(name)'; it takes \(declared.map(\.name).joined(separator: ", "))")
            }
            let parses = switch parameter.kind {
            case "integer": Int64(value) != nil
            case "float": Double(value).map(\.isFinite) ?? false
            case "boolean": value == "true" || value == "false"
            default: true
            }
            guard parses else {
                throw PluginError(.invalidParameter, "parameter '\(name)' of optimizer '\(self.name)' must be \(parameter.kind == "integer" ? "an" : "a") \(parameter.kind), got '\(value)'")
            }
        }
    }
}

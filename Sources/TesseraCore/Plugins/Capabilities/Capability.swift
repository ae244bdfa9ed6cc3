import TesseraSDK

/// The named things a plugin provides, read from its vtables: one per capability id it
/// implements. Used to refuse two plugins providing the same named format, monitor, etc.
struct Capability {
    let kind: String
    let name: String
    let pluginName: String

    static func all(of plugin: Plugin) -> [Capability] {
        var found: [Capability] = []
        if let format = FormatPlugin(plugin) { found.append(Capability(kind: "format", name: format.name, pluginName: plugin.name)) }
        if let optimizer = OptimizerPlugin(plugin) { found.append(Capability(kind: "optimizer", name: optimizer.name, pluginName: plugin.name)) }
        if let monitor = MonitorPlugin(plugin) { found.append(Capability(kind: "monitor", name: monitor.name, pluginName: plugin.name)) }
        if let exporter = ExporterPlugin(plugin) { found.append(Capability(kind: "exporter", name: exporter.name, pluginName: plugin.name)) }
        return found
    }
}

extension Plugin {
    /// Reads this plugin's vtable for `capability` as `T`, within the plugin's declared size.
    func readVTable<T>(_ capability: String, as empty: T) -> T? {
        guard info.capabilities.contains(capability), let raw = vtable(for: capability) else { return nil }
        return VersionedStruct.read(raw.assumingMemoryBound(to: T.self), into: empty)
    }

    /// Calls a capability function and turns a returned status into a `PluginError` naming
    /// the plugin and the function.
    func invoke(_ function: String, _ body: (UnsafeMutableRawPointer?) -> OpaquePointer?) throws(PluginError) {
        let status: OpaquePointer?
        do {
            status = try call(body)
        } catch let error as PluginError {
            throw error
        } catch {
            throw PluginError(.callFailed, "\(name).\(function): \(error)")
        }
        if let (code, message) = StatusObject.consume(status) {
            throw PluginError(.callFailed, "\(name).\(function) failed (\(StatusObject.name(of: code))): \(message)")
        }
    }
}

extension PluginHost {
    /// Active format plugins, in load order.
    public var formats: [FormatPlugin] { plugins.filter { $0.state == .active }.compactMap(FormatPlugin.init) }
    /// Active optimizer plugins, in load order.
    public var optimizers: [OptimizerPlugin] { plugins.filter { $0.state == .active }.compactMap(OptimizerPlugin.init) }
    /// Active monitor plugins, in load order.
    public var monitors: [MonitorPlugin] { plugins.filter { $0.state == .active }.compactMap(MonitorPlugin.init) }
    /// Active exporter plugins, in load order.
    public var exporters: [ExporterPlugin] { plugins.filter { $0.state == .active }.compactMap(ExporterPlugin.init) }
}

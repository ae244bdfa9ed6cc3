import Foundation
public import Logging
import TesseraSDK

/// Loads the configured plugins in order, starts them, hands out their capabilities, and
/// stops them in reverse order. A plugin that fails at any step is marked failed with its
/// reason and the host carries on without it.
///
/// `@unchecked Sendable`: the plugin list only grows, under `lock`.
public final class PluginHost: @unchecked Sendable {
    public let hostName: String
    let logger: Logger
    private let api: UnsafePointer<tsr_host_api>
    private let bundledSearchPaths: [String]
    private let lock = NSLock()
    private var loaded: [Plugin] = []

    /// - Parameters:
    ///   - hostName: what plugins see as `host_name` ("tesserad", "tessera").
    ///   - bundledSearchPaths: where bundled plugins are looked for by name.
    public init(hostName: String, logger: Logger = Logger(label: "tessera.plugins"),
                bundledSearchPaths: [String] = BundledPlugins.searchPaths) {
        self.hostName = hostName
        self.logger = logger
        self.bundledSearchPaths = bundledSearchPaths
        api = HostAPI.table(hostName: hostName)
    }

    /// Every plugin the host was asked to load, in load order.
    public var plugins: [Plugin] { lock.withLock { loaded } }

    /// Listing rows for every plugin, in load order.
    public var infos: [PluginInfo] { plugins.map(\.info) }

    /// Loads and starts each enabled spec in order. Relative paths resolve against
    /// `baseDirectory` (the configuration file's folder). Returns the plugins it added.
    @discardableResult
    public func load(_ specs: [PluginSpec], baseDirectory: String? = nil) -> [Plugin] {
        specs.map { load($0, baseDirectory: baseDirectory) }
    }

    /// Loads and starts one spec; on failure the returned plugin is `.failed` with the reason.
    @discardableResult
    public func load(_ spec: PluginSpec, baseDirectory: String? = nil) -> Plugin {
        let path = resolve(spec, baseDirectory: baseDirectory)
        let fallbackName: String = switch spec.source {
        case .bundled(let name): name
        case .path(let path): URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        }
        var info = PluginInfo(name: fallbackName, path: (try? path.get()) ?? spec.source.description,
                              kinds: [], capabilities: [], state: .loaded)
        guard spec.enabled else {
            info.state = .disabled
            info.reason = "disabled in the configuration (enabled = false)"
            return add(Plugin(info: info, library: nil, context: nil))
        }
        do {
            let library = try open(spec, path: try path.get())
            info.name = library.name
            info.id = library.id
            info.version = library.descriptor.version.map { String(cString: $0) }
            info.vendor = library.descriptor.vendor.map { String(cString: $0) }
            info.description = library.descriptor.description.map { String(cString: $0) }
            info.abi = library.abi
            info.capabilities = library.capabilities
            info.kinds = library.capabilities.map(PluginInfo.kind(ofCapability:))
            let context = PluginContext(name: library.name, settings: spec.settings, logger: logger,
                                        libraryHandle: library.handle)
            let plugin = Plugin(info: info, library: library, context: context)
            _ = add(plugin)
            do {
                try plugin.start(api: api)
                try checkCapabilities(of: plugin)
                logger.info("plugin loaded", metadata: ["plugin": "\(plugin.name)", "kinds": "\(info.kinds.joined(separator: ","))", "path": "\(info.path)"])
            } catch {
                plugin.fail(error.message)
            }
            return plugin
        } catch {
            info.state = .failed
            info.reason = error.message
            logger.error("plugin failed to load: \(error.message)", metadata: ["plugin": "\(info.name)"])
            return add(Plugin(info: info, library: nil, context: nil))
        }
    }

    /// Stops every started plugin, last loaded first.
    public func shutdown() {
        for plugin in plugins.reversed() { plugin.stop() }
    }

    /// Plugins that failed or are disabled, with their reasons.
    public var problems: [PluginInfo] { infos.filter { $0.state == .failed } }

    /// Custom operator kernels registered by plugins.
    public var customKernels: [CustomKernel] { plugins.flatMap { $0.context?.kernels ?? [] } }

    private func add(_ plugin: Plugin) -> Plugin {
        lock.withLock { loaded.append(plugin) }
        return plugin
    }

    private func resolve(_ spec: PluginSpec, baseDirectory: String?) -> Result<String, PluginError> {
        switch spec.source {
        case .bundled(let name):
            return BundledPlugins.locate(name, in: bundledSearchPaths)
        case .path(let path):
            if path.hasPrefix("/") || baseDirectory == nil { return .success(path) }
            return .success(URL(fileURLWithPath: baseDirectory!).appendingPathComponent(path).standardizedFileURL.path)
        }
    }

    private func open(_ spec: PluginSpec, path: String) throws(PluginError) -> PluginLibrary {
        if let pin = spec.sha256 {
            let actual: String
            do { actual = try SHA256.hex(ofFileAt: path) } catch {
                throw PluginError(.fileMissing, "plugin file not found: \(path). Check the path, or build the plugin first")
            }
            guard actual == pin.lowercased() else {
                throw PluginError(.sha256Mismatch,
                    "sha256 of \(path) is \(actual) but the configuration pins \(pin); the file is not the one that was pinned — verify it, then update the pin")
            }
        }
        let library = try PluginLibrary.open(path)
        if let twin = plugins.first(where: { $0.library?.id == library.id || $0.library?.handle == library.handle }) {
            throw PluginError(.duplicatePlugin,
                "plugin '\(library.id)' from \(path) is already loaded (from \(twin.info.path)); list each plugin once")
        }
        return library
    }

    /// Every declared capability must hand out a vtable, and a named format, optimizer,
    /// monitor or exporter may be provided by one plugin only.
    private func checkCapabilities(of plugin: Plugin) throws(PluginError) {
        for id in plugin.info.capabilities {
            guard plugin.vtable(for: id) != nil else {
                throw PluginError(.capabilityMissing, "plugin '\(plugin.name)' lists capability '\(id)' but get_capability returned NULL for it")
            }
        }
        for capability in Capability.all(of: plugin) {
            let clash = plugins.lazy.filter { $0 !== plugin && $0.state == .active }
                .flatMap { Capability.all(of: $0) }
                .first { $0.kind == capability.kind && $0.name == capability.name }
            if let clash {
                throw PluginError(.duplicateCapability,
                    "plugin '\(plugin.name)' provides \(capability.kind) '\(capability.name)', which plugin '\(clash.pluginName)' already provides; enable only one of them")
            }
        }
    }
}

import Foundation
import Logging
import TesseraSDK

/// One configured plugin: its library, its instance and where it is in its life.
///
/// `@unchecked Sendable`: the mutable state (`info`, `instance`) is guarded by `stateLock`, and
/// calls into the instance are serialized by `callLock`, which is what the ABI promises
/// plugins ([instance-serialized]).
public final class Plugin: @unchecked Sendable {
    let library: PluginLibrary?
    let context: PluginContext?
    private let stateLock = NSLock()
    private let callLock = NSLock()
    private var _info: PluginInfo
    private var instance: UnsafeMutableRawPointer?
    /// Whether activate() succeeded, so stop() calls deactivate() even for a plugin that was
    /// disabled later (its threads and files were started).
    private var activated = false

    init(info: PluginInfo, library: PluginLibrary?, context: PluginContext?) {
        _info = info
        self.library = library
        self.context = context
    }

    /// A snapshot of what the host knows about the plugin.
    public var info: PluginInfo { stateLock.withLock { _info } }
    public var name: String { info.name }
    public var state: PluginState { info.state }

    /// Marks the plugin failed with `reason`; it gets no further calls.
    func fail(_ reason: String) {
        stateLock.withLock {
            _info.state = .failed
            _info.reason = reason
        }
        context?.logger.error("plugin disabled: \(reason)")
    }

    private func move(to state: PluginState) {
        stateLock.withLock { _info.state = state }
    }

    /// Creates and activates the instance: loaded → initialized → active.
    func start(api: UnsafePointer<tsr_host_api>) throws(PluginError) {
        guard let library, let context, state == .loaded else {
            throw PluginError(.wrongState, "plugin '\(name)' cannot start from state \(state)")
        }
        var created: UnsafeMutableRawPointer?
        let status = library.descriptor.create(api, context.handle, &created)
        if let (code, message) = StatusObject.consume(status) {
            let error = code == TSR_ERR_INVALID_SETTING
                ? PluginError(.settingsRejected, "plugin '\(name)' rejected its settings: \(message)")
                : PluginError(.initFailed, "plugin '\(name)' failed to initialize (\(StatusObject.name(of: code))): \(message)")
            throw error
        }
        stateLock.withLock { instance = created }
        move(to: .initialized)
        if let activate = library.descriptor.activate,
           let (code, message) = StatusObject.consume(activate(created)) {
            throw PluginError(.activateFailed, "plugin '\(name)' failed to activate (\(StatusObject.name(of: code))): \(message)")
        }
        stateLock.withLock { activated = true }
        move(to: .active)
    }

    /// The vtable the plugin returns for `capability`, or nil.
    func vtable(for capability: String) -> UnsafeRawPointer? {
        guard let library, let instance = stateLock.withLock({ instance }) else { return nil }
        return library.descriptor.get_capability(instance, capability)
    }

    /// Runs `body` with the instance, one call at a time, if the plugin is active.
    func call<T>(_ body: (UnsafeMutableRawPointer?) throws -> T) throws -> T {
        try callLock.withLock {
            let (state, instance) = stateLock.withLock { (self._info.state, self.instance) }
            guard state == .active else {
                throw PluginError(.wrongState, "plugin '\(name)' is \(state)\(info.reason.map { ": \($0)" } ?? "")")
            }
            return try body(instance)
        }
    }

    /// Deactivates and destroys the instance (shutdown, in reverse load order). Idempotent.
    func stop() {
        callLock.withLock {
            let (activated, instance) = stateLock.withLock { (self.activated, self.instance) }
            guard let library, let instance else { return }
            if activated { library.descriptor.deactivate?(instance) }
            library.descriptor.destroy(instance)
            stateLock.withLock {
                self.instance = nil
                self.activated = false
                if _info.state != .failed { _info.state = .stopped }
            }
        }
    }
}

import Foundation
import Logging
import TesseraSDK

/// What the host keeps per plugin instance behind the `tsr_host*` handle: the plugin's name
/// for its log lines, its settings as C strings that live as long as the instance, and its
/// library handle for resolving custom-op symbols.
///
/// Never freed while the process runs: plugins are never unloaded, and a plugin may keep the
/// handle until then. `@unchecked Sendable`: all stored properties are immutable except the
/// kernel list, which is guarded by `lock`.
final class PluginContext: @unchecked Sendable {
    let name: String
    let logger: Logger
    let settings: PluginSettings
    let libraryHandle: UnsafeMutableRawPointer?
    private let keyStrings: [UnsafeMutablePointer<CChar>]
    private let valueStrings: [String: UnsafeMutablePointer<CChar>]
    private let lock = NSLock()
    private var registeredKernels: [CustomKernel] = []

    init(name: String, settings: PluginSettings, logger: Logger, libraryHandle: UnsafeMutableRawPointer?) {
        self.name = name
        self.settings = settings
        var logger = logger
        logger[metadataKey: "plugin"] = .string(name)
        self.logger = logger
        self.libraryHandle = libraryHandle
        keyStrings = settings.keys.map { strdup($0) }
        var values: [String: UnsafeMutablePointer<CChar>] = [:]
        for key in settings.keys {
            switch settings[key] {
            case .string(let text), .array(let text), .table(let text): values[key] = strdup(text)
            default: break
            }
        }
        valueStrings = values
    }

    deinit {
        keyStrings.forEach { free($0) }
        valueStrings.values.forEach { free($0) }
    }

    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ handle: OpaquePointer) -> PluginContext {
        Unmanaged<PluginContext>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    func key(at index: Int) -> UnsafePointer<CChar>? {
        keyStrings.indices.contains(index) ? UnsafePointer(keyStrings[index]) : nil
    }

    func string(for key: String) -> UnsafePointer<CChar>? {
        valueStrings[key].map { UnsafePointer($0) }
    }

    func addKernel(_ kernel: CustomKernel) {
        lock.withLock { registeredKernels.append(kernel) }
    }

    var kernels: [CustomKernel] { lock.withLock { registeredKernels } }
}

/// A custom operator kernel a plugin registered: an exported function called through libffi.
public struct CustomKernel: Sendable {
    public let opType: String
    public let plugin: String
    public let symbol: String
    public let function: ForeignFunction
}

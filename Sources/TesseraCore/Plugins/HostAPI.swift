import Foundation
import Logging
import TesseraSDK

/// Builds the `tsr_host_api` table handed to every plugin instance.
///
/// The table and its strings are allocated once per host name and never freed: a plugin may
/// keep the pointer for the life of the process, and plugins are never unloaded.
enum HostAPI {
    private static let tables = NSLock()
    nonisolated(unsafe) private static var byHostName: [String: UnsafeMutablePointer<tsr_host_api>] = [:]

    /// The table for a host called `hostName` ("tesserad", "tessera", …).
    static func table(hostName: String) -> UnsafePointer<tsr_host_api> {
        tables.lock()
        defer { tables.unlock() }
        if let existing = byHostName[hostName] { return UnsafePointer(existing) }
        let table = UnsafeMutablePointer<tsr_host_api>.allocate(capacity: 1)
        table.initialize(to: make(hostName: hostName))
        byHostName[hostName] = table
        return UnsafePointer(table)
    }

    private static func make(hostName: String) -> tsr_host_api {
        var api = tsr_host_api()
        api.struct_size = UInt32(MemoryLayout<tsr_host_api>.size)
        api.abi_major = UInt16(TSR_ABI_MAJOR)
        api.abi_minor = UInt16(TSR_ABI_MINOR)
        api.host_name = UnsafePointer(strdup(hostName))
        api.host_version = UnsafePointer(strdup(TesseraCore.version))

        api.log = { host, level, message in
            guard let host else { return }
            let context = PluginContext.from(host)
            let text = message.map { String(cString: $0) } ?? ""
            context.logger.log(level: HostAPI.logLevel(level), "\(text)")
        }

        api.status_create = { code, message in
            StatusObject.make(code: code == TSR_OK ? TSR_ERR_INTERNAL : code,
                              message: message.map { String(cString: $0) } ?? "")
        }
        api.status_code = { status in
            guard let status else { return TSR_OK }
            return StatusObject.peek(status).code
        }
        api.status_message = { status in
            guard let status else { return UnsafePointer(HostAPI.emptyString) }
            return UnsafePointer(StatusObject.peek(status).message)
        }
        api.status_release = { status in
            _ = StatusObject.consume(status)
        }

        api.setting_count = { host in
            guard let host else { return 0 }
            return PluginContext.from(host).settings.keys.count
        }
        api.setting_key = { host, index in
            guard let host else { return nil }
            return PluginContext.from(host).key(at: index)
        }
        api.setting_kind = { host, key in
            guard let host, let key else { return TSR_SETTING_ABSENT }
            switch PluginContext.from(host).settings[String(cString: key)] {
            case nil: return TSR_SETTING_ABSENT
            case .string: return TSR_SETTING_STRING
            case .integer: return TSR_SETTING_INT
            case .float: return TSR_SETTING_FLOAT
            case .bool: return TSR_SETTING_BOOL
            case .array: return TSR_SETTING_ARRAY
            case .table: return TSR_SETTING_TABLE
            }
        }
        api.setting_string = { host, key in
            guard let host, let key else { return nil }
            return PluginContext.from(host).string(for: String(cString: key))
        }
        api.setting_int = { host, key, out in
            guard let host, let key, let out,
                  case .integer(let value) = PluginContext.from(host).settings[String(cString: key)] else { return 0 }
            out.pointee = value
            return 1
        }
        api.setting_float = { host, key, out in
            guard let host, let key, let out else { return 0 }
            switch PluginContext.from(host).settings[String(cString: key)] {
            case .float(let value): out.pointee = value
            case .integer(let value): out.pointee = Double(value)
            default: return 0
            }
            return 1
        }
        api.setting_bool = { host, key, out in
            guard let host, let key, let out,
                  case .bool(let value) = PluginContext.from(host).settings[String(cString: key)] else { return 0 }
            out.pointee = value ? 1 : 0
            return 1
        }

        GraphAPI.install(into: &api)

        api.register_op_kernel = { host, opType, symbol, signature in
            guard let host, let opType, let symbol, let signature else {
                return StatusObject.make(code: TSR_ERR_INVALID_ARGUMENT, message: "register_op_kernel: op_type, symbol and signature must not be NULL")
            }
            let context = PluginContext.from(host)
            guard !EngineOperators.builtIn.contains(String(cString: opType)) else {
                return StatusObject.make(code: TSR_ERR_INVALID_ARGUMENT, message: "register_op_kernel: op type '\(String(cString: opType))' is built into the engine; give your op its own name (e.g. prefixed with your plugin's)")
            }
            guard let library = context.libraryHandle else {
                return StatusObject.make(code: TSR_ERR_FAILED_PRECONDITION, message: "register_op_kernel: the plugin has no library handle")
            }
            do {
                let function = try ForeignFunction(library: library, symbol: String(cString: symbol), signature: String(cString: signature))
                context.addKernel(CustomKernel(opType: String(cString: opType), plugin: context.name,
                                               symbol: String(cString: symbol), function: function))
                return nil
            } catch {
                return StatusObject.make(code: TSR_ERR_INVALID_ARGUMENT, message: "register_op_kernel(\(String(cString: opType))): \(error)")
            }
        }
        return api
    }

    nonisolated(unsafe) fileprivate static let emptyString: UnsafeMutablePointer<CChar> = strdup("")

    fileprivate static func logLevel(_ level: tsr_log_level) -> Logger.Level {
        switch level {
        case TSR_LOG_TRACE: .trace
        case TSR_LOG_DEBUG: .debug
        case TSR_LOG_INFO: .info
        case TSR_LOG_WARNING: .warning
        default: .error
        }
    }
}

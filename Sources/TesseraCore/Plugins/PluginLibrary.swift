import Foundation
import TesseraSDK
import CTesseraHost

/// A plugin library that is open and whose descriptor passed every ABI check.
struct PluginLibrary: @unchecked Sendable {
    let path: String
    let handle: UnsafeMutableRawPointer
    /// A copy of the plugin's descriptor, padded with zeros to this host's layout.
    let descriptor: tsr_plugin_descriptor
    let capabilities: [String]

    var name: String { descriptor.name.map { String(cString: $0) } ?? URL(fileURLWithPath: path).lastPathComponent }
    var id: String { String(cString: descriptor.id) }
    var abi: String { "\(descriptor.abi_major).\(descriptor.abi_minor)" }

    /// Opens `path` and checks its entry point, ABI version and fingerprint. Libraries are
    /// never closed again: code that may still own threads or callbacks cannot safely leave.
    static func open(_ path: String) throws(PluginError) -> PluginLibrary {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw PluginError(.fileMissing, "plugin file not found: \(path). Check the path, or build the plugin first")
        }
        guard !isDirectory.boolValue else {
            throw PluginError(.notSharedObject, "\(path) is a directory, not a plugin library")
        }
        _ = dlerror()
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown reason"
            throw PluginError(.notSharedObject, "cannot load \(path) as a shared library: \(reason). Build plugins with `cc -shared -fPIC`")
        }
        guard let symbol = dlsym(handle, TSR_PLUGIN_ENTRY_SYMBOL) else {
            throw PluginError(.noEntrySymbol,
                "\(path) does not export \(TSR_PLUGIN_ENTRY_SYMBOL); every Tessera plugin exports it (declare it with TSR_EXPORT, see sdk/PLUGIN_GUIDE.md)")
        }
        let entry = unsafeBitCast(symbol, to: tsr_plugin_entry_fn.self)
        guard let raw = entry() else {
            throw PluginError(.badDescriptor, "\(path): \(TSR_PLUGIN_ENTRY_SYMBOL)() returned NULL instead of a descriptor")
        }
        let descriptor = try checkedDescriptor(raw, path: path)
        let capabilities = try capabilityIDs(descriptor, path: path)
        return PluginLibrary(path: path, handle: handle, descriptor: descriptor, capabilities: capabilities)
    }

    private static func checkedDescriptor(_ raw: UnsafePointer<tsr_plugin_descriptor>, path: String) throws(PluginError) -> tsr_plugin_descriptor {
        // Read the version fields before trusting anything else in the struct.
        let declared = VersionedStruct.declaredSize(raw)
        let versionEnd = MemoryLayout<tsr_plugin_descriptor>.offset(of: \.reserved)!
        guard declared >= versionEnd else {
            throw PluginError(.badDescriptor, "\(path): descriptor struct_size \(declared) is too small to hold the ABI version; is tsr_plugin_entry returning a tsr_plugin_descriptor?")
        }
        let major = UnsafeRawPointer(raw).load(fromByteOffset: 4, as: UInt16.self)
        let minor = UnsafeRawPointer(raw).load(fromByteOffset: 6, as: UInt16.self)
        let minMinor = UnsafeRawPointer(raw).load(fromByteOffset: 8, as: UInt16.self)
        guard major == TSR_ABI_MAJOR else {
            throw PluginError(.abiMajorMismatch,
                "\(path) was built for plugin ABI \(major).\(minor), but this Tessera speaks ABI \(TSR_ABI_MAJOR).\(TSR_ABI_MINOR); rebuild the plugin against this Tessera's sdk/include")
        }
        guard minMinor <= TSR_ABI_MINOR else {
            throw PluginError(.abiMinorTooNew,
                "\(path) needs plugin ABI \(major).\(minMinor) or newer, but this Tessera provides ABI \(TSR_ABI_MAJOR).\(TSR_ABI_MINOR); upgrade Tessera or rebuild the plugin with min_abi_minor \(TSR_ABI_MINOR)")
        }
        let minimum = MemoryLayout<tsr_plugin_descriptor>.size
        guard declared >= minimum || minor > TSR_ABI_MINOR else {
            throw PluginError(.badDescriptor, "\(path): descriptor struct_size is \(declared) but ABI \(major).\(minor) descriptors are \(minimum) bytes; set struct_size = sizeof(tsr_plugin_descriptor)")
        }
        let descriptor = VersionedStruct.read(raw, into: tsr_plugin_descriptor())
        try checkFingerprint(descriptor.fingerprint, pluginMinor: minor, path: path)
        guard descriptor.id != nil, descriptor.name != nil else {
            throw PluginError(.badDescriptor, "\(path): descriptor id and name must not be NULL")
        }
        guard descriptor.create != nil, descriptor.get_capability != nil, descriptor.destroy != nil else {
            throw PluginError(.badDescriptor, "\(path): descriptor create, get_capability and destroy must not be NULL")
        }
        return descriptor
    }

    private static func checkFingerprint(_ theirs: tsr_abi_fingerprint, pluginMinor: UInt16, path: String) throws(PluginError) {
        let ours = tsr_host_fingerprint
        var problems: [String] = []
        func same(_ what: String, _ a: UInt32, _ b: UInt32) { if a != b { problems.append("\(what) \(a) (host: \(b))") } }
        same("fingerprint size", theirs.struct_size, ours.struct_size)
        same("byte-order mark", theirs.endian_mark, ours.endian_mark)
        same("pointer size", theirs.pointer_size, ours.pointer_size)
        same("size_t size", theirs.size_t_size, ours.size_t_size)
        same("int64_t alignment", theirs.int64_align, ours.int64_align)
        // Structs only grow with the minor, so a plugin built for an older minor may see them smaller.
        func sized(_ what: String, _ a: UInt32, _ b: UInt32) {
            let fits = pluginMinor == TSR_ABI_MINOR ? a == b : (pluginMinor < TSR_ABI_MINOR ? a <= b : a >= b)
            if !fits { problems.append("sizeof(\(what)) \(a) (host: \(b))") }
        }
        sized("tsr_tensor_view", theirs.tensor_view_size, ours.tensor_view_size)
        sized("tsr_host_api", theirs.host_api_size, ours.host_api_size)
        sized("tsr_plugin_descriptor", theirs.descriptor_size, ours.descriptor_size)
        guard problems.isEmpty else {
            throw PluginError(.fingerprintMismatch,
                "\(path) was built with a different ABI layout: \(problems.joined(separator: ", ")). Rebuild it for this platform with this Tessera's sdk/include headers")
        }
    }

    private static func capabilityIDs(_ descriptor: tsr_plugin_descriptor, path: String) throws(PluginError) -> [String] {
        guard let list = descriptor.capabilities else {
            throw PluginError(.badDescriptor, "\(path): descriptor capabilities is NULL; list at least one capability id, NULL-terminated")
        }
        var ids: [String] = []
        var index = 0
        while let id = list[index], index < 64 {
            let text = String(cString: id)
            guard !ids.contains(text) else {
                throw PluginError(.duplicateCapability, "\(path) lists capability '\(text)' twice")
            }
            ids.append(text)
            index += 1
        }
        guard !ids.isEmpty else {
            throw PluginError(.badDescriptor, "\(path) declares no capabilities; list at least one (e.g. TSR_CAP_MONITOR)")
        }
        return ids
    }
}

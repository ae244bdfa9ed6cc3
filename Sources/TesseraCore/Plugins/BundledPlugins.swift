import Foundation

/// Finds the plugins that ship with Tessera by name: `latency-slo` is
/// `libtessera-latency-slo.so` (`.dylib` on macOS).
public enum BundledPlugins {
    /// File name of a bundled plugin's library.
    public static func fileName(for name: String) -> String {
        #if os(macOS)
        "libtessera-\(name).dylib"
        #else
        "libtessera-\(name).so"
        #endif
    }

    /// Folders searched, in order: `$TESSERA_PLUGIN_PATH` (colon-separated), the folder of the
    /// running executable (where `swift build` puts them), and `../lib/tessera` beside it
    /// (an installed layout).
    public static var searchPaths: [String] {
        var paths: [String] = []
        if let env = ProcessInfo.processInfo.environment["TESSERA_PLUGIN_PATH"] {
            paths += env.split(separator: ":").map(String.init)
        }
        if let executable = executableDirectory {
            paths.append(executable)
            paths.append(URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("lib/tessera").path)
        }
        return paths
    }

    /// The library for `name`, or nil with the folders that were searched.
    public static func locate(_ name: String, in paths: [String] = searchPaths) -> Result<String, PluginError> {
        let file = fileName(for: name)
        for folder in paths {
            let candidate = URL(fileURLWithPath: folder).appendingPathComponent(file).path
            if FileManager.default.fileExists(atPath: candidate) { return .success(candidate) }
        }
        return .failure(PluginError(.fileMissing,
            "no bundled plugin named '\(name)': \(file) is not in \(paths.joined(separator: ", ")). Check the name (bundled: \(knownNames.joined(separator: ", "))) or set TESSERA_PLUGIN_PATH"))
    }

    /// The names of the plugins built with this package.
    public static let knownNames = ["latency-slo", "error-rate", "jsonl-events", "prometheus", "safetensors", "prune-magnitude", "onnx", "hf-bert", "gguf"]

    private static var executableDirectory: String? {
        #if os(Linux)
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: resolved).deletingLastPathComponent().path
        }
        #endif
        return Bundle.main.executableURL?.deletingLastPathComponent().path
    }
}

import ArgumentParser
import Foundation
import TesseraCore
import TesseraEngine

/// How the model-file commands (inspect, run, convert, embed) load a file or folder: with the
/// format plugins of a configuration (--config, or the embedded default), detected or forced.
struct ModelFileOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Configuration whose format plugins read the model. Default: the embedded one.")
    var config: String?

    @Option(help: "The input format, skipping detection (e.g. onnx, safetensors, hf-bert).")
    var format: String?

    /// Loads the configuration's plugins; the caller shuts the host down.
    func pluginHost() throws -> PluginHost {
        let settings: TesseraConfig
        do {
            settings = try config.map { try ConfigLoader.load(path: $0) } ?? ConfigLoader.loadDefault()
        } catch {
            throw ValidationError("the configuration has problems:\n\(error)")
        }
        let host = PluginHost(hostName: "tessera")
        host.load(settings.plugins, baseDirectory: settings.baseDirectory)
        return host
    }

    /// Detects (or forces) the format of `path` and loads it.
    func load(_ path: String, host: PluginHost) throws -> FormatDetector.Detection {
        let url = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ValidationError("no file or folder at \(url.path)")
        }
        return try FormatDetector(host: host).detect(url, forced: format)
    }
}

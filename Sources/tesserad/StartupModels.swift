import Foundation
import Logging
import TesseraCore

/// Models given on the command line (`--model NAME=PATH`), registered and deployed before the
/// daemon serves: how a container that is handed a model folder — KServe's `/mnt/models` —
/// serves it without a separate `tessera register`/`deploy` step.
///
/// Idempotent across restarts: a path whose contents equal the model's newest version reuses
/// that version instead of registering a copy, and a version that is already the primary is
/// not deployed again. Unlike the demo model, a failure here stops the daemon: an operator
/// who named a model expects it served.
struct StartupModel: Sendable, Equatable {
    let name: String
    let path: String

    /// Parses `NAME=PATH`.
    init(argument: String) throws {
        guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex,
              argument.index(after: equals) != argument.endIndex else {
            throw StartupModelError("--model '\(argument)' is not NAME=PATH, e.g. --model iris=/mnt/models")
        }
        name = String(argument[..<equals])
        path = String(argument[argument.index(after: equals)...])
    }

    /// Registers (unless unchanged) and deploys the model; returns the version now primary.
    @discardableResult
    func install(store: ModelStore, plugins: PluginHost, logger: Logger) throws -> Int {
        let url = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw StartupModelError("--model \(name)=\(path): no such file or folder")
        }
        let (file, detection) = try Self.detect(url, plugins: plugins, label: "\(name)=\(path)")
        let (version, registered) = try store.register(ModelStore.Registration(
            model: name, path: file, format: detection.format.name, signatureJSON: detection.signatureJSON,
            notes: "registered by tesserad --model from \(path)"), actor: "tesserad", unlessNewestIsSame: true)
        let number = version.number
        if registered {
            logger.info("registered a model given with --model", metadata: ["model": "\(name):\(number)", "path": "\(file.path)"])
        }
        if try store.registry.deployment(of: name)?.primary != number {
            _ = try store.registry.deploy(model: name, version: number, actor: "tesserad")
            logger.info("deployed a model given with --model", metadata: ["model": "\(name):\(number)"])
        }
        return number
    }

    /// The file or folder to register and its format. A folder no format plugin reads as a
    /// whole (KServe downloads a single model file into /mnt/models) is searched for the one
    /// file in it that a plugin reads.
    static func detect(_ url: URL, plugins: PluginHost, label: String) throws -> (URL, FormatDetector.Detection) {
        let detector = FormatDetector(host: plugins)
        let whole: PluginError
        do {
            return (url, try detector.detect(url))
        } catch {
            whole = error
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw StartupModelError("--model \(label): \(whole.message)")
        }
        let entries = try FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: [.isRegularFileKey],
                                                                  options: [.skipsHiddenFiles])
        let readable = entries.sorted { $0.path < $1.path }.compactMap { entry -> (URL, FormatDetector.Detection)? in
            guard (try? entry.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { return nil }
            return (try? detector.detect(entry)).map { (entry, $0) }
        }
        switch readable.count {
        case 1: return readable[0]
        case 0: throw StartupModelError("--model \(label): no format plugin reads the folder or any file in it (\(whole.message))")
        default:
            throw StartupModelError("--model \(label): the folder holds several model files (\(readable.map(\.0.lastPathComponent).joined(separator: ", "))); name one of them")
        }
    }
}

struct StartupModelError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

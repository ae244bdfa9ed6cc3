import Foundation
import Logging
import TesseraCore

/// The small model a new daemon serves so that the quick start ends with a working inference
/// call: an iris species classifier (see demo/iris/train_iris_mlp.py for how it was made).
/// Registered as `iris` and deployed on first start, when the store has no models at all.
enum DemoModel {
    static let name = "iris"

    /// Registers and deploys the demo model if the store is empty. Never fails the daemon:
    /// problems are logged and the daemon runs without the demo.
    static func installIfEmpty(store: ModelStore, plugins: PluginHost, logger: Logger) {
        do {
            guard try store.registry.models().isEmpty else { return }
            guard plugins.formats.contains(where: { $0.name == "onnx" }) else {
                logger.warning("not installing the demo model: the onnx format plugin is not loaded")
                return
            }
            guard let bytes = Data(base64Encoded: onnxBase64, options: .ignoreUnknownCharacters) else {
                logger.error("not installing the demo model: its embedded data does not decode")
                return
            }
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-demo-\(getpid())")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let file = folder.appendingPathComponent("iris-mlp.onnx")
            try bytes.write(to: file)
            let detection = try FormatDetector(host: plugins).detect(file, forced: "onnx")
            let version = try store.register(ModelStore.Registration(
                model: name, path: file, format: detection.format.name, signatureJSON: detection.signatureJSON,
                notes: "Demo: iris species from sepal/petal length and width in cm "
                    + "(classes setosa, versicolor, virginica); made by demo/iris/train_iris_mlp.py",
                tags: ["demo": "true"]), actor: "tesserad")
            _ = try store.registry.deploy(model: name, version: version.number, actor: "tesserad")
            logger.info("installed the demo model", metadata: ["model": "\(name):\(version.number)"])
        } catch {
            logger.error("not installing the demo model", metadata: ["error": "\(error)"])
        }
    }
}

public import Foundation
public import TesseraEngine

/// Picks the format plugin for a model file or folder: the most confident `probe`, or the
/// one the user named. Loading the model through it both validates the file and yields the
/// signature the registry records.
public struct FormatDetector: Sendable {
    public let formats: [FormatPlugin]

    public init(host: PluginHost) {
        formats = host.formats
    }

    /// The chosen plugin and the graph it loaded.
    public struct Detection: Sendable {
        public let format: FormatPlugin
        public let confidence: Float
        public let graph: Graph

        /// Inputs, outputs and sizes as JSON, for the registry.
        public var signatureJSON: String { ModelSignature(graph).json }
    }

    /// Detects and loads `path`. `forced` names a format and skips probing.
    public func detect(_ path: URL, forced: String? = nil) throws(PluginError) -> Detection {
        guard !formats.isEmpty else {
            throw PluginError(.notFound, "no format plugins are loaded; enable one (e.g. the bundled 'safetensors') in tessera.toml")
        }
        guard FileManager.default.fileExists(atPath: path.path) else {
            throw PluginError(.notFound, "no file or folder at \(path.path)")
        }
        let names = formats.map(\.name).joined(separator: ", ")
        if let forced {
            guard let format = formats.first(where: { $0.name == forced }) else {
                throw PluginError(.notFound, "no format plugin named '\(forced)'; loaded formats: \(names)")
            }
            return Detection(format: format, confidence: 1, graph: try format.load(path.path))
        }
        var best: (FormatPlugin, Float)?
        for format in formats {
            let confidence = (try? format.probe(path.path)) ?? 0
            if confidence > (best?.1 ?? 0) { best = (format, confidence) }
        }
        guard let (format, confidence) = best, confidence > 0 else {
            throw PluginError(.notFound, "no format plugin recognizes \(path.path) (loaded formats: \(names)); name the format explicitly if you know it")
        }
        return Detection(format: format, confidence: confidence, graph: try format.load(path.path))
    }
}

/// What the registry records about a model's interface.
struct ModelSignature: Encodable {
    struct Value: Encodable {
        let name: String
        let datatype: String
        let shape: [Int]
    }

    let inputs: [Value]
    let outputs: [Value]
    let initializers: Int
    let parameters: Int
    let nodes: Int

    init(_ graph: Graph) {
        inputs = graph.inputs.map { Value(name: $0.name, datatype: $0.dtype.name, shape: $0.shape) }
        outputs = graph.outputs.map { Value(name: $0.name, datatype: $0.dtype.name, shape: $0.shape) }
        initializers = graph.initializers.count
        parameters = graph.parameterCount
        nodes = graph.nodes.count
    }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

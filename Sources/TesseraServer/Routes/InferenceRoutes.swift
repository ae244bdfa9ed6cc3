import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TesseraEngine

/// Open Inference Protocol (KServe v2) model endpoints: metadata, readiness, inference and
/// statistics, for the version a model's deployment routes to or for a named loaded version.
struct InferenceRoutes {
    let state: ServerState

    struct TensorMetadata: Codable { let name: String; let datatype: String; let shape: [Int] }

    struct ModelMetadata: ResponseEncodable {
        let name: String
        let versions: [String]
        let platform: String
        let inputs: [TensorMetadata]
        let outputs: [TensorMetadata]
    }

    struct ModelReady: Encodable { let name: String; let ready: Bool }

    /// Header that pins a client to one side of a canary split (same key, same version).
    static let stickyHeader = HTTPField.Name("Tessera-Route-Key")!

    func register(on router: RouterGroup<some RequestContext>) {
        router.get("models/:name") { _, context in
            metadata(try target(context, versionParameter: false))
        }
        router.get("models/:name/versions/:version") { _, context in
            metadata(try target(context, versionParameter: true))
        }
        router.get("models/:name/ready") { _, context in try ready(context, versionParameter: false) }
        router.get("models/:name/versions/:version/ready") { _, context in try ready(context, versionParameter: true) }
        // `InferenceResponder` answers the plain spelling of these two paths before the
        // router; the router still takes the spellings it also matches (doubled or trailing
        // slashes).
        router.post("models/:name/infer") { request, context in
            try await infer(request, model: try context.parameters.require("name"), version: nil)
        }
        router.post("models/:name/versions/:version/infer") { request, context in
            try await infer(request, model: try context.parameters.require("name"),
                            version: try context.parameters.require("version"))
        }
        router.get("models/:name/stats") { _, context in
            let name = try context.parameters.require("name")
            let versions = state.serving.loadedVersions(of: name)
            guard !versions.isEmpty else { throw notServed(name) }
            return StatisticsBody(model_stats: versions.map(ModelStatistics.init))
        }
        router.get("models/:name/versions/:version/stats") { _, context in
            StatisticsBody(model_stats: [ModelStatistics(try target(context, versionParameter: true))])
        }
    }

    // MARK: - Handlers

    /// `POST /v2/models/{model}/infer` (the routed version, canary and shadow included) or,
    /// with `version`, `POST /v2/models/{model}/versions/{version}/infer`.
    func infer(_ request: Request, model name: String, version: String?) async throws -> Response {
        if let version {
            return try await infer(request, target: try target(name, version: version), shadow: nil)
        }
        let sticky = request.headers[Self.stickyHeader]
        guard let (target, shadow) = state.serving.route(name, stickyKey: sticky) else { throw notServed(name) }
        return try await infer(request, target: target, shadow: shadow)
    }

    private func infer(_ request: Request, target: LoadedVersion, shadow: LoadedVersion?) async throws -> Response {
        var headerLength: Int?
        if let text = request.headers[.inferenceHeaderContentLength] {
            guard let value = Int(text), value >= 0 else {
                throw InferenceError.badRequest("Inference-Header-Content-Length '\(text)' is not a byte count")
            }
            headerLength = value
        }
        var request = request
        let body = try await request.collectBody(upTo: state.maxRequestBytes)
        let (decoded, payloads) = try InferenceCodec.decodeRequest(body, headerLength: headerLength)
        if target.text != nil { return try await embed(decoded, payloads, target: target, shadow: shadow) }
        var tensors: [String: Tensor] = [:]
        for (name, payload) in payloads {
            switch payload {
            case .tensor(let tensor): tensors[name] = tensor
            case .strings:
                let expected = target.inputs.first { $0.name == name }.map { $0.dtype.name } ?? "no such input"
                throw InferenceError.badRequest("\(target.label): input '\(name)' is BYTES but the model takes \(expected)")
            }
        }

        let names = try requestedOutputs(decoded, target)
        let outputs = try await target.infer(tensors)
        if let shadow { mirror(to: shadow, primary: outputs) { [tensors] in try await shadow.infer(tensors) } }
        let binaryDefault = decoded.parameters?["binary_data_output"]?.boolValue ?? false
        var binary: Set<String> = []
        for name in names {
            let asked = decoded.outputs?.first { $0.name == name }?.wantsBinary
            if asked ?? binaryDefault { binary.insert(name) }
        }
        return try InferenceResponse.response(model: target.model, version: target.version, id: decoded.id,
                                              outputs: names.map { ($0, outputs[$0]!) }, binary: binary)
    }

    /// A text model's request: one BYTES input of UTF-8 strings, answered with their embeddings.
    private func embed(_ request: InferenceRequest, _ payloads: [String: InferenceCodec.Payload],
                       target: LoadedVersion, shadow: LoadedVersion?) async throws -> Response {
        guard payloads.count == 1, let (name, payload) = payloads.first, case .strings(let strings, let shape) = payload else {
            throw InferenceError.badRequest("\(target.label) is a text model: send one BYTES input '\(LoadedVersion.textInput)' of UTF-8 strings")
        }
        guard shape.count == 1 || (shape.count == 2 && shape[1] == 1) else {
            throw InferenceError.badRequest("\(target.label): input '\(name)' must have shape [n] (or [n, 1]), not \(shape)")
        }
        var texts: [String] = []
        for data in strings {
            guard let text = String(data: data, encoding: .utf8) else {
                throw InferenceError.badRequest("\(target.label): input '\(name)' element \(texts.count) is not UTF-8 text")
            }
            texts.append(text)
        }
        guard !texts.isEmpty else { throw InferenceError.badRequest("\(target.label): input '\(name)' holds no text") }
        for output in request.outputs ?? [] where output.name != LoadedVersion.embeddingOutput {
            throw InferenceError.badRequest("\(target.label) has no output '\(output.name)'; its output is '\(LoadedVersion.embeddingOutput)'")
        }
        let embedding = try await target.embed(texts)
        if let shadow {
            mirror(to: shadow, primary: [LoadedVersion.embeddingOutput: embedding]) { [texts] in
                [LoadedVersion.embeddingOutput: try await shadow.embed(texts)]
            }
        }
        let binary = request.outputs?.first?.wantsBinary ?? request.parameters?["binary_data_output"]?.boolValue ?? false
        return try InferenceResponse.response(model: target.model, version: target.version, id: request.id,
                                              outputs: [(LoadedVersion.embeddingOutput, embedding)],
                                              binary: binary ? [LoadedVersion.embeddingOutput] : [])
    }

    /// Runs a shadow's copy of the request after the primary answered; its result is compared
    /// with the primary's and dropped, and never delays or changes the client's response.
    private func mirror(to shadow: LoadedVersion, primary: [String: Tensor],
                        _ run: @escaping @Sendable () async throws -> [String: Tensor]) {
        Task.detached {
            let result: Result<[String: Tensor], any Error>
            do { result = .success(try await run()) } catch { result = .failure(error) }
            shadow.shadowStats.record(primary: primary, shadow: result)
        }
    }

    /// The outputs to return, in order: those asked for, or all in the model's order.
    private func requestedOutputs(_ request: InferenceRequest, _ target: LoadedVersion) throws -> [String] {
        let available = target.outputNames
        guard let asked = request.outputs, !asked.isEmpty else { return available }
        for output in asked where !available.contains(output.name) {
            throw InferenceError.badRequest("\(target.label) has no output '\(output.name)'; its outputs are \(available.joined(separator: ", "))")
        }
        return asked.map(\.name)
    }

    private func metadata(_ version: LoadedVersion) -> ModelMetadata {
        ModelMetadata(
            name: version.model,
            versions: state.serving.loadedVersions(of: version.model).map { String($0.version) },
            platform: "tessera_\(version.format)",
            inputs: version.publicInputs.map { TensorMetadata(name: $0.name, datatype: $0.datatype, shape: $0.shape) },
            outputs: version.publicOutputs.map { TensorMetadata(name: $0.name, datatype: $0.datatype, shape: $0.shape) })
    }

    private func ready(_ context: some RequestContext, versionParameter: Bool) throws -> Response {
        let name = try context.parameters.require("name")
        let isReady: Bool
        if versionParameter {
            isReady = state.serving.loaded(name, version: try version(context)) != nil
        } else {
            isReady = state.serving.isRouted(name)
        }
        let body = try JSONEncoder().encode(ModelReady(name: name, ready: isReady))
        return Response(status: isReady ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The routed primary, or (with a version in the path) that loaded version.
    private func target(_ context: some RequestContext, versionParameter: Bool) throws -> LoadedVersion {
        let name = try context.parameters.require("name")
        guard versionParameter else {
            guard let primary = state.serving.primary(of: name) else { throw notServed(name) }
            return primary
        }
        return try target(name, version: try context.parameters.require("version"))
    }

    /// A loaded version named by the path's version text.
    private func target(_ name: String, version text: String) throws -> LoadedVersion {
        let number = try version(text)
        guard let loaded = state.serving.loaded(name, version: number) else {
            let loaded = state.serving.loadedVersions(of: name).map { String($0.version) }
            throw InferenceError.notFound("version \(number) of model '\(name)' is not loaded"
                + (loaded.isEmpty ? "; the model is not served" : "; loaded versions: \(loaded.joined(separator: ", "))")
                + ". Deploy it (tessera deploy \(name):\(number)) to serve it")
        }
        return loaded
    }

    private func version(_ context: some RequestContext) throws -> Int {
        try version(try context.parameters.require("version"))
    }

    private func version(_ text: String) throws -> Int {
        guard let number = Int(text), number > 0 else {
            throw InferenceError.badRequest("'\(text)' is not a version number (1, 2, …)")
        }
        return number
    }

    private func notServed(_ name: String) -> APIError {
        if let problem = state.serving.problems[name] {
            return InferenceError.unavailable("model '\(name)' is deployed but not serving: \(problem)", retryAfter: 5)
        }
        return InferenceError.notFound("model '\(name)' is not served; served models: "
            + (state.serving.servedModels.isEmpty ? "none" : state.serving.servedModels.joined(separator: ", "))
            + ". Register and deploy it (tessera register, tessera deploy)")
    }
}

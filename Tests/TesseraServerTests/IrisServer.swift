import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TesseraCore
@testable import TesseraServer
import TesseraTestSupport

/// A real store with the iris demo model (demo/iris) registered `versions` times and version 1
/// deployed, loaded through the bundled onnx plugin, served on a loopback port.
enum IrisServer {
    static let model = TestSupport.root.appendingPathComponent("demo/iris/iris-mlp.onnx")

    static func run(versions: Int = 1, plugins: [PluginSpec] = [], maxRequestBytes: Int = 1 << 20,
                    inferenceToken: String? = nil, managementToken: String? = nil,
                    scheduler: BatchScheduler.Options = BatchScheduler.Options(), limits: ServerLimits = ServerLimits(),
                    _ body: @Sendable (any TestClientProtocol, ServerState) async throws -> Void) async throws {
        let folder = try TestSupport.temporaryDirectory("tessera-iris")
        defer { try? FileManager.default.removeItem(at: folder) }
        let host = PluginHost(hostName: "test")
        host.load([PluginSpec(source: .bundled("onnx"))] + plugins)
        defer { host.shutdown() }
        #expect(host.problems.isEmpty, "plugins failed to load: \(host.problems)")
        let store = try ModelStore(root: folder.appendingPathComponent("store"))
        let detection = try FormatDetector(host: host).detect(model)
        for _ in 0..<versions {
            _ = try store.register(ModelStore.Registration(model: "iris", path: model, format: detection.format.name,
                                                           signatureJSON: detection.signatureJSON), actor: "test")
        }
        _ = try store.registry.deploy(model: "iris", version: 1, actor: "test")
        var options = ModelServing.Options()
        options.gracePeriod = .seconds(60)
        options.scheduler = scheduler
        let serving = ModelServing(store: store, plugins: host, options: options)
        defer { serving.shutdown() }
        try await serving.sync()
        let state = ServerState(plugins: host, store: store, managementToken: managementToken,
                                inferenceToken: inferenceToken, serving: serving, maxRequestBytes: maxRequestBytes)
        let app = TesseraServer.makeApplication(state: state, host: "127.0.0.1", port: 0, limits: limits, logger: Logger(label: "test"))
        try await app.test(.live) { client in try await body(client, state) }
    }
}

public import Hummingbird
import HummingbirdCore
public import Logging
public import TesseraCore
import NIOCore

/// TesseraServer: the daemon's HTTP face — Open Inference Protocol endpoints, the management
/// API under /v1, /metrics — and the services that run until shutdown. It turns HTTP into
/// calls on TesseraCore and never touches plugin libraries or files directly.
public enum TesseraServer {
    /// Name reported by `GET /v2` and in the `Server` header.
    public static let serverName = "tessera"

    /// Builds the HTTP application: routes, error handling and authentication. `limits`
    /// bounds headers and idle connections here; the body limit is `state.maxRequestBytes`.
    public static func makeApplication(
        state: ServerState,
        host: String,
        port: Int,
        limits: ServerLimits = ServerLimits(),
        logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: ErrorMiddleware(logger: logger))
        HealthRoutes(state: state).register(on: router)
        MetricsRoutes(state: state).register(on: router)
        let repository = router.group("v2/repository").add(middleware: TokenAuthMiddleware(token: state.managementToken, api: .management))
        RepositoryRoutes(state: state).register(on: repository)
        // Open inference (no token, the default) gets no middleware at all: every layer
        // costs each request an async hop.
        let inference = router.group("v2")
        let inferenceAuth = state.inferenceToken.map { TokenAuthMiddleware<BasicRequestContext>(token: $0, api: .inference) }
        if let inferenceAuth { inference.add(middleware: inferenceAuth) }
        let inferenceRoutes = InferenceRoutes(state: state)
        inferenceRoutes.register(on: inference)
        let management = router.group("v1").add(middleware: TokenAuthMiddleware(token: state.managementToken, api: .management))
        PluginRoutes(state: state).register(on: management)
        ModelRoutes(state: state).register(on: management)
        RolloutRoutes(state: state).register(on: management)
        // Over-long or too many header fields make NIO's parser fail the request; the
        // connection is answered 400 and closed.
        let decoder = HTTP1Channel.Configuration.DecoderConfiguration(
            maxHeaderFieldSize: limits.maxHeaderBytes, maxHeaderListSize: limits.maxHeaderBytes,
            maxHeaderFieldCount: limits.maxHeaderCount)
        let http = HTTP1Channel.Configuration(idleTimeout: TimeAmount.nanoseconds(Int64(limits.idleTimeoutSeconds * 1e9)),
                                              httpDecoderConfiguration: decoder)
        let responder = InferenceResponder(router: router.buildResponder(), routes: inferenceRoutes,
                                           auth: inferenceAuth, logger: logger)
        return Application(
            responder: responder,
            server: .http1(configuration: http),
            configuration: .init(address: .hostname(host, port: port), serverName: serverName),
            logger: logger
        )
    }
}

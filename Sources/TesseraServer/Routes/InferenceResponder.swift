import Hummingbird
import Logging

/// The server's responder: `POST /v2/models/{name}/infer` and
/// `POST /v2/models/{name}/versions/{version}/infer` are answered here directly, everything
/// else goes to the router.
///
/// For a tiny model the inference itself costs a few microseconds, so the generic machinery
/// around each request (resolving the path among ~45 routes, the middleware frames) was a
/// large share of a request. This does for these two paths what the router's chain does:
/// the inference token check when one is set, and the same error mapping as
/// `ErrorMiddleware`. Paths it does not recognise exactly fall through unchanged.
struct InferenceResponder<Context: RequestContext>: HTTPResponder {
    let router: RouterResponder<Context>
    let routes: InferenceRoutes
    /// The `/v2` group's token check, when an inference token is set.
    let auth: TokenAuthMiddleware<Context>?
    let logger: Logger

    func respond(to request: Request, context: Context) async throws -> Response {
        guard request.method == .post, let path = InferencePath(request.uri.path) else {
            return try await router.respond(to: request, context: context)
        }
        do {
            try auth?.check(request)
            return try await routes.infer(request, model: path.model, version: path.version)
        } catch {
            let mapped = ErrorMiddleware<Context>.apiError(for: error, path: request.uri.path, logger: logger)
            return try mapped.response(from: request, context: context)
        }
    }
}

/// The model (and version) of an inference path in its plain spelling:
/// `/v2/models/{name}/infer` or `/v2/models/{name}/versions/{version}/infer`, with no empty
/// components. Anything else is nil and left to the router.
struct InferencePath {
    let model: String
    let version: String?

    init?(_ path: String) {
        var path = path
        let parsed: (String, String?)? = path.withUTF8 { bytes in
            let prefix: StaticString = "/v2/models/", suffix: StaticString = "/infer"
            guard bytes.count > prefix.utf8CodeUnitCount + suffix.utf8CodeUnitCount,
                  Self.matches(bytes, prefix, at: 0),
                  Self.matches(bytes, suffix, at: bytes.count - suffix.utf8CodeUnitCount) else { return nil }
            let middle = UnsafeBufferPointer(rebasing: bytes[prefix.utf8CodeUnitCount..<(bytes.count - suffix.utf8CodeUnitCount)])
            guard let slash = middle.firstIndex(of: UInt8(ascii: "/")) else {
                return (String(decoding: middle, as: UTF8.self), nil)
            }
            // {name}/versions/{version}
            let rest = UnsafeBufferPointer(rebasing: middle[(slash + 1)...])
            let versions: StaticString = "versions/"
            guard slash > 0, rest.count > versions.utf8CodeUnitCount, Self.matches(rest, versions, at: 0) else { return nil }
            let version = UnsafeBufferPointer(rebasing: rest[versions.utf8CodeUnitCount...])
            guard !version.contains(UInt8(ascii: "/")) else { return nil }
            return (String(decoding: UnsafeBufferPointer(rebasing: middle[..<slash]), as: UTF8.self),
                    String(decoding: version, as: UTF8.self))
        }
        guard let parsed else { return nil }
        (model, version) = parsed
    }

    private static func matches(_ bytes: UnsafeBufferPointer<UInt8>, _ text: StaticString, at offset: Int) -> Bool {
        let count = text.utf8CodeUnitCount
        guard offset >= 0, offset + count <= bytes.count else { return false }
        return UnsafeBufferPointer(start: text.utf8Start, count: count).elementsEqual(bytes[offset..<offset + count])
    }
}

import Hummingbird

/// Requires `Authorization: Bearer <token>` on the routes it guards: 401 without a token,
/// 403 with a wrong one.
struct TokenAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Which API a token guards, for the messages.
    enum API: Sendable {
        case management, inference

        var missing: String {
            switch self {
            case .management: "the management API needs a token: send `Authorization: Bearer <token>` (the token is in the store's management-token file, or TESSERA_MANAGEMENT_TOKEN)"
            case .inference: "inference needs a token: send `Authorization: Bearer <token>` (the value of TESSERA_INFERENCE_TOKEN the daemon was started with)"
            }
        }

        var wrong: String {
            switch self {
            case .management: "the management token is wrong"
            case .inference: "the inference token is wrong"
            }
        }
    }

    let token: String?
    let api: API

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try check(request)
        return try await next(request, context)
    }

    /// Throws the 401 or 403 for a request without the token (`InferenceResponder` checks
    /// with this too).
    func check(_ request: Request) throws {
        guard let token else { return }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            var error = APIError(.unauthorized, api.missing)
            error.headers[.wwwAuthenticate] = "Bearer"
            throw error
        }
        guard Self.constantTimeEqual(String(header.dropFirst("Bearer ".count)), token) else {
            throw APIError(.forbidden, api.wrong)
        }
    }

    /// Compares without stopping at the first difference, so timing does not leak the token.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for index in 0..<min(x.count, y.count) { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}

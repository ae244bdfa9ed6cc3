import Foundation
import Hummingbird
import Logging

/// Turns every error into `{"error": …}` with the right status. Errors that are not HTTP
/// errors are internal faults: logged with a request id that the client also sees, so an
/// operator can find the log line.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            throw Self.apiError(for: error, path: request.uri.path, logger: logger)
        }
    }

    /// The error a request to `path` answers for `error` (`InferenceResponder` maps its own
    /// errors with this too).
    static func apiError(for error: any Error, path: String, logger: Logger) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as HTTPError:
            var converted = APIError(error.status, error.body ?? defaultMessage(error.status, path: path))
            converted.headers = error.headers
            return converted
        default:
            if let mapped = ErrorStatus.apiError(for: error) { return mapped }
            let requestID = UUID().uuidString.lowercased()
            logger.error("internal error", metadata: ["request_id": "\(requestID)", "path": "\(path)", "error": "\(error)"])
            return APIError(.internalServerError, "internal error (request id \(requestID)); the server log has the details")
        }
    }

    static func defaultMessage(_ status: HTTPResponse.Status, path: String) -> String {
        switch status {
        case .notFound: "no endpoint at \(path); see GET /v2 for the server and the README for the API"
        case .methodNotAllowed: "method not allowed on \(path)"
        default: status.reasonPhrase
        }
    }
}

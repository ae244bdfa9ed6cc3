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
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            let message = error.body ?? Self.defaultMessage(error.status, path: request.uri.path)
            var converted = APIError(error.status, message)
            converted.headers = error.headers
            throw converted
        } catch {
            if let mapped = ErrorStatus.apiError(for: error) { throw mapped }
            let requestID = UUID().uuidString.lowercased()
            logger.error("internal error", metadata: ["request_id": "\(requestID)", "path": "\(request.uri.path)", "error": "\(error)"])
            throw APIError(.internalServerError, "internal error (request id \(requestID)); the server log has the details")
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

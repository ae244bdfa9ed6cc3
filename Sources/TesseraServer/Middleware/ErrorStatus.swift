import Hummingbird
import NIOCore
import TesseraCore

/// The HTTP status for the core's errors: a caller's mistake is 4xx with the core's message;
/// anything else is a genuine fault (500), logged with a request id.
enum ErrorStatus {
    static func apiError(for error: any Error) -> APIError? {
        switch error {
        case let error as RegistryError:
            switch error.code {
            case .notFound: return APIError(.notFound, error.message)
            case .invalidName, .invalidReference, .invalidArgument: return APIError(.badRequest, error.message)
            case .conflict: return APIError(.conflict, error.message)
            case .busy:
                var busy = APIError(.serviceUnavailable, error.message)
                busy.headers[.retryAfter] = "1"
                return busy
            default: return nil
            }
        case let error as StoreError:
            switch error.code {
            case .sourceMissing, .notAFile, .unsupportedFile, .symlinkOutside, .emptyArtifact, .destinationExists, .sourceChanged:
                return APIError(.badRequest, error.message)
            case .noSpace: return APIError(HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), error.message)
            default: return nil
            }
        case is NIOTooManyBytesError:
            return APIError(.contentTooLarge, "the request body is larger than this server accepts")
        case let error as DecodingError:
            return APIError(.badRequest, "the request body is not the JSON this endpoint expects: \(describe(error))")
        default:
            return nil
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): "missing key \"\(key.stringValue)\""
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            "wrong type at \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\": \(context.debugDescription)"
        case .dataCorrupted(let context): context.debugDescription
        @unknown default: "\(error)"
        }
    }
}

import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import Testing
@testable import TesseraServer

/// The inference paths `InferenceResponder` answers without the router: which spellings it
/// takes, and that it checks the token and maps errors as the router's chain does.
@Suite("Inference responder")
struct InferenceResponderTests {
    static let json: HTTPFields = [.contentType: "application/json"]

    static func inferBody() throws -> ByteBuffer {
        try InferenceRoutesTests.inferBody([[5.1, 3.5, 1.4, 0.2]])
    }

    /// The model and version a path is recognised as, or nil when it is left to the router.
    static func parse(_ path: String) -> [String?]? {
        InferencePath(path).map { [$0.model, $0.version] }
    }

    @Test("the plain spellings of the two infer paths are recognised; anything else is left to the router")
    func paths() {
        #expect(Self.parse("/v2/models/iris/infer") == ["iris", nil])
        #expect(Self.parse("/v2/models/iris/versions/12/infer") == ["iris", "12"])
        #expect(Self.parse("/v2/models/versions/infer") == ["versions", nil])
        // The version is checked by the handler, as the router's route does.
        #expect(Self.parse("/v2/models/iris/versions/x/infer") == ["iris", "x"])
        for other in ["/v2/models/infer", "/v2/models//infer", "/v2/models/iris/infer/", "/v2/models//iris/infer",
                      "/v2/models/iris/versions/infer", "/v2/models/iris/versions//infer", "/v2/models//versions/1/infer",
                      "/v2/models/iris/versions/1/2/infer", "/v2/models/iris/other/1/infer", "/v2/models/a/b/infer",
                      "/v1/models/iris/infer", "/v2/models/iris/ready", "/v2/models/iris/inference", "/"] {
            #expect(Self.parse(other) == nil, "\(other)")
        }
    }

    @Test("spellings the router also matches, and other methods, still reach the router")
    func fallThrough() async throws {
        try await IrisServer.run { client, _ in
            for uri in ["/v2/models/iris/infer/", "/v2//models/iris/infer", "/v2/models/iris/versions/1/infer/"] {
                try await client.execute(uri: uri, method: .post, headers: Self.json, body: try Self.inferBody()) { response throws in
                    #expect(response.status == .ok, "\(uri)")
                }
            }
            try await client.execute(uri: "/v2/models/iris/infer", method: .get) { response throws in
                #expect(response.status == .notFound)
                #expect(try InferenceRoutesTests.error(response.body).contains("no endpoint at /v2/models/iris/infer"))
            }
        }
    }

    @Test("with an inference token set, infer needs it: 401 without, 403 wrong, 200 right, on both paths")
    func token() async throws {
        try await IrisServer.run(inferenceToken: "i-token") { client, _ in
            for uri in ["/v2/models/iris/infer", "/v2/models/iris/versions/1/infer"] {
                try await client.execute(uri: uri, method: .post, headers: Self.json, body: try Self.inferBody()) { response throws in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[.wwwAuthenticate] == "Bearer")
                    #expect(response.headers[.contentType] == "application/json")
                    #expect(try InferenceRoutesTests.error(response.body).contains("inference needs a token"))
                }
                var wrong = Self.json
                wrong[.authorization] = "Bearer nope"
                try await client.execute(uri: uri, method: .post, headers: wrong, body: try Self.inferBody()) { response throws in
                    #expect(response.status == .forbidden)
                    #expect(try InferenceRoutesTests.error(response.body).contains("the inference token is wrong"))
                }
                var right = Self.json
                right[.authorization] = "Bearer i-token"
                try await client.execute(uri: uri, method: .post, headers: right, body: try Self.inferBody()) { response throws in
                    #expect(response.status == .ok)
                }
            }
            // The token is checked before the model is looked up, as the middleware did.
            try await client.execute(uri: "/v2/models/tulip/infer", method: .post, headers: Self.json,
                                     body: try Self.inferBody()) { response throws in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test("errors the handler does not map are a 500 with a request id that the log line also has")
    func internalError() throws {
        struct Fault: Error {}
        let lines = CapturedLines()
        let logger = Logger(label: "test") { label in
            DeferredMetadataLogHandler(StreamLogHandler(label: label, stream: lines, metadataProvider: nil))
        }
        let error = ErrorMiddleware<BasicRequestContext>.apiError(for: Fault(), path: "/v2/models/iris/infer", logger: logger)
        #expect(error.status == .internalServerError)
        let id = try #require(error.message.firstMatch(of: /request id ([0-9a-f-]{36})/)?.1)
        let logged = lines.text
        #expect(logged.contains("internal error"))
        #expect(logged.contains("request_id=\(id)"))
        #expect(logged.contains("path=/v2/models/iris/infer"))

        let mapped = ErrorMiddleware<BasicRequestContext>.apiError(for: HTTPError(.notFound), path: "/x", logger: logger)
        #expect(mapped.status == .notFound)
        #expect(mapped.message.contains("no endpoint at /x"))
        let tooLarge = ErrorMiddleware<BasicRequestContext>.apiError(for: NIOTooManyBytesError(maxBytes: 1), path: "/x", logger: logger)
        #expect(tooLarge.status == .contentTooLarge)
    }
}

/// Lines a `StreamLogHandler` wrote, for reading back in tests.
final class CapturedLines: TextOutputStream, @unchecked Sendable {
    private let lock = NSLock()
    private var lines = ""

    func write(_ string: String) { lock.withLock { lines += string } }

    var text: String { lock.withLock { lines } }
}

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HummingbirdTesting
import Testing
import TesseraCore
@testable import TesseraServer

/// What the server refuses to take on, seen through HTTP on a real loopback port.
@Suite("Server limits")
struct ServerLimitsTests {
    /// A session that opens a connection per concurrent request (the test client has one).
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 16
        return URLSession(configuration: configuration)
    }()

    /// Sends a request on its own connection; the status, Retry-After and body.
    static func send(_ port: Int, _ path: String, body: Data? = nil, headers: [String: String] = [:]) async throws -> (Int, String?, String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        if let body {
            request.httpMethod = "POST"
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return (http.statusCode, http.value(forHTTPHeaderField: "Retry-After"), String(decoding: data, as: UTF8.self))
    }

    static func infer(_ port: Int, rows: Int) async throws -> (Int, String?, String) {
        let data = (0..<rows).map { _ in [5.1, 3.5, 1.4, 0.2] }
        let body = try JSONSerialization.data(withJSONObject: ["inputs": [["name": "features", "shape": [rows, 4], "datatype": "FP32", "data": data]]])
        return try await send(port, "/v2/models/iris/infer", body: body)
    }

    @Test("a full queue answers 503 with Retry-After and an error saying what to do; queued requests still succeed")
    func backpressure() async throws {
        // One worker, batches of at most 2 rows held open for 2 s, room for 2 waiting requests:
        // a 1-row request occupies the worker while it waits for a partner; 2-row requests
        // cannot join it and queue; the queue then overflows.
        var scheduler = BatchScheduler.Options()
        scheduler.maxBatchSize = 2
        scheduler.maxQueueDelay = .seconds(2)
        scheduler.queueCapacity = 2
        try await IrisServer.run(scheduler: scheduler) { client, _ in
            let port = try #require(client.port)
            let results = try await withThrowingTaskGroup(of: (Int, String?, String).self) { group in
                group.addTask { try await Self.infer(port, rows: 1) }
                try await Task.sleep(for: .milliseconds(300))
                for _ in 0..<4 {
                    group.addTask { try await Self.infer(port, rows: 2) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let refused = results.filter { $0.0 == 503 }
            let served = results.filter { $0.0 == 200 }
            #expect(refused.count >= 1 && refused.count <= 3, "\(results.map(\.0))")
            #expect(served.count + refused.count == 5, "\(results.map { ($0.0, $0.2) })")
            for (_, retryAfter, body) in refused {
                #expect(retryAfter != nil)
                #expect(body.contains("queued") && body.contains("retry"), "\(body)")
            }
        }
    }

    @Test("headers over max_header_kb or max_headers are refused, and normal requests still work")
    func headerLimits() async throws {
        var limits = ServerLimits()
        limits.maxHeaderBytes = 1024
        limits.maxHeaderCount = 20
        try await IrisServer.run(limits: limits) { client, _ in
            let port = try #require(client.port)
            #expect(try await Self.infer(port, rows: 1).0 == 200)
            #expect(try await Self.send(port, "/v2/health/live", headers: ["X-Padding": String(repeating: "a", count: 512)]).0 == 200)
            #expect(try await Self.send(port, "/v2/health/live", headers: ["X-Padding": String(repeating: "a", count: 4096)]).0 == 400)
            let many = Dictionary(uniqueKeysWithValues: (0..<40).map { ("X-Field-\($0)", "1") })
            #expect(try await Self.send(port, "/v2/health/live", headers: many).0 == 400)
            // The server is still serving.
            #expect(try await Self.infer(port, rows: 1).0 == 200)
        }
    }
}

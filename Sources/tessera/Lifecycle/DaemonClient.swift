import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small client for the daemon's HTTP API. Calls block the calling thread: the CLI does one
/// thing at a time, and its commands are synchronous.
struct DaemonClient: Sendable {
    let baseURL: URL
    let token: String?

    /// The daemon could not be reached at all (as opposed to answering with an error).
    struct Unreachable: Error, CustomStringConvertible {
        let url: URL
        let reason: String
        var description: String { "tesserad is not reachable at \(url): \(reason)" }
    }

    /// The daemon answered with an error status; `message` is its `{"error": …}`.
    struct Failure: Error, CustomStringConvertible {
        let status: Int
        let message: String
        var description: String { "tesserad answered \(status): \(message)" }
    }

    /// GETs `path` and decodes the JSON body as `T`.
    func get<T: Decodable>(_ path: String, as type: T.Type) throws -> T {
        try send("GET", path, body: Optional<[String: String]>.none, as: type)
    }

    /// Sends `body` as JSON with `method` and decodes the answer as `T`.
    func send<Body: Encodable, T: Decodable>(_ method: String, _ path: String, body: Body?, as type: T.Type) throws -> T {
        let data = try perform(method, path, body: body)
        return try JSONDecoder().decode(T.self, from: data.isEmpty ? Data("{}".utf8) : data)
    }

    /// Sends a request whose answer has no body worth reading.
    func send<Body: Encodable>(_ method: String, _ path: String, body: Body?) throws {
        _ = try perform(method, path, body: body)
    }

    private func perform<Body: Encodable>(_ method: String, _ path: String, body: Body?) throws -> Data {
        guard let url = URL(string: path, relativeTo: baseURL) else {
            throw Failure(status: 0, message: "cannot make a URL from \(path)")
        }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = 600
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONEncoder().encode(body)
        }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, error in
            outcome.set(data, response as? HTTPURLResponse, error)
            done.signal()
        }.resume()
        done.wait()
        let (data, response, error) = outcome.get()
        guard let response else {
            throw Unreachable(url: baseURL, reason: error?.localizedDescription ?? "no response")
        }
        let bytes = data ?? Data()
        guard (200..<300).contains(response.statusCode) else {
            let message = (try? JSONDecoder().decode([String: String].self, from: bytes))?["error"]
                ?? String(decoding: bytes, as: UTF8.self)
            throw Failure(status: response.statusCode, message: message)
        }
        return bytes
    }

    /// Carries the completion handler's results back to the waiting thread.
    private final class Outcome: @unchecked Sendable {
        private let lock = NSLock()
        private var value: (Data?, HTTPURLResponse?, (any Error)?) = (nil, nil, nil)
        func set(_ data: Data?, _ response: HTTPURLResponse?, _ error: (any Error)?) {
            lock.withLock { value = (data, response, error) }
        }
        func get() -> (Data?, HTTPURLResponse?, (any Error)?) { lock.withLock { value } }
    }
}

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small client for the daemon's HTTP API.
struct DaemonClient {
    let baseURL: URL
    let token: String?

    /// The daemon could not be reached at all (as opposed to answering with an error).
    struct Unreachable: Error, CustomStringConvertible {
        let url: URL
        let reason: String
        var description: String { "tesserad is not reachable at \(url): \(reason)" }
    }

    struct Failure: Error, CustomStringConvertible {
        let status: Int
        let message: String
        var description: String { "tesserad answered \(status): \(message)" }
    }

    /// GETs `path` and decodes the JSON body as `T`.
    func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
        var request = URLRequest(url: baseURL.appendingPathComponent(path))
        request.timeoutInterval = 10
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw Unreachable(url: baseURL, reason: error.localizedDescription)
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 else {
            let message = (try? JSONDecoder().decode([String: String].self, from: data))?["error"]
                ?? String(decoding: data, as: UTF8.self)
            throw Failure(status: status, message: message)
        }
        return try JSONDecoder().decode(T.self, from: data)
    }
}

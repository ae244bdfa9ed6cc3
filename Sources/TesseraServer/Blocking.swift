import Dispatch

/// Runs blocking work (file copies, hashing, SQLite) on a dispatch queue instead of Swift
/// concurrency's cooperative threads, which must never block.
enum Blocking {
    private static let queue = DispatchQueue(label: "tessera.blocking", attributes: .concurrent)

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}

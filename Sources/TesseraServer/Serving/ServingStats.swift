import Foundation
import Synchronization

/// Counters for one loaded version, in the shape of the protocol's statistics extension
/// (`GET /v2/models/{m}/stats`): requests that succeeded or failed, time in the queue and in
/// the engine, and how many requests each batch carried.
final class ServingStats: Sendable {
    struct Duration: Codable, Sendable, Equatable {
        var count: Int = 0
        var ns: Int64 = 0

        mutating func add(_ nanoseconds: Int64, count: Int = 1) {
            self.count += count
            ns += nanoseconds
        }
    }

    struct Snapshot: Sendable {
        var success = Duration()
        var fail = Duration()
        var queue = Duration()
        var computeInfer = Duration()
        /// Inferences (requests that reached the engine).
        var inferenceCount = 0
        /// Engine runs (batches).
        var executionCount = 0
        /// Milliseconds since the epoch of the last inference, 0 before the first.
        var lastInference: Int64 = 0
        /// Per batch size: how many batches, and their engine time.
        var batches: [Int: Duration] = [:]
        /// Requests waiting right now.
        var queueDepth = 0
    }

    private let state = Mutex(Snapshot())

    var snapshot: Snapshot { state.withLock { $0 } }

    func recordBatch(size: Int, computeNanos: Int64) {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        state.withLock {
            $0.executionCount += 1
            $0.inferenceCount += size
            $0.computeInfer.add(computeNanos)
            $0.batches[size, default: Duration()].add(computeNanos)
            $0.lastInference = now
        }
    }

    func recordQueued(nanos: Int64) { state.withLock { $0.queue.add(nanos) } }

    func recordRequest(succeeded: Bool, nanos: Int64) {
        state.withLock {
            if succeeded { $0.success.add(nanos) } else { $0.fail.add(nanos) }
        }
    }

    func setQueueDepth(_ depth: Int) { state.withLock { $0.queueDepth = depth } }
}

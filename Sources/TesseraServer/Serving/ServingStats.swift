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

    /// Counts per bucket (not cumulative; exporters accumulate), with sum and count.
    struct Histogram: Sendable {
        let bounds: [Double]
        var counts: [UInt64]
        var sum = 0.0
        var count: UInt64 = 0

        init(bounds: [Double]) {
            self.bounds = bounds
            counts = Array(repeating: 0, count: bounds.count)
        }

        mutating func observe(_ value: Double) {
            if let index = bounds.firstIndex(where: { value <= $0 }) { counts[index] += 1 }
            sum += value
            count += 1
        }

        /// Ascending bounds with cumulative counts, as Prometheus wants them.
        var cumulative: [(bound: Double, count: UInt64)] {
            var running: UInt64 = 0
            return zip(bounds, counts).map { bound, count in
                running += count
                return (bound, running)
            }
        }

        static let seconds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
        static let sizes: [Double] = [1, 2, 4, 8, 16, 32, 64, 128]
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
        var requestSeconds = Histogram(bounds: Histogram.seconds)
        var queueSeconds = Histogram(bounds: Histogram.seconds)
        var computeSeconds = Histogram(bounds: Histogram.seconds)
        var batchSizes = Histogram(bounds: Histogram.sizes)
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
            $0.computeSeconds.observe(Double(computeNanos) / 1e9)
            $0.batchSizes.observe(Double(size))
            $0.lastInference = now
        }
    }

    func recordQueued(nanos: Int64) {
        state.withLock {
            $0.queue.add(nanos)
            $0.queueSeconds.observe(Double(nanos) / 1e9)
        }
    }

    func recordRequest(succeeded: Bool, nanos: Int64) {
        state.withLock {
            if succeeded { $0.success.add(nanos) } else { $0.fail.add(nanos) }
            $0.requestSeconds.observe(Double(nanos) / 1e9)
        }
    }

    func setQueueDepth(_ depth: Int) { state.withLock { $0.queueDepth = depth } }
}

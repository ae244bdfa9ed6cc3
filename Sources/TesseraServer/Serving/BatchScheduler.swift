import Dispatch
import Foundation
import TesseraEngine

/// Queues the requests of one loaded version and runs them on the engine, in batches where
/// the model allows.
///
/// A bounded queue (a full one answers 503 at once, so overload never grows memory or
/// latency without limit) feeds `instances` worker threads. A worker takes the oldest request
/// and every queued request of the same shape (apart from the batch dimension) up to
/// `maxBatchSize` rows, waiting up to `maxQueueDelay` for more to arrive; it concatenates them
/// along dimension 0, runs the engine once and splits the outputs. With no delay, batches form
/// by themselves under load: whatever queued while the engine was busy goes in the next run.
///
/// Workers are threads of their own, not Swift concurrency tasks: an engine run is long,
/// blocking CPU work that must not occupy the cooperative pool the HTTP server runs on.
/// The exception is a model whose runs take microseconds: for it the hand-off to a worker
/// and back (two thread wake-ups) costs more than the run, so when nothing is queued, a
/// worker's slot is free and no batching window applies, the request runs on the caller's
/// thread (`Options.inlineRunLimit`).
public final class BatchScheduler: @unchecked Sendable {
    public struct Options: Sendable, Equatable {
        /// Most rows (summed over requests' first dimension) per engine run.
        public var maxBatchSize = 16
        /// How long the oldest request may wait for others to join its batch.
        public var maxQueueDelay: Duration = .zero
        /// Batch sizes (in rows) worth running at once: a batch that reaches one stops waiting
        /// for more, as Triton's `preferred_batch_size` does.
        public var preferredBatchSizes: [Int] = []
        /// Requests that may wait; one more is refused with 503.
        public var queueCapacity = 256
        /// Worker threads, each running one batch at a time.
        public var instances = 1
        /// A request still queued after this long fails with 503 instead of running late.
        public var queueTimeout: Duration = .seconds(30)
        /// Runs recently shorter than this may run on the submitting thread when the
        /// scheduler is idle; `.zero` always hands requests to the workers.
        public var inlineRunLimit: Duration = .microseconds(50)

        public init() {}
    }

    typealias Run = @Sendable ([String: Tensor]) throws -> [String: Tensor]

    /// How one request went, for monitors.
    struct Outcome: Sendable {
        let queueNanos: Int64
        let computeNanos: Int64
        let totalNanos: Int64
        let batchSize: Int
        let error: (any Error)?
    }

    let options: Options
    let stats: ServingStats
    /// Whether requests may be concatenated: every input and output has a dynamic first dimension.
    let batchable: Bool
    private let run: Run
    private let label: String
    private let report: (@Sendable (Outcome) -> Void)?

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [Pending] = []
    private var closed = false
    private var nextID: UInt64 = 0
    private var running = 0
    /// Engine runs in progress, by workers or inline; never more than `instances`.
    private var busy = 0
    /// A moving average of recent runs' duration; unknown (max) until the first run.
    private var recentRunNanos = Int64.max
    private let inlineLimitNanos: Int64

    init(label: String, options: Options, batchable: Bool, stats: ServingStats,
         report: (@Sendable (Outcome) -> Void)? = nil, run: @escaping Run) {
        self.label = label
        self.report = report
        self.options = options
        self.batchable = batchable
        self.stats = stats
        self.run = run
        inlineLimitNanos = options.maxQueueDelay == .zero ? Int64(Self.seconds(options.inlineRunLimit) * 1e9) : 0
        for index in 0..<max(options.instances, 1) {
            let thread = Thread { [self] in workerLoop() }
            // Linux keeps 15 bytes of a thread name; longer names are not applied at all.
            thread.name = String("tsr-\(index)-\(label)".utf8.prefix(15)) ?? "tessera-worker"
            running += 1
            thread.start()
        }
    }

    /// Runs `inputs` (already checked against the model's inputs) and returns the outputs.
    func submit(_ inputs: [String: Tensor]) async throws -> [String: Tensor] {
        let enqueued = DispatchTime.now().uptimeNanoseconds
        if let result = runInline(inputs, enqueued: enqueued) { return try result.get() }
        let id: UInt64 = condition.withLock { nextID += 1; return nextID }
        // Inputs that disagree on the batch dimension never join a batch; the engine will say what is wrong.
        let key = batchable ? BatchKey(inputs) : nil
        let rows = key?.rows ?? 1
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                condition.lock()
                defer { condition.unlock() }
                if closed {
                    continuation.resume(throwing: InferenceError.unavailable("\(label) is being unloaded; retry to reach the version now serving"))
                    return
                }
                guard queue.count < options.queueCapacity else {
                    continuation.resume(throwing: InferenceError.unavailable(
                        "\(label) has \(queue.count) requests queued, its limit; retry shortly or raise the queue capacity"))
                    return
                }
                queue.append(Pending(id: id, inputs: inputs, key: key, rows: rows, enqueued: enqueued, continuation: continuation))
                stats.setQueueDepth(queue.count)
                condition.broadcast()
            }
        } onCancel: {
            // The client went away: drop the request if it has not started.
            let dropped: Pending? = condition.withLock {
                guard let index = queue.firstIndex(where: { $0.id == id }) else { return nil }
                let pending = queue.remove(at: index)
                stats.setQueueDepth(queue.count)
                return pending
            }
            dropped?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Stops taking requests; queued ones still run, then the workers exit.
    func close() {
        condition.withLock {
            closed = true
            condition.broadcast()
        }
    }

    /// Requests waiting now.
    var queueDepth: Int { condition.withLock { queue.count } }

    // MARK: - Workers

    private struct Pending {
        let id: UInt64
        let inputs: [String: Tensor]
        /// Nil for a request that runs alone.
        let key: BatchKey?
        let rows: Int
        let enqueued: UInt64
        let continuation: CheckedContinuation<[String: Tensor], any Error>
    }

    /// Inputs' names, element types and shapes without the first dimension: requests batch
    /// only with requests of the same key.
    private struct BatchKey: Equatable {
        struct Entry: Equatable {
            let name: String
            let dtype: DType
            let trailing: ArraySlice<Int>
        }

        let entries: [Entry]
        let rows: Int

        /// Nil when the inputs disagree on the batch dimension or have none.
        init?(_ inputs: [String: Tensor]) {
            var rows: Int?
            var entries: [Entry] = []
            entries.reserveCapacity(inputs.count)
            for (name, tensor) in inputs {
                guard let first = tensor.shape.first, first >= 0, rows == nil || rows == first else { return nil }
                rows = first
                entries.append(Entry(name: name, dtype: tensor.dtype, trailing: tensor.shape.dropFirst()))
            }
            guard let rows else { return nil }
            if entries.count > 1 { entries.sort { $0.name < $1.name } }
            self.entries = entries
            self.rows = rows
        }
    }

    /// Runs `inputs` on this thread if the scheduler is idle and runs are short; nil when
    /// the request must go through the queue.
    private func runInline(_ inputs: [String: Tensor], enqueued: UInt64) -> Result<[String: Tensor], any Error>? {
        guard inlineLimitNanos > 0 else { return nil }
        condition.lock()
        guard !closed, queue.isEmpty, busy < max(options.instances, 1), recentRunNanos <= inlineLimitNanos else {
            condition.unlock()
            return nil
        }
        busy += 1
        condition.unlock()
        let start = DispatchTime.now().uptimeNanoseconds
        let result = Result { try run(inputs) }
        let end = DispatchTime.now().uptimeNanoseconds
        finishedRun(nanos: end - start)
        stats.recordQueued(nanos: Int64(start - enqueued))
        stats.recordBatch(size: 1, computeNanos: Int64(end - start))
        record(result, enqueued: enqueued, started: start, at: end, batchSize: 1)
        return result
    }

    /// Frees a run's slot and folds its duration into the average that decides inline runs.
    private func finishedRun(nanos: UInt64) {
        condition.lock()
        busy -= 1
        let sample = Int64(clamping: nanos)
        recentRunNanos = recentRunNanos == .max ? sample : (recentRunNanos * 7 + sample) / 8
        // A worker may be waiting for this slot.
        if !queue.isEmpty { condition.broadcast() }
        condition.unlock()
    }

    private func workerLoop() {
        while let batch = nextBatch() {
            let start = DispatchTime.now().uptimeNanoseconds
            let answers = execute(batch)
            // The slot is free before the callers resume, so their next request may run inline.
            finishedRun(nanos: DispatchTime.now().uptimeNanoseconds - start)
            for (pending, result) in answers { pending.continuation.resume(with: result) }
        }
        condition.withLock { running -= 1 }
    }

    /// Blocks until there is work; nil once closed and drained.
    private func nextBatch() -> [Pending]? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty || busy >= max(options.instances, 1) {
            if closed && queue.isEmpty { return nil }
            condition.wait()
        }
        busy += 1
        var batch = [queue.removeFirst()]
        var rows = batch[0].rows
        if batchable, options.maxBatchSize > 1 {
            let deadline = Date().addingTimeInterval(Self.seconds(options.maxQueueDelay))
            while true {
                var index = 0
                while index < queue.count, rows < options.maxBatchSize {
                    let candidate = queue[index]
                    if candidate.key != nil, candidate.key == batch[0].key, rows + candidate.rows <= options.maxBatchSize {
                        batch.append(queue.remove(at: index))
                        rows += candidate.rows
                    } else {
                        index += 1
                    }
                }
                if rows >= options.maxBatchSize || options.preferredBatchSizes.contains(rows) || closed || Date() >= deadline { break }
                _ = condition.wait(until: deadline)
            }
        }
        stats.setQueueDepth(queue.count)
        return batch
    }

    /// Runs a batch and records how each request went; the caller delivers the answers.
    private func execute(_ batch: [Pending]) -> [(Pending, Result<[String: Tensor], any Error>)] {
        var answers: [(Pending, Result<[String: Tensor], any Error>)] = []
        answers.reserveCapacity(batch.count)
        func finish(_ pending: Pending, _ result: Result<[String: Tensor], any Error>, started: UInt64, at end: UInt64, batchSize: Int) {
            record(result, enqueued: pending.enqueued, started: started, at: end, batchSize: batchSize)
            answers.append((pending, result))
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let timeout = UInt64(Self.seconds(options.queueTimeout) * 1e9)
        var live: [Pending] = []
        for pending in batch {
            stats.recordQueued(nanos: Int64(start - pending.enqueued))
            if start - pending.enqueued > timeout {
                finish(pending, .failure(InferenceError.unavailable(
                    "\(label): the request waited longer than \(options.queueTimeout) in the queue; the server is overloaded")),
                       started: start, at: start, batchSize: 0)
            } else {
                live.append(pending)
            }
        }
        guard !live.isEmpty else { return answers }
        if live.count == 1 {
            let result = Result { try run(live[0].inputs) }
            let end = DispatchTime.now().uptimeNanoseconds
            stats.recordBatch(size: 1, computeNanos: Int64(end - start))
            finish(live[0], result, started: start, at: end, batchSize: 1)
            return answers
        }
        do {
            let outputs = try run(try Self.concatenate(live.map(\.inputs)))
            let parts = try Self.split(outputs, rows: live.map(\.rows))
            let end = DispatchTime.now().uptimeNanoseconds
            stats.recordBatch(size: live.count, computeNanos: Int64(end - start))
            for (pending, part) in zip(live, parts) {
                finish(pending, .success(part), started: start, at: end, batchSize: live.count)
            }
        } catch {
            // One request may have made the whole batch fail (a length the model cannot take):
            // run each alone so every client gets its own answer.
            for pending in live {
                let single = DispatchTime.now().uptimeNanoseconds
                let result = Result { try run(pending.inputs) }
                let end = DispatchTime.now().uptimeNanoseconds
                stats.recordBatch(size: 1, computeNanos: Int64(end - single))
                finish(pending, result, started: single, at: end, batchSize: 1)
            }
        }
        return answers
    }

    private func record(_ result: Result<[String: Tensor], any Error>, enqueued: UInt64, started: UInt64, at end: UInt64, batchSize: Int) {
        var failure: (any Error)?
        if case .failure(let error) = result { failure = error }
        stats.recordRequest(succeeded: failure == nil, nanos: Int64(end - enqueued))
        report?(Outcome(queueNanos: Int64(started - enqueued), computeNanos: Int64(end - started),
                        totalNanos: Int64(end - enqueued), batchSize: batchSize, error: failure))
    }

    // MARK: - Concatenation

    /// Joins the requests' inputs along dimension 0 (they share a batch key).
    static func concatenate(_ requests: [[String: Tensor]]) throws -> [String: Tensor] {
        var joined: [String: Tensor] = [:]
        for name in requests[0].keys {
            let parts = requests.map { $0[name]! }
            let rows = parts.reduce(0) { $0 + $1.shape[0] }
            let bytes = parts.reduce(0) { $0 + $1.storage.byteCount }
            let storage = TensorStorage(zeroedByteCount: bytes)
            var offset = 0
            let base = UnsafeMutableRawPointer(mutating: storage.baseAddress!)
            for part in parts where part.storage.byteCount > 0 {
                (base + offset).copyMemory(from: part.storage.baseAddress!, byteCount: part.storage.byteCount)
                offset += part.storage.byteCount
            }
            joined[name] = try Tensor(dtype: parts[0].dtype, shape: [rows] + parts[0].shape.dropFirst(), storage: storage)
        }
        return joined
    }

    /// Cuts each output along dimension 0 into the requests' row counts.
    static func split(_ outputs: [String: Tensor], rows: [Int]) throws -> [[String: Tensor]] {
        let total = rows.reduce(0, +)
        var parts = Array(repeating: [String: Tensor](), count: rows.count)
        for (name, tensor) in outputs {
            guard tensor.shape.first == total, total > 0 else {
                throw EngineError(.invalidTensor, "output '\(name)' has shape \(tensor.shape), not \(total) rows; cannot split the batch")
            }
            let rowBytes = tensor.storage.byteCount / total
            var offset = 0
            for (index, count) in rows.enumerated() {
                let bytes = UnsafeRawBufferPointer(start: tensor.storage.baseAddress! + offset, count: rowBytes * count)
                parts[index][name] = try Tensor(dtype: tensor.dtype, shape: [count] + tensor.shape.dropFirst(),
                                                storage: TensorStorage(copying: bytes))
                offset += rowBytes * count
            }
        }
        return parts
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}


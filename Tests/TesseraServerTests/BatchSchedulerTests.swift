import Dispatch
import Foundation
import Synchronization
import Testing
import TesseraEngine
@testable import TesseraServer

/// The scheduler: batches form under concurrency and give each request its own rows,
/// a full queue answers 503 at once, and a batch that fails is retried request by request.
@Suite("Batch scheduler")
struct BatchSchedulerTests {
    /// y = x · W for x [-1, 3] and W = [[1, 0], [0, 1], [1, 1]]: y = [x0 + x2, x1 + x2].
    static func linearExecutor() throws -> Executor {
        var graph = Graph()
        graph.inputs = [ValueInfo(name: "x", dtype: .fp32, shape: [-1, 3])]
        graph.outputs = [ValueInfo(name: "y", dtype: .fp32, shape: [-1, 2])]
        graph.initializers = [Initializer(name: "w", tensor: try Tensor(shape: [3, 2], floats: [1, 0, 0, 1, 1, 1]))]
        graph.nodes = [Node(opType: "MatMul", name: "mm", inputs: ["x", "w"], outputs: ["y"])]
        return try Executor(graph: graph)
    }

    static func options(delay: Duration = .seconds(1), capacity: Int = 64, maxBatch: Int = 8) -> BatchScheduler.Options {
        var options = BatchScheduler.Options()
        options.maxQueueDelay = delay
        options.queueCapacity = capacity
        options.maxBatchSize = maxBatch
        return options
    }

    @Test("concurrent requests are run as batches and each gets its own rows back")
    func batchesForm() async throws {
        let executor = try Self.linearExecutor()
        let stats = ServingStats()
        let scheduler = BatchScheduler(label: "linear:1", options: Self.options(), batchable: true, stats: stats) {
            try executor.run($0)
        }
        defer { scheduler.close() }
        let results = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            for request in 0..<8 {
                group.addTask {
                    let base = Float(request * 10)
                    // Request r sends r % 2 + 1 rows: [base, base + 1, base + 2], [base + 3, …].
                    let rows = request % 2 + 1
                    let x = (0..<rows * 3).map { base + Float($0) }
                    let output = try await scheduler.submit(["x": try Tensor(shape: [rows, 3], floats: x)])
                    return (request, try #require(output["y"]).floats)
                }
            }
            var all: [Int: [Float]] = [:]
            for try await (request, y) in group { all[request] = y }
            return all
        }
        for request in 0..<8 {
            let base = Float(request * 10)
            let rows = request % 2 + 1
            var expected: [Float] = []
            for row in 0..<rows {
                let x0 = base + Float(row * 3), x1 = x0 + 1, x2 = x0 + 2
                expected += [x0 + x2, x1 + x2]
            }
            #expect(results[request] == expected, "request \(request)")
        }
        let snapshot = stats.snapshot
        #expect(snapshot.inferenceCount == 8)
        #expect(snapshot.success.count == 8)
        #expect(snapshot.executionCount < 8, "8 concurrent requests with a 1 s window ran as \(snapshot.executionCount) batches")
        #expect(snapshot.batches.keys.contains { $0 > 1 })
    }

    @Test("requests whose shapes differ beyond the batch dimension are never mixed")
    func incompatibleShapes() async throws {
        let stats = ServingStats()
        // An engine stand-in that reports the shape it was given: y = x as is.
        let scheduler = BatchScheduler(label: "echo:1", options: Self.options(), batchable: true, stats: stats) { inputs in
            ["y": inputs["x"]!]
        }
        defer { scheduler.close() }
        async let a = scheduler.submit(["x": try Tensor(shape: [1, 2], floats: [1, 2])])
        async let b = scheduler.submit(["x": try Tensor(shape: [1, 3], floats: [3, 4, 5])])
        async let c = scheduler.submit(["x": try Tensor(shape: [1, 2], floats: [6, 7])])
        let (ya, yb, yc) = try await (a, b, c)
        #expect(ya["y"]?.floats == [1, 2])
        #expect(yb["y"]?.floats == [3, 4, 5])
        #expect(yc["y"]?.floats == [6, 7])
    }

    @Test("a full queue answers 503 with Retry-After at once, and the queued requests still finish")
    func backpressure() async throws {
        let gate = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        let stats = ServingStats()
        let scheduler = BatchScheduler(label: "slow:1", options: Self.options(delay: .zero, capacity: 1, maxBatch: 1),
                                       batchable: true, stats: stats) { inputs in
            started.signal()
            gate.wait()
            return ["y": inputs["x"]!]
        }
        defer { scheduler.close() }
        let x = try Tensor(shape: [1, 1], floats: [1])
        let running = Task { try await scheduler.submit(["x": x]) }
        await Task.detached { started.wait() }.value  // the worker is busy with the first
        let queued = Task { try await scheduler.submit(["x": x]) }
        while scheduler.queueDepth < 1 { try await Task.sleep(for: .milliseconds(1)) }
        do {
            _ = try await scheduler.submit(["x": x])
            Issue.record("a request beyond the queue's capacity was accepted")
        } catch let error as APIError {
            #expect(error.status == .serviceUnavailable)
            #expect(error.headers[.retryAfter] == "1")
            #expect(error.message.contains("queued"))
        }
        gate.signal()
        gate.signal()
        #expect(try await running.value["y"]?.floats == [1])
        #expect(try await queued.value["y"]?.floats == [1])
    }

    @Test("when a batch fails, each request is run alone and gets its own result or error")
    func failedBatchIsRetriedAlone() async throws {
        let stats = ServingStats()
        // Fails any run that contains the value 13.
        let scheduler = BatchScheduler(label: "picky:1", options: Self.options(), batchable: true, stats: stats) { inputs in
            if inputs["x"]!.floats.contains(13) { throw EngineError(.invalidTensor, "13 is not accepted") }
            return ["y": inputs["x"]!]
        }
        defer { scheduler.close() }
        let one = try Tensor(shape: [1, 1], floats: [1]), thirteen = try Tensor(shape: [1, 1], floats: [13])
        let good = Task { try await scheduler.submit(["x": one]) }
        let bad = Task { try await scheduler.submit(["x": thirteen]) }
        #expect(try await good.value["y"]?.floats == [1])
        await #expect(throws: EngineError.self) { _ = try await bad.value }
        #expect(stats.snapshot.fail.count == 1)
        #expect(stats.snapshot.success.count == 1)
    }

    @Test("a batch that reaches a preferred size runs without waiting out the queue delay")
    func preferredSize() async throws {
        let executor = try Self.linearExecutor()
        let stats = ServingStats()
        var options = Self.options(delay: .seconds(300), maxBatch: 16)
        options.preferredBatchSizes = [2]
        let scheduler = BatchScheduler(label: "linear:1", options: options, batchable: true, stats: stats) { try executor.run($0) }
        defer { scheduler.close() }
        let x = try Tensor(shape: [1, 3], floats: [1, 2, 3])
        let first = Task { try await scheduler.submit(["x": x]) }
        try await Task.sleep(for: .milliseconds(50))
        // Timed from the second request: with it the batch reaches 2 rows and runs at once,
        // instead of waiting out the 300 s delay the first one started.
        let start = ContinuousClock.now
        let second = try await scheduler.submit(["x": x])
        #expect(ContinuousClock.now - start < .seconds(120), "a preferred size of 2 must not wait for the 300 s delay")
        #expect(second["y"]?.floats == [4, 5])
        #expect(try await first.value["y"]?.floats == [4, 5])
        #expect(stats.snapshot.batches[2]?.count == 1)
    }

    /// Whether the engine is running on a worker thread rather than inline in the
    /// submitting task (worker threads run no Swift task).
    static func onWorkerThread() -> Bool {
        withUnsafeCurrentTask { $0 == nil }
    }

    @Test("short runs on an idle scheduler run on the caller's thread, still one at a time per instance")
    func inlineRuns() async throws {
        struct Trace { var onWorker: [Bool] = []; var active = 0; var maxActive = 0 }
        let trace = Mutex(Trace())
        let gate = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        let stats = ServingStats()
        var options = Self.options(delay: .zero, maxBatch: 1)
        options.inlineRunLimit = .seconds(1)   // generous, so a slow test machine cannot change the path
        let scheduler = BatchScheduler(label: "inline:1", options: options, batchable: true, stats: stats) { inputs in
            let worker = Self.onWorkerThread()
            trace.withLock { $0.onWorker.append(worker); $0.active += 1; $0.maxActive = max($0.maxActive, $0.active) }
            if inputs["x"]!.floats == [99] {
                started.signal()
                gate.wait()
            }
            trace.withLock { $0.active -= 1 }
            return ["y": inputs["x"]!]
        }
        defer { scheduler.close() }
        // The first run's duration is unknown, so it goes to the worker; the next is known to be short.
        #expect(try await scheduler.submit(["x": try Tensor(shape: [1, 1], floats: [1])])["y"]?.floats == [1])
        #expect(try await scheduler.submit(["x": try Tensor(shape: [1, 1], floats: [2])])["y"]?.floats == [2])
        #expect(trace.withLock { $0.onWorker } == [true, false])

        // While an inline run holds the one instance, the next request queues for the worker.
        let blocked = Task.detached { try await scheduler.submit(["x": try Tensor(shape: [1, 1], floats: [99])]) }
        await Task.detached { started.wait() }.value
        let queued = Task.detached { try await scheduler.submit(["x": try Tensor(shape: [1, 1], floats: [3])]) }
        while scheduler.queueDepth < 1 { try await Task.sleep(for: .milliseconds(1)) }
        gate.signal()
        #expect(try await blocked.value["y"]?.floats == [99])
        #expect(try await queued.value["y"]?.floats == [3])
        let final = trace.withLock { $0 }
        #expect(final.maxActive == 1)
        #expect(final.onWorker == [true, false, false, true])
        #expect(stats.snapshot.success.count == 4)
    }

    @Test("with a batching window or inline runs turned off, every request goes to the workers")
    func noInlineRuns() async throws {
        let onWorker = Mutex<[Bool]>([])
        for var options in [Self.options(delay: .milliseconds(1), maxBatch: 1), Self.options(delay: .zero, maxBatch: 1)] {
            if options.maxQueueDelay == .zero { options.inlineRunLimit = .zero }
            let scheduler = BatchScheduler(label: "workers:1", options: options, batchable: true, stats: ServingStats()) { inputs in
                let worker = Self.onWorkerThread()
                onWorker.withLock { $0.append(worker) }
                return ["y": inputs["x"]!]
            }
            for value in 0..<3 { _ = try await scheduler.submit(["x": try Tensor(shape: [1, 1], floats: [Float(value)])]) }
            scheduler.close()
        }
        #expect(onWorker.withLock { $0 } == Array(repeating: true, count: 6))
    }
}

import CTesseraKernels
import Foundation
import Synchronization
import Testing

/// The kernels' worker pool (`tsk_parallel_for`) and SGEMM split over it. Serialized: the
/// pool's thread count is process-wide, so each test sets it and restores the default after.
/// Tests of other suites may use the pool at the same time; a fork that finds it busy runs
/// inline, which every expectation here allows.
@Suite("Worker pool", .serialized)
struct WorkerPoolTests {
    /// Counts how often each task ran, from whichever threads run them.
    final class TaskCounts: @unchecked Sendable {
        let counts: UnsafeMutablePointer<Atomic<Int>>
        let size: Int

        init(_ size: Int) {
            self.size = size
            counts = .allocate(capacity: max(size, 1))
            for i in 0..<size { (counts + i).initialize(to: Atomic(0)) }
        }

        deinit {
            counts.deinitialize(count: size)
            counts.deallocate()
        }

        var all: [Int] { (0..<size).map { counts[$0].load(ordering: .relaxed) } }

        /// tsk_parallel_for over `size` tasks, each bumping its own counter.
        func run() {
            tsk_parallel_for(size, { ctx, task in
                let this = Unmanaged<TaskCounts>.fromOpaque(ctx!).takeUnretainedValue()
                this.counts[task].wrappingAdd(1, ordering: .relaxed)
            }, Unmanaged.passUnretained(self).toOpaque())
        }
    }

    @Test("every task runs exactly once, for 1, 2 and 4 threads", arguments: [0, 1, 2, 3, 7, 1000])
    func coversEveryTask(tasks: Int) {
        defer { tsk_pool_set_threads(0) }
        for threads in [1, 2, 4] {
            tsk_pool_set_threads(threads)
            for _ in 0..<20 {
                let counts = TaskCounts(tasks)
                counts.run()
                #expect(counts.all == [Int](repeating: 1, count: tasks), "\(threads) threads")
            }
        }
    }

    @Test("the thread count can be set, is clamped, and 0 restores the default")
    func threadCount() {
        defer { tsk_pool_set_threads(0) }
        let initial = tsk_pool_threads()
        #expect(initial >= 1)
        #expect(tsk_pool_set_threads(3) == 3 && tsk_pool_threads() == 3)
        #expect(tsk_pool_set_threads(1) == 1 && tsk_pool_threads() == 1)
        #expect(tsk_pool_set_threads(1_000_000) == 256)
        #expect(tsk_pool_set_threads(0) == initial && tsk_pool_threads() == initial)
    }

    /// Squares of the task indices, written by the tasks; read only after the fork returns.
    final class Squares: @unchecked Sendable {
        let values: UnsafeMutableBufferPointer<Int>
        init(_ count: Int) { values = .allocate(capacity: count) }
        deinit { values.deallocate() }

        func run() -> Bool {
            values.initialize(repeating: -1)
            tsk_parallel_for(values.count, { ctx, task in
                let this = Unmanaged<Squares>.fromOpaque(ctx!).takeUnretainedValue()
                this.values[task] = task * task
            }, Unmanaged.passUnretained(self).toOpaque())
            return values.indices.allSatisfy { values[$0] == $0 * $0 }
        }
    }

    @Test("8 threads forking at once all get every task done, and SGEMM its single-threaded bits")
    func concurrentCallers() {
        defer { tsk_pool_set_threads(0) }
        tsk_pool_set_threads(4)
        let problem = Problem(m: 128, n: 384, k: 384, transA: false, transB: true, alpha: 1, beta: 0.5, pad: 1, seed: 8)
        tsk_pool_set_threads(1)
        let expected = problem.sgemm(TSK_VARIANT_AUTO)
        tsk_pool_set_threads(4)

        let callers = 8
        let shared = Callers(callers)
        let finished = DispatchGroup()
        for caller in 0..<callers {
            finished.enter()
            Thread {
                // Start together, so the forks overlap.
                shared.arrived.wrappingAdd(1, ordering: .relaxed)
                while shared.arrived.load(ordering: .relaxed) < callers { sched_yield() }
                var ok = true
                for round in 0..<200 {
                    let squares = Squares(1 + (caller * 13 + round) % 300)
                    ok = ok && squares.run()
                    if round % 50 == 0 { ok = ok && problem.sgemm(TSK_VARIANT_AUTO) == expected }
                }
                shared.results.withLock { $0[caller] = ok }
                finished.leave()
            }.start()
        }
        finished.wait()
        #expect(shared.results.withLock { $0 } == [Bool](repeating: true, count: callers))
    }

    /// What the callers of `concurrentCallers` share: a start line and their verdicts.
    final class Callers: Sendable {
        let arrived = Atomic<Int>(0)
        let results: Mutex<[Bool]>
        init(_ count: Int) { results = Mutex([Bool](repeating: false, count: count)) }
    }

    /// For each outer task: the thread it ran on, and its inner tasks with their threads, in the
    /// order they ran.
    final class Nesting: @unchecked Sendable {
        struct Record {
            var outer: pthread_t?
            var inner: [(task: Int, thread: pthread_t)] = []
        }

        let records: UnsafeMutableBufferPointer<Record>
        init(_ count: Int) { records = .allocate(capacity: count); records.initialize(repeating: Record()) }
        deinit { records.deinitialize().deallocate() }
    }

    @Test("a fork from inside a task runs inline, in order, on that task's thread")
    func nestedRunsInline() {
        defer { tsk_pool_set_threads(0) }
        tsk_pool_set_threads(4)
        let nesting = Nesting(4)
        tsk_parallel_for(nesting.records.count, { ctx, outer in
            let record = Unmanaged<Nesting>.fromOpaque(ctx!).takeUnretainedValue().records.baseAddress! + outer
            record.pointee.outer = pthread_self()
            tsk_parallel_for(5, { ctx, task in
                ctx!.assumingMemoryBound(to: Nesting.Record.self).pointee.inner.append((task, pthread_self()))
            }, UnsafeMutableRawPointer(record))
        }, Unmanaged.passUnretained(nesting).toOpaque())
        for (outer, record) in nesting.records.enumerated() {
            #expect(record.inner.map(\.task) == [0, 1, 2, 3, 4], "outer task \(outer)")
            let sameThread = record.outer.map { thread in record.inner.allSatisfy { pthread_equal($0.thread, thread) != 0 } }
            #expect(sameThread == true, "outer task \(outer) ran inner tasks on another thread")
        }
    }

    /// Odd shapes: batch 1 (split by columns), fewer rows than a micro-panel, several depth
    /// blocks, and ragged edges everywhere.
    static let shapes = [(1, 384, 384), (7, 17, 1000), (128, 384, 1536), (129, 385, 97)]

    @Test("SGEMM on 1, 2 and 4 threads gives the same bits, close to a double-precision reference",
          arguments: shapes)
    func sgemmThreadCounts(m: Int, n: Int, k: Int) {
        defer { tsk_pool_set_threads(0) }
        let variants = SGEMMTests.supportedVariants()
        for (transA, transB) in [(false, false), (false, true), (true, false), (true, true)] {
            let problem = Problem(m: m, n: n, k: k, transA: transA, transB: transB, alpha: transA ? -0.75 : 1,
                                  beta: transB ? 0.5 : 0, pad: 3, seed: UInt64(m * 7 + n + k))
            let exact = problem.exactProducts()
            for (variant, name) in variants {
                let label = "\(name) \(problem)"
                // The packed entry point takes A as stored, so it runs for transA == false only.
                let byThreads = [1, 2, 4].map { threads in
                    tsk_pool_set_threads(threads)
                    return (threads, problem.sgemm(variant), transA ? nil : problem.packed(variant, withBias: true))
                }
                let (_, sgemm1, packed1) = byThreads[0]
                guard let sgemm1, transA || packed1 != nil else {
                    Issue.record("\(label): a supported variant refused the call")
                    continue
                }
                for (threads, sgemm, packed) in byThreads.dropFirst() {
                    #expect(sgemm == sgemm1, "\(label): tsk_sgemm on \(threads) threads differs from 1 thread")
                    #expect(packed == packed1, "\(label): tsk_sgemm_packed on \(threads) threads differs from 1 thread")
                }
                problem.expectRelativelyClose(sgemm1, exact, alpha: problem.alpha, bias: nil, "\(label) tsk_sgemm")
                if let packed1 {
                    problem.expectRelativelyClose(packed1, exact, alpha: 1, bias: problem.bias, "\(label) tsk_sgemm_packed")
                }
            }
        }
    }
}

extension Problem {
    /// The rows the reference checks: all of a short C; of a tall one every fifth and the last,
    /// which meets every row range of a split (they are at least 4 rows) and keeps the
    /// unoptimized test build's reference loop to seconds.
    var checkedRows: [Int] { m <= 32 ? Array(0..<m) : Array(stride(from: 0, to: m - 1, by: 5)) + [m - 1] }

    /// op(A) * op(B) in double precision, and the same sum over |terms|, m x n by rows (only
    /// `checkedRows` filled in).
    func exactProducts() -> (sums: [Double], magnitudes: [Double]) {
        var sums = [Double](repeating: 0, count: m * n), magnitudes = sums
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                for i in checkedRows {
                    for j in 0..<n {
                        var sum = 0.0, magnitude = 0.0
                        for p in 0..<k {
                            let term = Double(transA ? a[p * lda + i] : a[i * lda + p])
                                * Double(transB ? b[j * ldb + p] : b[p * ldb + j])
                            sum += term
                            magnitude += abs(term)
                        }
                        sums[i * n + j] = sum
                        magnitudes[i * n + j] = magnitude
                    }
                }
            }
        }
        return (sums, magnitudes)
    }

    /// Each element of alpha * op(A) * op(B) + beta * C + bias in `checkedRows` within the
    /// forward-error bound of a float dot product, with a margin: |got - exact| <= 4 (k + 2)
    /// 2^-24 (|alpha| sum |a b| + |beta c| + |bias|); padding columns untouched.
    func expectRelativelyClose(_ got: [Float], _ exact: (sums: [Double], magnitudes: [Double]), alpha: Float,
                               bias: [Float]?, _ label: String) {
        let unit = Double(Float.ulpOfOne) / 2
        var failure: String?
        search: for i in checkedRows {
            for j in 0..<ldc {
                let value = got[i * ldc + j]
                if j >= n {
                    if value != Self.sentinel { failure = "padding at (\(i), \(j)) overwritten"; break search }
                    continue
                }
                let scaledC = Double(beta) * Double(c[i * ldc + j]), addend = bias.map { Double($0[j]) } ?? 0
                let expected = Double(alpha) * exact.sums[i * n + j] + scaledC + addend
                let magnitude = abs(Double(alpha)) * exact.magnitudes[i * n + j] + abs(scaledC) + abs(addend)
                let tolerance = 4 * Double(k + 2) * unit * magnitude
                if !(abs(Double(value) - expected) <= tolerance) {
                    failure = "(\(i), \(j)) is \(value), expected \(expected) ± \(tolerance)"
                    break search
                }
            }
        }
        #expect(failure == nil, "\(label): \(failure ?? "")")
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import TesseraCore
@testable import TesseraServer
import TesseraTestSupport

/// Canaries stepped by the latency-slo monitor's verdicts, shadows compared, and a load of
/// concurrent requests across deploy, canary steps, abort and rollback without one failure.
@Suite("Rollouts")
struct RolloutTests {
    static let json: HTTPFields = [.contentType: "application/json"]
    static let body = ByteBuffer(string: #"{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":[[5.1,3.5,1.4,0.2]]}]}"#)

    static func latencySLO(p99: Double) -> PluginSpec {
        PluginSpec(source: .bundled("latency-slo"),
                   settings: PluginSettings([("p99_ms", .float(p99)), ("min_requests", .integer(3))]))
    }

    /// Sends `count` requests with distinct route keys; returns the versions that answered.
    static func traffic(_ client: any TestClientProtocol, count: Int, prefix: String = "k") async throws -> [String] {
        var versions: [String] = []
        for index in 0..<count {
            let headers: HTTPFields = [.contentType: "application/json", InferenceRoutes.stickyHeader: "\(prefix)-\(index)"]
            try await client.execute(uri: "/v2/models/iris/infer", method: .post, headers: headers, body: body) { response throws in
                #expect(response.status == .ok)
                let object = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                versions.append(object?["model_version"] as? String ?? "?")
            }
        }
        return versions
    }

    @Test("a canary whose monitors say ok steps up each window and is promoted at 100%")
    func canaryPromoted() async throws {
        try await IrisServer.run(versions: 2, plugins: [Self.latencySLO(p99: 10_000)]) { client, state in
            let store = try state.requireStore()
            let started = Date()
            try store.registry.setCanary(model: "iris", version: 2, weight: 25,
                                         plan: CanaryPlan(steps: [25, 50, 100], windowSeconds: 60), actor: "test")
            try await state.serving.sync(model: "iris")
            let controller = CanaryController(state: state, logger: Logger(label: "test"))
            #expect(try await controller.tick(now: started).isEmpty, "the first window has not passed yet")

            #expect(try await Self.traffic(client, count: 40).contains("2"))
            state.serving.flushRecords()
            // The controller is given the time, so the test does not depend on how long it ran.
            let later = Date().addingTimeInterval(120)
            #expect(try await controller.tick(now: later) == ["iris": .advanced(to: 50)])
            #expect(try store.registry.deployment(of: "iris")?.canary?.weight == 50)

            _ = try await Self.traffic(client, count: 40)
            state.serving.flushRecords()
            #expect(try await controller.tick(now: later.addingTimeInterval(120)) == ["iris": .promoted])
            let deployment = try #require(try store.registry.deployment(of: "iris"))
            #expect(deployment.primary == 2)
            #expect(deployment.canary == nil)
            #expect(Set(try await Self.traffic(client, count: 10)) == ["2"])
            let actors = try store.registry.audit(model: "iris", limit: 3).map(\.actor)
            #expect(actors.contains("canary-controller"))
        }
    }

    @Test("a canary a monitor judges failing is aborted: weight 0 and all traffic back on the primary")
    func canaryAborted() async throws {
        // An objective no request can meet.
        try await IrisServer.run(versions: 2, plugins: [Self.latencySLO(p99: 0.000_001)]) { client, state in
            let store = try state.requireStore()
            try store.registry.setCanary(model: "iris", version: 2, weight: 50,
                                         plan: CanaryPlan(steps: [50, 100], windowSeconds: 60), actor: "test")
            try await state.serving.sync(model: "iris")
            _ = try await Self.traffic(client, count: 40)
            state.serving.flushRecords()
            let decisions = try await CanaryController(state: state, logger: Logger(label: "test")).tick(now: Date().addingTimeInterval(120))
            guard case .aborted(let reason)? = decisions["iris"] else {
                Issue.record("expected an abort, got \(decisions)")
                return
            }
            #expect(reason.contains("latency-slo says failing"))
            let canary = try #require(try store.registry.deployment(of: "iris")?.canary)
            #expect(canary.state == .aborted)
            #expect(canary.weight == 0)
            #expect(Set(try await Self.traffic(client, count: 20)) == ["1"])
        }
    }

    @Test("without enough traffic to judge, the canary is paused, not promoted")
    func canaryPaused() async throws {
        try await IrisServer.run(versions: 2, plugins: [Self.latencySLO(p99: 10_000)]) { _, state in
            let store = try state.requireStore()
            try store.registry.setCanary(model: "iris", version: 2, weight: 10,
                                         plan: CanaryPlan(steps: [10, 100], windowSeconds: 60), actor: "test")
            let decisions = try await CanaryController(state: state, logger: Logger(label: "test")).tick(now: Date().addingTimeInterval(120))
            guard case .paused(let reason)? = decisions["iris"] else {
                Issue.record("expected a pause, got \(decisions)")
                return
            }
            #expect(reason.contains("inconclusive"))
            #expect(try store.registry.deployment(of: "iris")?.canary?.state == .paused)
        }
    }

    @Test("a shadow gets a mirrored copy of requests, compared with the primary and never returned")
    func shadow() async throws {
        try await IrisServer.run(versions: 2) { client, state in
            let store = try state.requireStore()
            try store.registry.setShadow(model: "iris", version: 2, fraction: 1, actor: "test")
            try await state.serving.sync(model: "iris")
            #expect(Set(try await Self.traffic(client, count: 10)) == ["1"])
            let shadow = try #require(state.serving.loaded("iris", version: 2))
            for _ in 0..<200 where shadow.shadowStats.snapshot.compared < 10 { try await Task.sleep(for: .milliseconds(10)) }
            let stats = shadow.shadowStats.snapshot
            #expect(stats.compared == 10)
            #expect(stats.agreed == 10, "the same weights must agree")
            #expect(stats.max_abs_diff == 0)
        }
    }

    @Test("concurrent requests across deploy, canary steps, abort and rollback: zero failures, each from a serving version")
    func noFailedRequestDuringRollouts() async throws {
        try await IrisServer.run(versions: 3) { client, state in
            let store = try state.requireStore()
            let record = RolloutRecord()

            func change(to versions: Set<String>, _ body: () async throws -> Void) async throws {
                // While a change is applied both the old and the new set may answer.
                let before = record.lock.withLock { record.timeline.last!.versions }
                record.lock.withLock { record.timeline.append((.now, before.union(versions))) }
                try await body()
                record.lock.withLock { record.timeline.append((.now, versions)) }
                // Let traffic run in the new state: a few more requests, however busy the machine is.
                let target = record.lock.withLock { record.results.count } + 8
                for _ in 0..<3000 where record.lock.withLock({ record.results.count }) < target {
                    try await Task.sleep(for: .milliseconds(10))
                }
            }

            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        var index = 0
                        while !record.lock.withLock({ record.done }) {
                            let start = ContinuousClock.now
                            let headers: HTTPFields = [.contentType: "application/json",
                                                       InferenceRoutes.stickyHeader: "w\(worker)-\(index)"]
                            try await client.execute(uri: "/v2/models/iris/infer", method: .post, headers: headers, body: Self.body) { response throws in
                                let object = try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                                let version = object?["model_version"] as? String ?? "none"
                                record.lock.withLock { record.results.append((start, .now, response.status, version)) }
                            }
                            index += 1
                        }
                    }
                }
                let registry = store.registry
                try await change(to: ["2"]) {
                    try await state.serving.prepare(model: "iris", version: 2)
                    try registry.deploy(model: "iris", version: 2, actor: "test")
                    try await state.serving.sync(model: "iris")
                }
                for weight in [10, 50, 90] {
                    try await change(to: ["2", "3"]) {
                        try await state.serving.prepare(model: "iris", version: 3)
                        try registry.setCanary(model: "iris", version: 3, weight: weight, actor: "test")
                        try await state.serving.sync(model: "iris")
                    }
                }
                try await change(to: ["2"]) {
                    try registry.setCanary(model: "iris", version: 3, weight: 0, state: .aborted, actor: "test")
                    try await state.serving.sync(model: "iris")
                }
                try await change(to: ["1"]) {
                    try registry.rollback(model: "iris", actor: "test")
                    try await state.serving.sync(model: "iris")
                }
                try await change(to: ["3"]) {
                    try await state.serving.prepare(model: "iris", version: 3)
                    try registry.deploy(model: "iris", version: 3, actor: "test")
                    try await state.serving.sync(model: "iris")
                }
                record.lock.withLock { record.done = true }
                try await group.waitForAll()
            }

            let log = record.lock.withLock { record.timeline }
            let all = record.lock.withLock { record.results }
            #expect(all.count >= 7 * 8, "only \(all.count) requests ran during the rollout")
            #expect(all.filter { $0.status != .ok }.isEmpty, "failed requests: \(all.filter { $0.status != .ok }.count)")
            for result in all {
                // The versions allowed over the request's lifetime: the state at its start and every later change before its end.
                let current = log.last { $0.at <= result.start }?.versions ?? []
                let during = log.filter { $0.at > result.start && $0.at <= result.end }.map(\.versions)
                let allowed = during.reduce(current) { $0.union($1) }
                #expect(allowed.contains(result.version), "version \(result.version) answered while \(allowed) were serving")
            }
            #expect(Set(all.map(\.version)) == ["1", "2", "3"])
        }
    }
}

/// What the rollout load test saw, shared by its client tasks.
final class RolloutRecord: @unchecked Sendable {
    let lock = NSLock()
    /// (time, versions that may answer from then on), appended before and after each change.
    var timeline: [(at: ContinuousClock.Instant, versions: Set<String>)] = [(.now, ["1"])]
    var results: [(start: ContinuousClock.Instant, end: ContinuousClock.Instant, status: HTTPResponse.Status, version: String)] = []
    var done = false
}

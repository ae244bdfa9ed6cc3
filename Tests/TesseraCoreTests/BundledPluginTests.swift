import Foundation
import Testing
@testable import TesseraCore
import TesseraEngine
import TesseraTestSupport

/// The plugins that ship in Plugins/, loaded from the libraries SwiftPM built, through the
/// real host.
@Suite("Bundled plugins")
struct BundledPluginTests {
    func load(_ name: String, _ settings: [(String, SettingValue)] = []) throws -> (PluginHost, Plugin) {
        let host = PluginHost(hostName: "test")
        let plugin = host.load(PluginSpec(source: .bundled(name), settings: PluginSettings(settings)))
        return (host, plugin)
    }

    func records(model: String, version: String, milliseconds: [Double]) -> [RequestRecord] {
        milliseconds.map { RequestRecord(model: model, version: version, finishedUnixNanos: 1, latencySeconds: $0 / 1000) }
    }

    @Test("every bundled plugin loads by name and passes the conformance check", arguments: BundledPlugins.knownNames)
    func conforms(name: String) throws {
        let settings: [(String, SettingValue)] = name == "jsonl-events"
            ? [("path", .string(try TestSupport.temporaryDirectory().appendingPathComponent("e.jsonl").path))] : []
        let path = TestSupport.bundledPlugin(name)
        let report = PluginChecker(path: path, settings: PluginSettings(settings)).run()
        #expect(report.passed, "\(report.steps.filter { !$0.passed })")
        #expect(report.plugin.name == name)
        #expect(report.plugin.abi == "1.0")
    }

    @Test("every plugin folder has its README with settings and a tessera.toml example", arguments: BundledPlugins.knownNames)
    func documented(name: String) throws {
        let readme = try String(contentsOf: TestSupport.root.appendingPathComponent("Plugins/\(name)/README.md"), encoding: .utf8)
        #expect(readme.contains("[[plugins]]"))
        #expect(readme.contains("name = \"\(name)\""))
    }

    @Test("latency-slo computes nearest-rank percentiles per version and judges them against the objective")
    func latency() throws {
        let (host, plugin) = try load("latency-slo", [("p99_ms", .integer(50)), ("min_requests", .integer(5))])
        defer { host.shutdown() }
        try #require(plugin.state == .active, "\(plugin.info.reason ?? "")")
        let monitor = try #require(host.monitors.first)
        // Latencies 1…100 ms: nearest-rank p50 = 50 ms, p90 = 90 ms, p99 = 99 ms.
        try monitor.observe(records(model: "m", version: "1", milliseconds: (1...100).map(Double.init).shuffled()))
        try monitor.observe(records(model: "m", version: "2", milliseconds: Array(repeating: 2, count: 10)))
        try monitor.observe(records(model: "m", version: "3", milliseconds: [1, 2]))

        let slow = try monitor.evaluate(model: "m", version: "1")
        #expect(slow.state == .failing)
        #expect(slow.reason?.contains("p99") == true)
        #expect(abs((slow.gauges["p50_seconds"] ?? 0) - 0.050) < 1e-9)
        #expect(abs((slow.gauges["p90_seconds"] ?? 0) - 0.090) < 1e-9)
        #expect(abs((slow.gauges["p99_seconds"] ?? 0) - 0.099) < 1e-9)
        #expect(slow.gauges["requests"] == 100)

        #expect(try monitor.evaluate(model: "m", version: "2").state == .ok)
        #expect(try monitor.evaluate(model: "m", version: "3").state == .inconclusive)
        try monitor.reset()
        #expect(try monitor.evaluate(model: "m", version: "1").state == .inconclusive)
    }

    @Test("latency-slo rejects settings of the wrong type or unknown keys, naming them", arguments: [
        ("p99_ms", SettingValue.string("fast")), ("p99", SettingValue.integer(5)),
    ])
    func latencySettings(key: String, value: SettingValue) throws {
        let (host, plugin) = try load("latency-slo", [(key, value)])
        defer { host.shutdown() }
        #expect(plugin.state == .failed)
        #expect(plugin.info.reason?.contains("rejected its settings") == true)
        #expect(plugin.info.reason?.contains(key) == true)
    }

    @Test("jsonl-events writes one valid JSON object per event, escaping what needs escaping")
    func jsonlEvents() throws {
        let file = try TestSupport.temporaryDirectory().appendingPathComponent("events.jsonl").path
        let (host, plugin) = try load("jsonl-events", [("path", .string(file))])
        try #require(plugin.state == .active, "\(plugin.info.reason ?? "")")
        let exporter = try #require(host.exporters.first)
        try exporter.send(PluginEvent(unixNanos: 1_700_000_000_123_456_789, type: "deployment.rollback", model: "bert",
                                      version: "3", message: "rolled back: \"p99\" too high\nsee dashboard",
                                      attributesJSON: "{\"from\":3,\"to\":2}"))
        try exporter.send(PluginEvent(unixNanos: 1, type: "plugin.failed", message: "tab\there"))
        host.shutdown()

        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["type"] as? String == "deployment.rollback")
        #expect(first["model"] as? String == "bert")
        #expect(first["version"] as? String == "3")
        #expect(first["message"] as? String == "rolled back: \"p99\" too high\nsee dashboard")
        #expect((first["unix_ns"] as? NSNumber)?.int64Value == 1_700_000_000_123_456_789)
        #expect(first["ts"] as? String == "2023-11-14T22:13:20.123456789Z")
        #expect((first["attributes"] as? [String: Any])?["to"] as? Int == 2)
        let second = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(second["message"] as? String == "tab\there")
    }

    @Test("jsonl-events needs a path")
    func jsonlNeedsPath() throws {
        let (host, plugin) = try load("jsonl-events")
        defer { host.shutdown() }
        #expect(plugin.state == .failed)
        #expect(plugin.info.reason?.contains("path") == true)
    }

    @Test("prometheus renders counters, gauges and histograms in the text exposition format")
    func prometheus() throws {
        let (host, plugin) = try load("prometheus", [("namespace", .string("tessera"))])
        defer { host.shutdown() }
        try #require(plugin.state == .active, "\(plugin.info.reason ?? "")")
        let exporter = try #require(host.exporters.first)
        #expect(try exporter.render(format: "prometheus-text") == "")
        try exporter.publish([
            MetricSample(kind: .counter, name: "requests_total", help: "Requests.", labels: [("model", "a\"b")], value: 3),
            MetricSample(kind: .counter, name: "requests_total", help: "Requests.", labels: [("model", "c")], value: 4),
            MetricSample(kind: .histogram, name: "tessera_latency_seconds", help: "Latency.", labels: [("model", "c")],
                         buckets: [(0.1, 2), (1, 5)], sum: 2.5, count: 6),
        ], takenUnixNanos: 1)
        let text = try exporter.render(format: "prometheus-text")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0 == "# TYPE tessera_requests_total counter" }.count == 1)
        #expect(lines.contains("# HELP tessera_requests_total Requests."))
        #expect(lines.contains("tessera_requests_total{model=\"a\\\"b\"} 3"))
        #expect(lines.contains("tessera_requests_total{model=\"c\"} 4"))
        #expect(lines.contains("# TYPE tessera_latency_seconds histogram"))
        #expect(lines.contains("tessera_latency_seconds_bucket{model=\"c\",le=\"0.1\"} 2"))
        #expect(lines.contains("tessera_latency_seconds_bucket{model=\"c\",le=\"1\"} 5"))
        #expect(lines.contains("tessera_latency_seconds_bucket{model=\"c\",le=\"+Inf\"} 6"))
        #expect(lines.contains("tessera_latency_seconds_sum{model=\"c\"} 2.5"))
        #expect(lines.contains("tessera_latency_seconds_count{model=\"c\"} 6"))
        #expect(throws: PluginError.self) { try exporter.render(format: "openmetrics-protobuf") }
    }

    @Test("prune-magnitude zeroes exactly the requested share of the smallest weights")
    func prune() throws {
        let (host, plugin) = try load("prune-magnitude")
        defer { host.shutdown() }
        try #require(plugin.state == .active, "\(plugin.info.reason ?? "")")
        let optimizer = try #require(host.optimizers.first)
        #expect(try optimizer.parameters().map(\.name).sorted() == ["include", "min_elements", "sparsity"])

        // 2048 weights ±1…±2048: the 25% smallest magnitudes are exactly ±1…±512.
        let values = (1...2048).map { Float($0) * ($0 % 2 == 0 ? -1 : 1) }
        var graph = Graph()
        graph.initializers.append(Initializer(name: "dense.weight", tensor: try Tensor(shape: [64, 32], floats: values.shuffled())))
        graph.initializers.append(Initializer(name: "tiny.weight", tensor: try Tensor(shape: [2, 2], floats: [0.1, 0.2, 0.3, 0.4])))
        let (pruned, report) = try optimizer.run(graph, parameters: [("sparsity", "0.25")])
        let dense = pruned.initializers[0].tensor.floats
        #expect(dense.filter { $0 == 0 }.count == 512)
        #expect(dense.filter { $0 != 0 }.allSatisfy { abs($0) > 512 })
        #expect(pruned.initializers[1].tensor.floats == [0.1, 0.2, 0.3, 0.4])  // under min_elements
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any])
        #expect(json["weights_zeroed"] as? Int == 512)
        #expect(json["tensors_pruned"] as? Int == 1)
        // The source graph is untouched: the optimizer worked on a copy.
        #expect(graph.initializers[0].tensor.floats.filter { $0 == 0 }.isEmpty)

        #expect(throws: PluginError.self) { try optimizer.run(graph, parameters: [("sparsity", "1.5")]) }
        #expect(throws: PluginError.self) { try optimizer.run(graph, parameters: [("spars", "0.5")]) }
    }
}

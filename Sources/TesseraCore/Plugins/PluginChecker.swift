import Foundation
import TesseraEngine

/// The conformance check a plugin author runs (`tessera plugins check`): loads the library
/// in-process through the real host, then makes one smoke call per capability and stops it,
/// recording each step.
public struct PluginChecker {
    /// One step of the check.
    public struct Step: Sendable, Codable, Equatable {
        public let name: String
        public let passed: Bool
        public let detail: String
    }

    /// The outcome: every step, and the plugin as the host saw it.
    public struct Report: Sendable, Codable {
        public let path: String
        public let plugin: PluginInfo
        public let steps: [Step]
        public var passed: Bool { steps.allSatisfy(\.passed) }
    }

    public let path: String
    public let settings: PluginSettings

    public init(path: String, settings: PluginSettings = PluginSettings()) {
        self.path = path
        self.settings = settings
    }

    public func run() -> Report {
        let host = PluginHost(hostName: "tessera plugins check")
        let plugin = host.load(PluginSpec(source: .path(path), settings: settings))
        var steps: [Step] = []
        let info = plugin.info
        guard info.state == .active else {
            steps.append(Step(name: "load", passed: false, detail: info.reason ?? "the plugin did not become active"))
            return Report(path: path, plugin: info, steps: steps)
        }
        steps.append(Step(name: "load", passed: true,
                          detail: "ABI \(info.abi ?? "?") accepted, fingerprint matches, create and activate succeeded"))
        for format in host.formats { steps.append(check(format)) }
        for optimizer in host.optimizers { steps.append(check(optimizer)) }
        for monitor in host.monitors { steps.append(check(monitor)) }
        for exporter in host.exporters { steps.append(check(exporter)) }
        let unknown = info.capabilities.filter { !["format", "optimizer", "monitor", "exporter"].contains(PluginInfo.kind(ofCapability: $0)) }
        for id in unknown {
            steps.append(Step(name: "capability \(id)", passed: true, detail: "not a capability this host knows; it will be ignored"))
        }
        host.shutdown()
        steps.append(Step(name: "stop", passed: plugin.state == .stopped,
                          detail: plugin.state == .stopped ? "deactivate and destroy returned" : "state after stop: \(plugin.state)"))
        return Report(path: path, plugin: plugin.info, steps: steps)
    }

    private func attempt(_ name: String, _ body: () throws -> String) -> Step {
        do {
            return Step(name: name, passed: true, detail: try body())
        } catch {
            return Step(name: name, passed: false, detail: "\(error)")
        }
    }

    private struct Failure: Error, CustomStringConvertible { let description: String }

    private func check(_ format: FormatPlugin) -> Step {
        attempt("format '\(format.name)'") {
            let missing = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-check-\(UUID().uuidString)").path
            let absent = try format.probe(missing)
            guard absent == 0 else { throw Failure(description: "probe of a missing file gave confidence \(absent); it must be 0") }
            let empty = missing + ".empty"
            _ = FileManager.default.createFile(atPath: empty, contents: Data())
            defer { try? FileManager.default.removeItem(atPath: empty) }
            let emptyConfidence = try format.probe(empty)
            return "probe: missing file → 0, empty file → \(emptyConfidence); extensions \(format.extensions); save \(format.canSave ? "supported" : "not supported")"
        }
    }

    private func check(_ optimizer: OptimizerPlugin) -> Step {
        attempt("optimizer '\(optimizer.name)'") {
            let parameters = try optimizer.parameters()
            var graph = Graph()
            graph.initializers.append(Initializer(name: "check.weight", tensor: try Tensor(shape: [2, 2], floats: [0.5, -2, 0.25, 4])))
            let (_, report) = try optimizer.run(graph, parameters: [])
            guard let data = report.data(using: .utf8), (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
                throw Failure(description: "run's report is not a JSON object: \(report)")
            }
            return "describe: \(parameters.count) parameter(s) \(parameters.map(\.name)); run on a 2×2 weight with defaults: \(report)"
        }
    }

    private func check(_ monitor: MonitorPlugin) -> Step {
        attempt("monitor '\(monitor.name)'") {
            let now = Int64(Date().timeIntervalSince1970 * 1e9)
            let records = (0..<3).map { index in
                RequestRecord(model: "check", version: "1", finishedUnixNanos: now, latencySeconds: 0.001 * Double(index + 1))
            }
            try monitor.observe(records)
            let verdict = try monitor.evaluate(model: "check", version: "1")
            try monitor.reset()
            return "observe 3 requests, evaluate → \(verdict.state.rawValue)\(verdict.reason.map { " (\($0))" } ?? ""), gauges \(verdict.gauges.keys.sorted())"
        }
    }

    private func check(_ exporter: ExporterPlugin) -> Step {
        attempt("exporter '\(exporter.name)'") {
            let sample = MetricSample(kind: .counter, name: "tessera_check_total", help: "Calls made by tessera plugins check.",
                                      labels: [("model", "check")], value: 1)
            try exporter.publish([sample], takenUnixNanos: Int64(Date().timeIntervalSince1970 * 1e9))
            var rendered = "no render"
            if exporter.canRender {
                do {
                    rendered = "render prometheus-text: \(try exporter.render(format: "prometheus-text").utf8.count) bytes"
                } catch let error as PluginError where error.message.contains("unsupported") {
                    rendered = "render: prometheus-text unsupported"
                }
            }
            try exporter.send(PluginEvent(unixNanos: Int64(Date().timeIntervalSince1970 * 1e9), type: "plugin.check",
                                          message: "tessera plugins check"))
            try exporter.flush()
            return "on_metrics, on_event and flush succeeded; \(rendered)"
        }
    }
}

import Foundation
import Testing
@testable import TesseraCore
import TesseraEngine
import TesseraTestSupport

/// The plugins in sdk/examples, written as a third party would, built here with plain `cc`
/// and loaded through the real host.
@Suite("SDK example plugins")
struct ExamplePluginTests {
    static let examples = ["npy-format", "clip-optimizer", "error-rate-monitor", "csv-exporter"]

    func load(_ example: String, _ settings: [(String, SettingValue)] = []) throws -> (PluginHost, Plugin) {
        let path = try TestSupport.buildExample(example)
        let host = PluginHost(hostName: "test")
        let plugin = host.load(PluginSpec(source: .path(path), settings: PluginSettings(settings)))
        return (host, plugin)
    }

    @Test("each example builds with cc and passes tessera plugins check", arguments: examples)
    func conforms(example: String) throws {
        let settings: [(String, SettingValue)] = example == "csv-exporter"
            ? [("path", .string(try TestSupport.temporaryDirectory().appendingPathComponent("m.csv").path))] : []
        let report = PluginChecker(path: try TestSupport.buildExample(example), settings: PluginSettings(settings)).run()
        #expect(report.passed, "\(report.steps.filter { !$0.passed })")
    }

    @Test("each example exports only tsr_plugin_entry", arguments: examples)
    func exports(example: String) throws {
        let symbols = try TestSupport.run("/usr/bin/env", ["nm", "-D", "--defined-only", try TestSupport.buildExample(example)])
        let names = symbols.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) }
            .filter { !$0.hasPrefix("_") }
        #expect(names == ["tsr_plugin_entry"])
    }

    /// A .npy file as the NumPy format specification (version 1.0) lays it out: magic, version,
    /// little-endian header length, a Python dict literal padded to a 64-byte boundary, data.
    static func npy(descr: String, shape: [Int], data: [UInt8], fortran: Bool = false) -> Data {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(\(shape.map(String.init).joined(separator: ", ")))"
        var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shapeText), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        bytes += [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
        return Data(bytes + Array(header.utf8) + data)
    }

    @Test("npy-format loads a float32 .npy as laid out by the NumPy spec, and saves it back identically")
    func npyFormat() throws {
        let (host, plugin) = try load("npy-format")
        defer { host.shutdown() }
        try #require(plugin.state == .active, "\(plugin.info.reason ?? "")")
        let format = try #require(host.formats.first)
        let values: [Float] = [1.5, -2, 0.25, 8, 3, -0.125]
        let file = try TestSupport.temporaryDirectory().appendingPathComponent("t.npy")
        try Self.npy(descr: "<f4", shape: [2, 3], data: values.withUnsafeBytes { Array($0) }).write(to: file)
        #expect(try format.probe(file.path) == 1)
        let graph = try format.load(file.path)
        #expect(graph.initializers.count == 1)
        #expect(graph.initializers[0].tensor.shape == [2, 3])
        #expect(graph.initializers[0].tensor.floats == values)

        let copy = file.deletingLastPathComponent().appendingPathComponent("copy.npy")
        try format.save(graph, to: copy.path)
        #expect(try format.load(copy.path).initializers[0].tensor.floats == values)
    }

    @Test("npy-format refuses truncated and Fortran-ordered files with clear errors")
    func npyErrors() throws {
        let (host, _) = try load("npy-format")
        defer { host.shutdown() }
        let format = try #require(host.formats.first)
        let folder = try TestSupport.temporaryDirectory()
        let truncated = folder.appendingPathComponent("short.npy")
        try Self.npy(descr: "<f4", shape: [4], data: [0, 0, 128, 63]).write(to: truncated)
        #expect(throws: PluginError.self) { try format.load(truncated.path) }
        let fortran = folder.appendingPathComponent("f.npy")
        try Self.npy(descr: "<f4", shape: [1], data: [0, 0, 128, 63], fortran: true).write(to: fortran)
        #expect(throws: PluginError.self) { try format.load(fortran.path) }
    }

    @Test("clip-optimizer clamps weights to the limit and reports how many it changed")
    func clip() throws {
        let (host, plugin) = try load("clip-optimizer")
        defer { host.shutdown() }
        try #require(plugin.state == .active, "\(plugin.info.reason ?? "")")
        let optimizer = try #require(host.optimizers.first)
        var graph = Graph()
        graph.initializers.append(Initializer(name: "w", tensor: try Tensor(shape: [2, 2], floats: [-3, -0.5, 0.5, 3])))
        let (clipped, report) = try optimizer.run(graph, parameters: [("limit", "1")])
        #expect(clipped.initializers[0].tensor.floats == [-1, -0.5, 0.5, 1])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any])
        #expect(json["clipped_values"] as? Int == 2)
        #expect(throws: PluginError.self) { try optimizer.run(graph, parameters: [("limt", "1")]) }
    }

    @Test("error-rate-monitor judges each version by its share of failed requests")
    func errorRate() throws {
        let (host, plugin) = try load("error-rate-monitor", [("max_error_rate", .float(0.05)), ("min_requests", .integer(20))])
        defer { host.shutdown() }
        try #require(plugin.state == .active, "\(plugin.info.reason ?? "")")
        let monitor = try #require(host.monitors.first)
        func record(_ version: String, _ status: Int32) -> RequestRecord {
            RequestRecord(model: "m", version: version, finishedUnixNanos: 1, latencySeconds: 0.01, httpStatus: status,
                          errorReason: status == 200 ? nil : "internal")
        }
        try monitor.observe((0..<20).map { record("1", $0 < 2 ? 500 : 200) })  // 10% errors
        try monitor.observe((0..<20).map { _ in record("2", 200) })
        try monitor.observe((0..<5).map { _ in record("3", 500) })
        let failing = try monitor.evaluate(model: "m", version: "1")
        #expect(failing.state == .failing)
        #expect(abs((failing.gauges["error_rate"] ?? 0) - 0.1) < 1e-9)
        #expect(try monitor.evaluate(model: "m", version: "2").state == .ok)
        #expect(try monitor.evaluate(model: "m", version: "3").state == .inconclusive)

        let (other, rejected) = try load("error-rate-monitor", [("max_error_rate", .float(2))])
        defer { other.shutdown() }
        #expect(rejected.state == .failed)
        #expect(rejected.info.reason?.contains("max_error_rate") == true)
    }

    @Test("csv-exporter appends metric and event rows")
    func csv() throws {
        let file = try TestSupport.temporaryDirectory().appendingPathComponent("metrics.csv").path
        let (host, plugin) = try load("csv-exporter", [("path", .string(file))])
        try #require(plugin.state == .active, "\(plugin.info.reason ?? "")")
        let exporter = try #require(host.exporters.first)
        try exporter.publish([MetricSample(kind: .counter, name: "requests_total", help: "Requests.",
                                           labels: [("model", "m")], value: 7)], takenUnixNanos: 42)
        try exporter.send(PluginEvent(unixNanos: 43, type: "deployment.rollback", model: "m", version: "2",
                                      message: "said \"no\""))
        host.shutdown()
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.contains("42,requests_total,model=m,7"))
        #expect(lines.contains { $0.hasPrefix("43,event,deployment.rollback,m,2,") && $0.contains("\"said \"\"no\"\"\"") })
    }
}

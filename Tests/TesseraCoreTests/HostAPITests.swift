import Foundation
import Testing
@testable import TesseraCore
import TesseraEngine
import TesseraTestSupport

/// The host API table as a plugin sees it, exercised by Tests/Fixtures/plugins/host_probe.c.
@Suite("Host API")
struct HostAPITests {
    func loadProbe(settings: PluginSettings = PluginSettings()) throws -> (PluginHost, Plugin, String) {
        let path = try TestSupport.buildFixture("host_probe.c")
        let host = PluginHost(hostName: "test")
        let plugin = host.load(PluginSpec(source: .path(path), settings: settings))
        try #require(plugin.state == .active, "\(plugin.info.reason ?? "")")
        return (host, plugin, path)
    }

    @Test("a format plugin builds a graph: inputs, a zero-copy initializer, a node with attributes, outputs")
    func buildsGraph() throws {
        let (host, _, _) = try loadProbe(settings: PluginSettings([("scale", .float(2))]))
        defer { host.shutdown() }
        let format = try #require(host.formats.first)
        #expect(format.name == "probe")
        #expect(format.extensions == [".probe"])
        #expect(try format.probe("/x/model.probe") == 1)
        #expect(try format.probe("/x/model.onnx") == 0)

        let graph = try format.load("/x/model.probe")
        #expect(graph.inputs == [ValueInfo(name: "x", dtype: .fp32, shape: [-1, 2])])
        #expect(graph.outputs == [ValueInfo(name: "y", dtype: .fp32, shape: [-1, 2])])
        #expect(graph.initializers.map(\.name) == ["w"])
        #expect(graph.initializers[0].tensor.floats == [2, 4, 6, 8])  // (i + 1) × scale 2
        #expect(graph.nodes == [Node(opType: "MatMul", name: "matmul0", inputs: ["x", "w"], outputs: ["y"], attributes: [
            Attribute(name: "alpha", value: .float(0.5)),
            Attribute(name: "perm", value: .ints([1, 0])),
            Attribute(name: "mode", value: .string("fast")),
        ])])
        #expect(try graph.validatedOrder() == [0])
    }

    @Test("a view whose size disagrees with its shape is refused, and its release callback still runs")
    func refusesBadView() throws {
        let (host, plugin, _) = try loadProbe()
        defer { host.shutdown() }
        let library = try #require(plugin.library)
        typealias CountFunction = @convention(c) () -> Int32
        typealias ErrorFunction = @convention(c) () -> UnsafePointer<CChar>
        let count = unsafeBitCast(try #require(dlsym(library.handle, "probe_release_count")), to: CountFunction.self)
        let lastError = unsafeBitCast(try #require(dlsym(library.handle, "probe_last_error")), to: ErrorFunction.self)

        let before = count()
        do {
            let graph = try #require(host.formats.first).load("/x/a.probe")
            #expect(count() == before + 1)  // the refused view's memory went back at once
            #expect(graph.initializers.count == 1)
        }
        // The graph is gone, so the zero-copy weights were released too.
        #expect(count() == before + 2)
        #expect(String(cString: lastError()) == "graph_add_initializer: byte_size 12 does not match shape [2, 2] of FP32"
            || String(cString: lastError()).contains("needs 4 × 4 bytes but the data holds 12"))
    }

    @Test("a plugin reads a graph back through the host API, and out-of-range reads are errors")
    func readsGraph() throws {
        let (host, _, _) = try loadProbe()
        defer { host.shutdown() }
        let format = try #require(host.formats.first)
        var graph = try format.load("/x/a.probe")
        graph.initializers.append(Initializer(name: "b", tensor: try Tensor(shape: [2], floats: [0.25, -1])))
        let out = try TestSupport.temporaryDirectory().appendingPathComponent("summary.txt").path
        try format.save(graph, to: out)
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines == [
            "inputs=1 outputs=1 nodes=1 initializers=2",
            "input x dtype=1 shape=-1x2",
            "node MatMul matmul0 in=x,w out=y attrs=3",
            "attr alpha kind=2 i=0 f=0.5 s=- count=0",
            "attr perm kind=4 i=0 f=0 s=- count=2",
            "attr mode kind=3 i=0 f=0 s=fast count=0",
            "initializer w bytes=16 values=1,2,3,4",
            "initializer b bytes=8 values=0.25,-1",
            "node 99: graph_node: node index 99 is out of range (there are 1)",
        ])
    }

    @Test("settings of every kind reach the plugin")
    func settings() throws {
        let settings = PluginSettings([
            ("scale", .float(1.5)), ("count", .integer(7)), ("flag", .bool(true)),
            ("label", .string("hello")), ("list", .array(text: "[1, 2]")),
        ])
        let (host, _, _) = try loadProbe(settings: settings)
        defer { host.shutdown() }
        // create() succeeded using them; the graph's weights show the float setting arrived.
        #expect(try #require(host.formats.first).load("/x/a.probe").initializers[0].tensor.floats == [1.5, 3, 4.5, 6])
    }

    @Test("a custom op kernel registered by symbol and signature is called through libffi")
    func customKernel() throws {
        let (host, _, _) = try loadProbe()
        defer { host.shutdown() }
        let kernel = try #require(host.customKernels.first)
        #expect(kernel.opType == "ProbeScale")
        #expect(kernel.plugin == "host-probe")
        var data: [Float] = [1, -2, 3.5]
        try data.withUnsafeMutableBytes { buffer in
            _ = try kernel.function.call([.pointer(buffer.baseAddress), .i64(3), .f32(2)])
        }
        #expect(data == [2, -4, 7])
    }

    @Test("a graph using a plugin's op runs it: output 0 starts as input 0, the float attribute binds to the f32 argument")
    func customOperatorInGraph() throws {
        let (host, _, _) = try loadProbe()
        defer { host.shutdown() }
        var graph = Graph()
        graph.inputs = [ValueInfo(name: "x", dtype: .fp32, shape: [-1, 3])]
        graph.outputs = [ValueInfo(name: "y", dtype: .fp32, shape: [-1, 3])]
        graph.nodes = [Node(opType: "ProbeScale", name: "scale", inputs: ["x"], outputs: ["y"],
                            attributes: [Attribute(name: "factor", value: .float(2.5))])]
        let executor = try Executor(graph: graph, customOperators: host.customOperators)
        let y = try executor.run(["x": try Tensor(shape: [2, 3], floats: [1, 2, 3, -4, 0, 0.5])])["y"]
        #expect(y?.shape == [2, 3])
        #expect(y?.floats == [2.5, 5, 7.5, -10, 0, 1.25])

        // Without the float attribute the kernel's f32 argument has nothing to bind to.
        graph.nodes[0].attributes = []
        #expect(throws: EngineError.self) { _ = try Executor(graph: graph, customOperators: host.customOperators) }
        do {
            _ = try Executor(graph: graph, customOperators: host.customOperators)
        } catch {
            #expect(error.message.contains("node 'scale'") && error.message.contains("float attribute"), "\(error.message)")
        }
        // Without the plugin the op is unknown, and the message says so.
        do {
            _ = try Executor(graph: graph)
            Issue.record("an unknown op was accepted")
        } catch {
            #expect(error.code == .unsupportedOperator)
        }
    }
}

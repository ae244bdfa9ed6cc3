import Foundation
import Testing
import TesseraCore
import TesseraEngine
import TesseraTestSupport

/// Models at opsets 7 to 12 through the bundled onnx plugin, whose version table
/// (Plugins/onnx/src/onnx_opsets.h) maps their nodes onto the engine's opset-13+ ops. The
/// outputs are compared with what Plugins/onnx/fixtures/make_opset_fixtures.py computed with
/// numpy from each op's definition at the model's opset; the reject_opset* models must be
/// refused with the code and phrases recorded next to them.
@Suite("onnx plugin: models at opsets 7 to 12")
struct ONNXOpsetTests {
    static let fixtures = TestSupport.root.appendingPathComponent("Plugins/onnx/fixtures")

    struct Expected: Decodable {
        struct Values: Decodable {
            let dtype: String
            let shape: [Int]
            let values: [Double]
        }

        struct Failure: Decodable {
            let code: Int32
            let message_contains: [String]
        }

        let opset: Int?
        let inputs: [String: Values]?
        let outputs: [String: Values]?
        let error: Failure?
    }

    struct FixtureError: Error, CustomStringConvertible {
        let description: String
    }

    static func expected(_ name: String) throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: fixtures.appendingPathComponent("\(name).expected.json")))
    }

    /// Runs `body` with the onnx format of a fresh host.
    func withONNX<T>(_ body: (FormatPlugin) throws -> T) throws -> T {
        let host = PluginHost(hostName: "test")
        host.load([PluginSpec(source: .bundled("onnx"))])
        defer { host.shutdown() }
        let format = try #require(host.formats.first { $0.name == "onnx" }, "\(host.problems)")
        return try body(format)
    }

    static func tensor(_ values: Expected.Values) throws -> Tensor {
        let storage: TensorStorage
        switch values.dtype {
        case "FP32": storage = values.values.map { Float($0) }.withUnsafeBytes { TensorStorage(copying: $0) }
        case "INT64": storage = values.values.map { Int64($0) }.withUnsafeBytes { TensorStorage(copying: $0) }
        case "BOOL": storage = values.values.map { UInt8($0) }.withUnsafeBytes { TensorStorage(copying: $0) }
        default: throw FixtureError(description: "no test input of type \(values.dtype)")
        }
        return try Tensor(dtype: try #require(DType(name: values.dtype)), shape: values.shape, storage: storage)
    }

    /// A tensor's elements as Doubles, as the fixtures store them (BOOL as 0/1).
    static func doubles(_ tensor: Tensor) -> [Double] {
        let bytes = tensor.storage.bytes
        return (0..<tensor.elementCount).map { i in
            switch tensor.dtype {
            case .fp32: Double(bytes.loadUnaligned(fromByteOffset: i * 4, as: Float.self))
            case .int64: Double(bytes.loadUnaligned(fromByteOffset: i * 8, as: Int64.self))
            case .int32: Double(bytes.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))
            case .bool: Double(bytes[i])
            default: .nan
            }
        }
    }

    /// Runs `graph` on the fixture's inputs and checks every output against the fixture.
    func check(_ graph: Graph, against expected: Expected, _ label: String) throws {
        let inputs = try (expected.inputs ?? [:]).mapValues { try Self.tensor($0) }
        let outputs = try Executor(graph: graph).run(inputs)
        for (name, want) in try #require(expected.outputs) {
            let got = try #require(outputs[name], "\(label): no output \(name)")
            #expect(got.dtype.name == want.dtype, "\(label) \(name)")
            #expect(got.shape == want.shape, "\(label) \(name)")
            let values = Self.doubles(got)
            #expect(values.count == want.values.count, "\(label) \(name)")
            for (g, w) in zip(values, want.values) where !(abs(g - w) <= 1e-5 + 1e-4 * abs(w)) {
                Issue.record("\(label) \(name): got \(values), expected \(want.values)")
                break
            }
        }
    }

    static let models = ["opset7_logic", "opset9_slice", "opset11_axes", "opset11_softmax", "opset12_classifier"]

    @Test("each model gives the outputs its ops define at its opset", arguments: models)
    func runs(_ name: String) throws {
        let expected = try Self.expected(name)
        let graph = try withONNX { try $0.load(Self.fixtures.appendingPathComponent("\(name).onnx").path) }
        try check(graph, against: expected, name)
    }

    @Test("Squeeze, Unsqueeze and ReduceSum at opset 11 get their axes attribute as an INT64 input")
    func axesBecomeInputs() throws {
        let graph = try withONNX { try $0.load(Self.fixtures.appendingPathComponent("opset11_axes.onnx").path) }
        func node(_ name: String) throws -> Node { try #require(graph.nodes.first { $0.name == name }) }
        func values(_ initializer: String) throws -> [Double] {
            Self.doubles(graph.initializers[try #require(graph.initializerIndex(named: initializer), "\(initializer)")].tensor)
        }
        #expect(try node("squeeze").inputs == ["x", "squeezed:tessera_axes"])
        #expect(try values("squeezed:tessera_axes") == [1, -1])
        #expect(try node("squeeze").attributes.isEmpty)
        #expect(try node("squeeze_all").inputs == ["x"])  // no axes: every dimension of size 1, in both forms
        #expect(try node("unsqueeze").inputs == ["squeezed", "unsqueezed:tessera_axes"])
        #expect(try values("unsqueezed:tessera_axes") == [0, -1])
        #expect(try node("sum_02").inputs == ["x", "sum_02:tessera_axes"])
        #expect(try node("sum_02").attributes == [Attribute(name: "keepdims", value: .int(0))])
        #expect(try node("sum_all").inputs == ["x"])
        // ReduceMean keeps its axes attribute: that is its form up to opset 17.
        #expect(try node("mean_2").attributes == [Attribute(name: "axes", value: .ints([2]))])
    }

    @Test("Slice-1's starts, ends and axes attributes become inputs")
    func sliceAttributesBecomeInputs() throws {
        let graph = try withONNX { try $0.load(Self.fixtures.appendingPathComponent("opset9_slice.onnx").path) }
        let withAxes = try #require(graph.nodes.first { $0.name == "slice_axes" })
        #expect(withAxes.inputs == ["x", "s_axes:tessera_starts", "s_axes:tessera_ends", "s_axes:tessera_axes"])
        #expect(withAxes.attributes.isEmpty)
        let withoutAxes = try #require(graph.nodes.first { $0.name == "slice_default" })
        #expect(withoutAxes.inputs == ["x", "s_default:tessera_starts", "s_default:tessera_ends"])
    }

    @Test("Softmax-11 normalizes over the input flattened to 2-D at its axis; axis -1 is kept as it is")
    func softmaxOverTwoDimensions() throws {
        let graph = try withONNX { try $0.load(Self.fixtures.appendingPathComponent("opset11_softmax.onnx").path) }
        let mapped = graph.nodes.filter { $0.name.hasPrefix("softmax_default") }
        #expect(mapped.map(\.opType) == ["Shape", "Flatten", "Softmax", "Reshape"])
        #expect(mapped[1].attributes == [Attribute(name: "axis", value: .int(1))])
        #expect(mapped[2].inputs == ["sm_default:tessera_2d"])
        #expect(mapped[2].attributes == [Attribute(name: "axis", value: .int(-1))])
        #expect(mapped[3].inputs == ["sm_default:tessera_2d_out", "sm_default:tessera_shape"])
        #expect(mapped[3].outputs == ["sm_default"])
        let last = graph.nodes.filter { $0.name.hasPrefix("softmax_last") }
        #expect(last == [Node(opType: "Softmax", name: "softmax_last", inputs: ["x"], outputs: ["sm_last"],
                              attributes: [Attribute(name: "axis", value: .int(-1))])])
    }

    @Test("a model loaded at an old opset saves as opset-17 ONNX that loads and computes the same", arguments: models)
    func savedCopy(_ name: String) throws {
        let folder = try TestSupport.temporaryDirectory("tessera-onnx-opset")
        defer { try? FileManager.default.removeItem(at: folder) }
        let copy = folder.appendingPathComponent("\(name).onnx").path
        let reloaded = try withONNX { format in
            try format.save(try format.load(Self.fixtures.appendingPathComponent("\(name).onnx").path), to: copy)
            return try format.load(copy)
        }
        try check(reloaded, against: try Self.expected(name), "\(name) saved and reloaded")
    }

    static let refused = ["reject_opset6", "reject_opset22", "reject_opset11_unmapped", "reject_opset10_range",
                          "reject_opset9_slice"]

    @Test("opsets outside 7–21, unmapped ops, ops newer than the model's opset and invalid old nodes are refused",
          arguments: refused)
    func refuses(_ name: String) throws {
        let failure = try #require(Self.expected(name).error)
        let code = failure.code == 3 ? "(unsupported)" : failure.code == 9 ? "(corrupt data)" : "code \(failure.code)"
        _ = try withONNX { format in
            #expect {
                try format.load(Self.fixtures.appendingPathComponent("\(name).onnx").path)
            } throws: { error in
                let message = (error as? PluginError)?.message ?? ""
                return message.contains(code) && failure.message_contains.allSatisfy { message.contains($0) }
            }
        }
    }

    @Test("every op the engine runs has a row in the plugin's opset table")
    func tableCoversEngine() throws {
        let source = try String(contentsOf: TestSupport.root.appendingPathComponent("Plugins/onnx/src/onnx_opsets.h"), encoding: .utf8)
        let rows = source.split(separator: "\n").compactMap { line -> String? in
            guard let match = line.firstMatch(of: /^\s*\{"(\w+)", \d+, RULE_\w+, \d+\}/) else { return nil }
            return String(match.1)
        }
        #expect(rows == rows.sorted())
        #expect(Set(rows) == Set(Executor.supportedOperators))
        #expect(rows.count == Executor.supportedOperators.count)
    }
}

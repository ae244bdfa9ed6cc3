import Foundation
import Testing
@testable import TesseraCore
import TesseraEngine
import TesseraTestSupport

/// The bundled safetensors format plugin against a file written by the reference
/// implementation (the `safetensors` PyPI package; see Plugins/safetensors/fixtures/make_fixture.py).
@Suite("safetensors format plugin")
struct SafetensorsTests {
    static let fixtures = TestSupport.root.appendingPathComponent("Plugins/safetensors/fixtures")

    struct Expected: Decodable {
        struct Tensor: Decodable {
            let name: String
            let tessera_dtype: Int32
            let shape: [Int]
            let sha256: String
        }
        let tensors: [Tensor]
    }

    func format() throws -> (PluginHost, FormatPlugin) {
        let host = PluginHost(hostName: "test")
        let plugin = host.load(PluginSpec(source: .bundled("safetensors")))
        try #require(plugin.state == .active, "\(plugin.info.reason ?? "")")
        return (host, try #require(host.formats.first))
    }

    func check(_ graph: Graph, against expected: Expected) throws {
        #expect(graph.initializers.count == expected.tensors.count)
        for tensor in expected.tensors {
            let index = try #require(graph.initializerIndex(named: tensor.name), "missing \(tensor.name)")
            let loaded = graph.initializers[index].tensor
            #expect(loaded.dtype.rawValue == tensor.tessera_dtype, "\(tensor.name)")
            #expect(loaded.shape == tensor.shape, "\(tensor.name)")
            #expect(SHA256.hex(of: loaded.storage.bytes) == tensor.sha256, "\(tensor.name)")
        }
    }

    @Test("reads every tensor of the reference file with the right dtype, shape and bytes, and writes it back readable")
    func roundTrip() throws {
        let (host, format) = try format()
        defer { host.shutdown() }
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("tiny.expected.json")))
        let fixture = Self.fixtures.appendingPathComponent("tiny.safetensors").path
        #expect(try format.probe(fixture) >= 0.95)
        let graph = try format.load(fixture)
        try check(graph, against: expected)
        let weights = try #require(graph.initializers.first { $0.name == "embeddings.weight" })
        #expect(weights.tensor.floats == (0..<12).map { Float($0) * 0.25 - 1 })

        let copy = try TestSupport.temporaryDirectory().appendingPathComponent("copy.safetensors").path
        try format.save(graph, to: copy)
        try check(try format.load(copy), against: expected)
    }

    @Test("hostile or broken files are refused with a clear error, never a crash", arguments: [
        "truncated", "absurd-header-length", "bad-json", "offset-past-end",
    ])
    func hostile(kind: String) throws {
        let (host, format) = try format()
        defer { host.shutdown() }
        var bytes = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent("tiny.safetensors")))
        switch kind {
        case "truncated": bytes = Array(bytes.prefix(bytes.count - 10))
        case "absurd-header-length": bytes.replaceSubrange(0..<8, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        case "bad-json": bytes[8] = UInt8(ascii: "[")
        default:
            let text = String(decoding: bytes, as: UTF8.self)
            let patched = text.replacingOccurrences(of: "[118,123]", with: "[118,923]")
            try #require(patched != text, "fixture layout changed")
            bytes = Array(patched.utf8)
        }
        let path = try TestSupport.temporaryDirectory().appendingPathComponent("\(kind).safetensors").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect {
            try format.load(path)
        } throws: { error in
            let message = (error as? PluginError)?.message ?? ""
            return message.contains("safetensors.load failed") && message.contains("corrupt data")
        }
    }
}

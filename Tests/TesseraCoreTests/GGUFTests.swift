import Foundation
import Testing
@testable import TesseraCore
import TesseraEngine
import TesseraTestSupport

/// The bundled gguf format plugin against files written by the reference implementation (the
/// `gguf` PyPI package's GGUFWriter) and what its GGUFReader reads from them, recorded in
/// `<name>.expected.json` (see Plugins/gguf/fixtures/make_fixtures.py).
@Suite("gguf format plugin")
struct GGUFTests {
    static let fixtures = TestSupport.root.appendingPathComponent("Plugins/gguf/fixtures")

    struct Expected: Decodable {
        struct Tensor: Decodable {
            let name: String
            let ggml_type: String
            let tessera_dtype: Int32?
            let shape: [Int]?
            let byte_size: Int?
            let sha256: String?
            let values: [Double]?
        }

        struct Load: Decodable {
            let ok: Bool
            let code: Int32?
            let message_contains: [String]?
            let tensors: [String]?
        }

        let tensors: [Tensor]?
        let load: Load
        let load_with_skip_unsupported: Load?
    }

    static func expected(_ name: String) throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: fixtures.appendingPathComponent("\(name).expected.json")))
    }

    func makeHost(_ settings: [(String, SettingValue)] = []) throws -> PluginHost {
        let host = PluginHost(hostName: "test")
        host.load([PluginSpec(source: .bundled("gguf"), settings: PluginSettings(settings))])
        try #require(host.plugins.first?.state == .active, "\(host.plugins.first?.info.reason ?? "")")
        return host
    }

    /// Checks that `graph` holds exactly `names`, in order, each as the reader recorded it.
    func check(_ graph: Graph, names: [String], against expected: Expected) throws {
        #expect(graph.nodes.isEmpty)
        #expect(graph.inputs.isEmpty)
        #expect(graph.outputs.isEmpty)
        #expect(graph.initializers.map(\.name) == names)
        let tensors = expected.tensors ?? []
        for name in names {
            let want = try #require(tensors.first { $0.name == name }, "\(name) is not in the expected JSON")
            let index = try #require(graph.initializerIndex(named: name), "missing \(name)")
            let loaded = graph.initializers[index].tensor
            #expect(loaded.dtype.rawValue == want.tessera_dtype, "\(name)")
            #expect(loaded.shape == want.shape, "\(name)")
            #expect(loaded.storage.byteCount == want.byte_size, "\(name)")
            #expect(SHA256.hex(of: loaded.storage.bytes) == want.sha256, "\(name)")
            if loaded.dtype == .fp32, let values = want.values {
                #expect(loaded.floats == values.map { Float($0) }, "\(name) (\(want.ggml_type))")
            }
        }
    }

    @Test("reads each reference file with the dtypes, shapes and bytes gguf's GGUFReader gives (Q8_0 dequantized)",
          arguments: ["tiny", "q8_0", "v2", "unaligned"])
    func fixture(name: String) throws {
        let host = try makeHost()
        defer { host.shutdown() }
        let expected = try Self.expected(name)
        let url = Self.fixtures.appendingPathComponent("\(name).gguf")
        let detection = try FormatDetector(host: host).detect(url)
        #expect(detection.format.name == "gguf")
        #expect(detection.confidence >= 0.95)
        try check(detection.graph, names: try #require(expected.load.tensors), against: expected)
    }

    @Test("dequantized Q8_0 weights are the float16 scale times each int8")
    func q8_0() throws {
        let host = try makeHost()
        defer { host.shutdown() }
        let graph = try FormatDetector(host: host).detect(Self.fixtures.appendingPathComponent("q8_0.gguf")).graph
        let zeros = try #require(graph.initializers.first { $0.name == "zeros" })
        #expect(zeros.tensor.dtype == .fp32)
        #expect(zeros.tensor.shape == [1, 32])
        #expect(zeros.tensor.floats == [Float](repeating: 0, count: 32))
        let up = try #require(graph.initializers.first { $0.name == "blk.0.ffn_up.weight" })
        #expect(up.tensor.shape == [4, 64])
    }

    @Test("refuses a file with a Q4_0 tensor, naming it, unless skip_unsupported is set")
    func unsupported() throws {
        let expected = try Self.expected("reject_q4_0")
        let path = Self.fixtures.appendingPathComponent("reject_q4_0.gguf").path
        do {
            let host = try makeHost()
            defer { host.shutdown() }
            let format = try #require(host.formats.first)
            #expect {
                try format.load(path)
            } throws: { error in
                let message = (error as? PluginError)?.message ?? ""
                return message.contains("gguf.load failed") && message.contains("unsupported")
                    && (expected.load.message_contains ?? []).allSatisfy { message.contains($0) }
            }
        }
        let host = try makeHost([("skip_unsupported", .bool(true))])
        defer { host.shutdown() }
        let format = try #require(host.formats.first)
        let graph = try format.load(path)
        let skipping = try #require(expected.load_with_skip_unsupported)
        try check(graph, names: try #require(skipping.tensors), against: expected)
    }

    @Test("refuses a big-endian file and says so")
    func bigEndian() throws {
        let host = try makeHost()
        defer { host.shutdown() }
        let format = try #require(host.formats.first)
        #expect {
            try format.load(Self.fixtures.appendingPathComponent("reject_big_endian.gguf").path)
        } throws: { error in
            let message = (error as? PluginError)?.message ?? ""
            return message.contains("unsupported") && message.contains("big-endian")
        }
    }

    @Test("is read-only and rejects unknown settings")
    func readOnlyAndSettings() throws {
        let host = try makeHost()
        defer { host.shutdown() }
        let format = try #require(host.formats.first)
        #expect(!format.canSave)
        #expect(format.extensions == [".gguf"])

        let other = PluginHost(hostName: "test")
        defer { other.shutdown() }
        let plugin = other.load(PluginSpec(source: .bundled("gguf"), settings: PluginSettings([("skip", .bool(true))])))
        #expect(plugin.state == .failed)
        #expect(plugin.info.reason?.contains("skip") == true)
    }

    @Test("hostile or broken files are refused with a clear error, never a crash", arguments: [
        "truncated", "huge-tensor-count", "huge-key-length", "bad-magic", "misaligned-offset",
    ])
    func hostile(kind: String) throws {
        let host = try makeHost()
        defer { host.shutdown() }
        let format = try #require(host.formats.first)
        var bytes = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent("v2.gguf")))
        switch kind {
        case "truncated": bytes = Array(bytes.prefix(bytes.count - 40)) // into the last tensor, not just its padding
        case "huge-tensor-count": bytes.replaceSubrange(8..<16, with: [UInt8](repeating: 0xFF, count: 8))
        case "huge-key-length": bytes.replaceSubrange(24..<32, with: [UInt8](repeating: 0xFF, count: 8))
        case "bad-magic": bytes[0] = UInt8(ascii: "X")
        default:
            // The last 8 bytes of the last tensor info are its data offset: make it 4 (not a multiple of 32).
            let infoEnd = try Self.tensorInfosEnd(bytes)
            bytes.replaceSubrange(infoEnd - 8..<infoEnd, with: [4, 0, 0, 0, 0, 0, 0, 0])
        }
        let path = try TestSupport.temporaryDirectory().appendingPathComponent("\(kind).gguf").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect {
            try format.load(path)
        } throws: { error in
            let message = (error as? PluginError)?.message ?? ""
            return message.contains("gguf.load failed") && message.contains("corrupt data") && message.contains(path)
        }
    }

    /// Where the tensor infos of a GGUF file without metadata arrays end (v2.gguf has only a string key).
    static func tensorInfosEnd(_ bytes: [UInt8]) throws -> Int {
        func u64(_ at: Int) -> Int { (0..<8).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
        func u32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
        let tensors = u64(8), entries = u64(16)
        var at = 24
        for _ in 0..<entries {
            at += 8 + u64(at)           // key
            let type = u32(at)
            at += 4
            try #require(type == 8, "v2.gguf is expected to hold string metadata only")
            at += 8 + u64(at)           // string value
        }
        for _ in 0..<tensors {
            at += 8 + u64(at)           // name
            let dims = u32(at)
            at += 4 + 8 * dims + 4 + 8  // n_dims, dims, type, offset
        }
        return at
    }
}

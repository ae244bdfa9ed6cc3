import Foundation
import Testing
import TesseraTestSupport

/// `tessera inspect` and `tessera convert` on real model files, run as a user runs them.
@Suite("tessera inspect and convert")
struct ModelFileCommandTests {
    let tessera = TestSupport.productsDirectory.appendingPathComponent("tessera").path
    static let iris = TestSupport.root.appendingPathComponent("demo/iris/iris-mlp.onnx").path

    @Test("inspect lists inputs, outputs, operators and parameters, and says the engine can run it")
    func inspect() throws {
        let result = try TestSupport.run(tessera, ["inspect", Self.iris])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("onnx"))
        // 4·16 + 16 + 16·3 + 3 weights.
        #expect(result.stdout.contains("131 parameters"))
        #expect(result.stdout.contains("features") && result.stdout.contains("[?, 4]"))
        #expect(result.stdout.contains("Gemm") && result.stdout.contains("ArgMax"))
        #expect(result.stdout.contains("engine: can run it"))

        let json = try TestSupport.run(tessera, ["inspect", Self.iris, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["parameters"] as? Int == 131)
        #expect((object["operators"] as? [String: Int])?["Gemm"] == 2)
    }

    @Test("convert ONNX → safetensors → ONNX keeps every weight, and ONNX → ONNX computes the same outputs")
    func convert() throws {
        let folder = try TestSupport.temporaryDirectory("tessera-convert")
        defer { try? FileManager.default.removeItem(at: folder) }
        let weights = folder.appendingPathComponent("iris.safetensors").path
        let toWeights = try TestSupport.run(tessera, ["convert", Self.iris, weights])
        #expect(toWeights.status == 0, "\(toWeights.stdout)\(toWeights.stderr)")
        #expect(toWeights.stdout.contains("weights: 4 of 4 tensors compared"))
        #expect(toWeights.stdout.contains("max abs diff 0.0"))

        let copy = folder.appendingPathComponent("copy.onnx").path
        let roundTrip = try TestSupport.run(tessera, ["convert", Self.iris, copy])
        #expect(roundTrip.status == 0, "\(roundTrip.stdout)\(roundTrip.stderr)")
        #expect(roundTrip.stdout.contains("output 'probabilities' [2, 3]: max abs diff 0.0, cosine 1.0"))

        let exists = try TestSupport.run(tessera, ["convert", Self.iris, copy])
        #expect(exists.status != 0)
        #expect(exists.stderr.contains("exists"))
        let unknown = try TestSupport.run(tessera, ["convert", Self.iris, folder.appendingPathComponent("x.bin").path])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("give --to"))
    }
}

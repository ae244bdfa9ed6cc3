import Foundation
import Testing
import TesseraTestSupport

/// `tessera inspect`, `tessera run` and `tessera convert` on real model files, run as a user runs them.
@Suite("tessera inspect, run and convert")
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

    @Test("run takes JSON or .npy inputs and prints the outputs; scikit-learn's label for a setosa is 0")
    func run() throws {
        let json = try TestSupport.run(tessera, ["run", Self.iris, "--input", "features=[[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let outputs = try #require(object["outputs"] as? [[String: Any]])
        #expect(outputs.first { $0["name"] as? String == "label" }?["data"] as? [Double] == [0, 2])

        // A .npy file as NumPy writes it: magic, version 1.0, header length, dict header padded to 64 bytes, data.
        let folder = try TestSupport.temporaryDirectory("tessera-run")
        defer { try? FileManager.default.removeItem(at: folder) }
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4), }"
        header += String(repeating: " ", count: 64 - (10 + header.utf8.count + 1) % 64) + "\n"
        var npy = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)])
        npy.append(contentsOf: Array(header.utf8))
        for value: Float in [6.7, 3.0, 5.2, 2.3] { withUnsafeBytes(of: value) { npy.append(contentsOf: $0) } }
        let file = folder.appendingPathComponent("features.npy")
        try npy.write(to: file)
        let fromFile = try TestSupport.run(tessera, ["run", Self.iris, "--input", "features=@\(file.path)"])
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        #expect(fromFile.stdout.contains("\"label\""))
        let labels = try #require(try JSONSerialization.jsonObject(with: Data(fromFile.stdout.utf8)) as? [String: Any])
        #expect((labels["outputs"] as? [[String: Any]])?.last?["data"] as? [Double] == [2])

        let ragged = try TestSupport.run(tessera, ["run", Self.iris, "--input", "features=[[1, 2], [3]]"])
        #expect(ragged.status != 0)
        #expect(ragged.stderr.contains("ragged"))
        let wrongShape = try TestSupport.run(tessera, ["run", Self.iris, "--input", "features=[[1, 2]]"])
        #expect(wrongShape.stderr.contains("must have shape [-1, 4]"))
    }
}

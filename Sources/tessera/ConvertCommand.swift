import ArgumentParser
import Foundation
import TesseraCore
import TesseraEngine

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a model between formats, then check that the copy computes the same.",
        discussion: """
            Loads IN with one format plugin and writes OUT with another (--to, or the plugin whose \
            extension OUT has). Then both are loaded again and compared: graphs are run on the same \
            sample inputs (seeded random floats; integer inputs all 1; dynamic dimensions 2 and 8) \
            and the largest absolute difference and the cosine of every float output are reported; \
            weights-only files are compared tensor by tensor. Exits 1 if they differ.

              tessera convert model.onnx weights.safetensors     # the weights of an ONNX model
              tessera convert model.onnx copy.onnx               # re-encode (round trip)
            """
    )

    @OptionGroup var model: ModelFileOptions
    @Argument(help: "The model to read.") var input: String
    @Argument(help: "Where to write the converted model (must not exist).") var output: String
    @Option(help: "The output format (e.g. onnx, safetensors). Default: from OUT's extension.") var to: String?
    @Option(help: "Largest absolute difference accepted.") var tolerance: Double = 1e-5

    func run() throws {
        let host = try model.pluginHost()
        defer { host.shutdown() }
        guard !FileManager.default.fileExists(atPath: output) else {
            throw ValidationError("\(output) exists; choose a new file name")
        }
        let source = try model.load(input, host: host)
        let target = try writer(host)
        try target.save(source.graph, to: output)
        let copy = try target.load(output)
        print("wrote \(output) (\(target.name), \(formatBytes(InspectCommand.size(of: URL(fileURLWithPath: output))))) from \(input) (\(source.format.name))")

        let comparison = try GraphComparison(source.graph, copy, customOperators: host.customOperators)
        print(comparison.summary)
        if comparison.maxAbsDiff > tolerance || !comparison.problems.isEmpty {
            throw ExitCode(1)
        }
    }

    private func writer(_ host: PluginHost) throws -> FormatPlugin {
        let formats = host.formats
        let names = formats.filter(\.canSave).map(\.name).joined(separator: ", ")
        if let to {
            guard let format = formats.first(where: { $0.name == to }) else {
                throw ValidationError("no format plugin named '\(to)'; formats that can write: \(names)")
            }
            guard format.canSave else { throw ValidationError("the \(to) plugin cannot write models; formats that can: \(names)") }
            return format
        }
        let lowered = output.lowercased()
        guard let format = formats.first(where: { $0.canSave && $0.extensions.contains { lowered.hasSuffix($0.lowercased()) } }) else {
            throw ValidationError("cannot tell the output format from '\(output)'; give --to (formats that can write: \(names))")
        }
        return format
    }
}

/// How closely two graphs agree: outputs on the same sample inputs, or weights tensor by tensor.
struct GraphComparison {
    var maxAbsDiff = 0.0
    var lines: [String] = []
    var problems: [String] = []

    init(_ a: Graph, _ b: Graph, customOperators: [String: CustomOperator] = [:]) throws {
        if a.nodes.isEmpty || b.nodes.isEmpty {
            compareWeights(a, b)
        } else {
            try compareOutputs(a, b, customOperators)
        }
    }

    var summary: String {
        (lines + problems.map { "problem: \($0)" } + ["max abs diff \(maxAbsDiff)"]).joined(separator: "\n")
    }

    private mutating func compareWeights(_ a: Graph, _ b: Graph) {
        let other = Dictionary(b.initializers.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        var compared = 0
        for initializer in a.initializers {
            guard let copy = other[initializer.name] else {
                problems.append("tensor '\(initializer.name)' is missing from the copy")
                continue
            }
            guard copy.shape == initializer.tensor.shape, copy.dtype == initializer.tensor.dtype else {
                problems.append("tensor '\(initializer.name)' is \(copy.dtype) \(copy.shape) in the copy, \(initializer.tensor.dtype) \(initializer.tensor.shape) in the original")
                continue
            }
            if initializer.tensor.dtype == .fp32 {
                maxAbsDiff = max(maxAbsDiff, Self.maxDiff(initializer.tensor.floats, copy.floats))
            } else if !initializer.tensor.storage.bytes.elementsEqual(copy.storage.bytes) {
                problems.append("tensor '\(initializer.name)' (\(copy.dtype)) differs")
            }
            compared += 1
        }
        lines.append("weights: \(compared) of \(a.initializers.count) tensors compared")
    }

    private mutating func compareOutputs(_ a: Graph, _ b: Graph, _ custom: [String: CustomOperator]) throws {
        let inputs = try Self.sampleInputs(a.inputs)
        let left = try Executor(graph: a, customOperators: custom).run(inputs)
        let right = try Executor(graph: b, customOperators: custom).run(inputs)
        for info in a.outputs {
            guard let x = left[info.name], let y = right[info.name] else {
                problems.append("output '\(info.name)' is missing from the copy")
                continue
            }
            guard x.shape == y.shape, x.dtype == y.dtype else {
                problems.append("output '\(info.name)' is \(y.dtype) \(y.shape) in the copy, \(x.dtype) \(x.shape) in the original")
                continue
            }
            guard x.dtype == .fp32 else {
                if !x.storage.bytes.elementsEqual(y.storage.bytes) { problems.append("output '\(info.name)' (\(x.dtype)) differs") }
                continue
            }
            let (u, v) = (x.floats, y.floats)
            let diff = Self.maxDiff(u, v)
            maxAbsDiff = max(maxAbsDiff, diff)
            lines.append("output '\(info.name)' \(x.shape): max abs diff \(diff), cosine \(Self.cosine(u, v))")
        }
    }

    /// Seeded random floats, integer inputs all 1, dynamic dimensions 2 (first) and 8 (others).
    static func sampleInputs(_ inputs: [ValueInfo]) throws -> [String: Tensor] {
        var generator = SplitMix(seed: 42)
        var result: [String: Tensor] = [:]
        for input in inputs {
            let shape = input.shape.enumerated().map { index, dim in dim >= 0 ? dim : (index == 0 ? 2 : 8) }
            let count = Tensor.elementCount(of: shape) ?? 0
            let storage = TensorStorage(zeroedByteCount: count * input.dtype.byteSize)
            let base = UnsafeMutableRawPointer(mutating: storage.baseAddress!)
            for index in 0..<count {
                switch input.dtype {
                case .fp32: base.storeBytes(of: Float(generator.nextUnit() * 2 - 1), toByteOffset: index * 4, as: Float.self)
                case .fp64: base.storeBytes(of: generator.nextUnit() * 2 - 1, toByteOffset: index * 8, as: Double.self)
                case .int64: base.storeBytes(of: Int64(1), toByteOffset: index * 8, as: Int64.self)
                case .int32: base.storeBytes(of: Int32(1), toByteOffset: index * 4, as: Int32.self)
                default: base.storeBytes(of: UInt8(1), toByteOffset: index * input.dtype.byteSize, as: UInt8.self)
                }
            }
            result[input.name] = try Tensor(dtype: input.dtype, shape: shape, storage: storage)
        }
        return result
    }

    static func maxDiff(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).reduce(0) { max($0, Double(abs($1.0 - $1.1))) }
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) {
            dot += Double(x) * Double(y)
            na += Double(x) * Double(x)
            nb += Double(y) * Double(y)
        }
        return na == 0 && nb == 0 ? 1 : dot / (na.squareRoot() * nb.squareRoot())
    }
}

/// A small seeded generator, so conversions compare on the same inputs every time.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

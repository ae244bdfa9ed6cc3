import ArgumentParser
import Foundation
import TesseraCore
import TesseraEngine

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a model file once on inputs given on the command line, and print its outputs as JSON.",
        discussion: """
            Each --input is NAME=JSON (a nested array; its nesting gives the shape and the model \
            gives the element type) or NAME=@FILE.npy. Outputs print in the Open Inference \
            Protocol's JSON form.

              tessera run demo/iris/iris-mlp.onnx --input 'features=[[5.1, 3.5, 1.4, 0.2]]'
              tessera run model.onnx --input input_ids=@ids.npy --input attention_mask=@mask.npy
            """
    )

    @OptionGroup var model: ModelFileOptions
    @Argument(help: "The model file or folder.") var path: String
    @Option(name: .customLong("input"), help: "NAME=JSON or NAME=@FILE.npy. Repeatable, one per model input.") var inputs: [String] = []

    struct Output: Encodable {
        let name: String
        let datatype: String
        let shape: [Int]
        let data: [Double]
    }

    func run() throws {
        let host = try model.pluginHost()
        defer { host.shutdown() }
        let detection = try model.load(path, host: host)
        let executor: Executor
        do {
            executor = try Executor(graph: detection.graph, customOperators: host.customOperators)
        } catch {
            throw ValidationError("the engine cannot run \(path): \(error.message)")
        }
        var tensors: [String: Tensor] = [:]
        for argument in inputs {
            guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                throw ValidationError("--input '\(argument)' is not NAME=JSON or NAME=@FILE.npy")
            }
            let name = String(argument[..<equals])
            let value = String(argument[argument.index(after: equals)...])
            guard let info = executor.inputs.first(where: { $0.name == name }) else {
                throw ValidationError("the model has no input '\(name)'; its inputs are \(executor.inputs.map(\.name).joined(separator: ", "))")
            }
            tensors[name] = value.hasPrefix("@") ? try NPYFile.read(URL(fileURLWithPath: String(value.dropFirst())))
                : try Self.tensor(json: value, dtype: info.dtype, name: name)
        }
        let outputs: [String: Tensor]
        do {
            outputs = try executor.run(tensors)
        } catch {
            throw ValidationError(error.message)
        }
        try printJSON(["outputs": executor.outputs.compactMap { info in
            outputs[info.name].map { Output(name: info.name, datatype: $0.dtype.name, shape: $0.shape, data: Self.doubles($0)) }
        }])
    }

    /// A tensor from a nested JSON array of numbers (or booleans).
    static func tensor(json: String, dtype: DType, name: String) throws -> Tensor {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed]) else {
            throw ValidationError("input '\(name)': '\(json)' is not JSON")
        }
        var shape: [Int] = []
        var probe: Any = object
        while let array = probe as? [Any] {
            shape.append(array.count)
            guard let first = array.first else { break }
            probe = first
        }
        var values: [Double] = []
        func flatten(_ value: Any, depth: Int) throws {
            if let array = value as? [Any] {
                guard depth < shape.count, array.count == shape[depth] else {
                    throw ValidationError("input '\(name)': the nested arrays are ragged; every row needs the same length")
                }
                for element in array { try flatten(element, depth: depth + 1) }
            } else if let number = value as? NSNumber, depth == shape.count {
                values.append(number.doubleValue)
            } else {
                throw ValidationError("input '\(name)': '\(value)' is not a number, or the nesting is uneven")
            }
        }
        try flatten(object, depth: 0)
        let storage = TensorStorage(zeroedByteCount: values.count * dtype.byteSize)
        let base = UnsafeMutableRawPointer(mutating: storage.baseAddress!)
        for (index, value) in values.enumerated() {
            switch dtype {
            case .fp32: base.storeBytes(of: Float(value), toByteOffset: index * 4, as: Float.self)
            case .fp64: base.storeBytes(of: value, toByteOffset: index * 8, as: Double.self)
            case .int64: base.storeBytes(of: Int64(value), toByteOffset: index * 8, as: Int64.self)
            case .int32: base.storeBytes(of: Int32(value), toByteOffset: index * 4, as: Int32.self)
            case .bool, .uint8: base.storeBytes(of: UInt8(value != 0 ? (dtype == .bool ? 1 : value) : 0), toByteOffset: index, as: UInt8.self)
            case .int8: base.storeBytes(of: Int8(value), toByteOffset: index, as: Int8.self)
            default: throw ValidationError("input '\(name)' is \(dtype); give it as a .npy file")
            }
        }
        return try Tensor(dtype: dtype, shape: shape, storage: storage)
    }

    static func doubles(_ tensor: Tensor) -> [Double] {
        let bytes = tensor.storage.bytes
        switch tensor.dtype {
        case .fp32: return bytes.bindMemory(to: Float.self).map(Double.init)
        case .fp64: return Array(bytes.bindMemory(to: Double.self))
        case .int64: return bytes.bindMemory(to: Int64.self).map(Double.init)
        case .int32: return bytes.bindMemory(to: Int32.self).map(Double.init)
        case .bool, .uint8: return bytes.bindMemory(to: UInt8.self).map(Double.init)
        case .int8: return bytes.bindMemory(to: Int8.self).map(Double.init)
        default: return []
        }
    }
}

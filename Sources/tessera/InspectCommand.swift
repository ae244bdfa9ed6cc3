import ArgumentParser
import Foundation
import TesseraCore
import TesseraEngine

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a model file's inputs, outputs, operators, parameters and size.",
        discussion: """
            Reads the model with the format plugins (it is not added to any store) and says whether \
            the engine can run it.

              tessera inspect ../shared/models/all-MiniLM-L6-v2.onnx
            """
    )

    @OptionGroup var model: ModelFileOptions
    @Argument(help: "The model file or folder.") var path: String
    @Flag(help: "Print JSON instead of tables.") var json = false

    struct Report: Encodable {
        struct Value: Encodable { let name: String; let datatype: String; let shape: [Int] }
        let format: String
        let inputs: [Value]
        let outputs: [Value]
        let nodes: Int
        /// Op type → how many nodes.
        let operators: [String: Int]
        let parameters: Int
        /// Element type → parameters of that type.
        let parameter_types: [String: Int]
        let bytes: Int64
        /// Why the engine cannot run it; nil when it can.
        let engine_problem: String?
    }

    func run() throws {
        let host = try model.pluginHost()
        defer { host.shutdown() }
        let detection = try model.load(path, host: host)
        let graph = detection.graph
        var operators: [String: Int] = [:]
        for node in graph.nodes { operators[node.opType, default: 0] += 1 }
        var types: [String: Int] = [:]
        for initializer in graph.initializers { types[initializer.tensor.dtype.name, default: 0] += initializer.tensor.elementCount }
        var problem: String?
        if !graph.nodes.isEmpty {
            do { _ = try Executor(graph: graph, customOperators: host.customOperators) } catch { problem = error.message }
        }
        let report = Report(
            format: detection.format.name,
            inputs: graph.inputs.map { .init(name: $0.name, datatype: $0.dtype.name, shape: $0.shape) },
            outputs: graph.outputs.map { .init(name: $0.name, datatype: $0.dtype.name, shape: $0.shape) },
            nodes: graph.nodes.count, operators: operators, parameters: graph.parameterCount, parameter_types: types,
            bytes: Self.size(of: URL(fileURLWithPath: path)), engine_problem: problem)
        if json { return try printJSON(report) }
        print("\(path): \(report.format), \(formatBytes(report.bytes)), \(Self.grouped(report.parameters)) parameters "
              + "(\(types.sorted { $0.key < $1.key }.map { "\($0.key) \(Self.grouped($0.value))" }.joined(separator: ", ")))")
        var values = Table("", "NAME", "DATATYPE", "SHAPE")
        for value in report.inputs { values.add("input", value.name, value.datatype, Self.shape(value.shape)) }
        for value in report.outputs { values.add("output", value.name, value.datatype, Self.shape(value.shape)) }
        print("\n" + values.render())
        if !operators.isEmpty {
            var ops = Table("OPERATOR", "NODES")
            for (op, count) in operators.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) { ops.add(op, String(count)) }
            print("\n\(report.nodes) nodes:\n" + ops.render())
            print("\nengine: " + (problem.map { "cannot run it: \($0)" } ?? "can run it"))
        } else {
            print("\nweights only (no graph)")
        }
    }

    static func shape(_ dims: [Int]) -> String {
        "[" + dims.map { $0 < 0 ? "?" : String($0) }.joined(separator: ", ") + "]"
    }

    static func grouped(_ value: Int) -> String {
        let digits = Array(String(value))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }

    /// Bytes of a file, or of every file under a folder.
    static func size(of url: URL) -> Int64 {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else { return 0 }
        guard isFolder.boolValue else {
            return (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int64) ?? 0
        }
        var total: Int64 = 0
        for case let file as URL in FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.fileSizeKey]) ?? .init() {
            total += Int64((try? file.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0)
        }
        return total
    }
}

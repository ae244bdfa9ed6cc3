import Foundation
import TesseraEngine
import TesseraSDK

/// The graph members of the host API table: how format plugins build graphs and optimizer
/// plugins read and edit them. Every input is checked; a bad call returns a status naming
/// what is wrong and leaves the graph as it was.
enum GraphAPI {
    /// A failure to report to the plugin as a status.
    struct Failure: Error {
        let code: tsr_status_code
        let message: String
        init(_ message: String) {
            self.init(TSR_ERR_INVALID_ARGUMENT, message)
        }

        init(_ code: tsr_status_code, _ message: String) {
            self.code = code
            self.message = message
        }
    }

    static func install(into api: inout tsr_host_api) {
        api.graph_add_input = { graph, info in
            GraphAPI.report("graph_add_input") {
                let value = try GraphAPI.valueInfo(try GraphAPI.required(info, "info"), into: tsr_value_info())
                try GraphAPI.handle(graph).modify { graph in
                    guard !graph.inputs.contains(where: { $0.name == value.name }) else {
                        throw Failure("graph input '\(value.name)' is already declared")
                    }
                    graph.inputs.append(value)
                }
            }
        }
        api.graph_add_output = { graph, info in
            GraphAPI.report("graph_add_output") {
                let value = try GraphAPI.valueInfo(try GraphAPI.required(info, "info"), into: tsr_value_info())
                try GraphAPI.handle(graph).modify { graph in
                    guard !graph.outputs.contains(where: { $0.name == value.name }) else {
                        throw Failure("graph output '\(value.name)' is already declared")
                    }
                    graph.outputs.append(value)
                }
            }
        }
        api.graph_add_initializer = { graph, name, view, release in
            // Take ownership first, so the release callback runs exactly once whatever fails.
            let owner = release.map { ReleaseOwner(VersionedStruct.read($0, into: tsr_release())) }
            return GraphAPI.report("graph_add_initializer") {
                let name = try GraphAPI.string(name, "name")
                let tensor = try GraphAPI.tensor(from: try GraphAPI.required(view, "view"), owner: owner)
                try GraphAPI.handle(graph).modify { graph in
                    guard graph.initializerIndex(named: name) == nil else {
                        throw Failure("initializer '\(name)' already exists; use graph_replace_initializer to change it")
                    }
                    graph.initializers.append(Initializer(name: name, tensor: tensor))
                }
            }
        }
        api.graph_add_node = { graph, opType, name, inputs, inputCount, outputs, outputCount, attributes, attributeCount in
            GraphAPI.report("graph_add_node") {
                let node = Node(
                    opType: try GraphAPI.string(opType, "op_type"),
                    name: name.map { String(cString: $0) } ?? "",
                    inputs: try GraphAPI.strings(inputs, inputCount, "inputs"),
                    outputs: try GraphAPI.strings(outputs, outputCount, "outputs"),
                    attributes: try (0..<attributeCount).map { index in
                        guard let attributes else { throw Failure("attributes is NULL but attribute_count is \(attributeCount)") }
                        return try GraphAPI.attribute(VersionedStruct.element(attributes, index))
                    })
                guard !node.opType.isEmpty else { throw Failure("op_type must not be empty") }
                guard !node.outputs.isEmpty else { throw Failure("node '\(node.name)' (\(node.opType)) has no outputs") }
                try GraphAPI.handle(graph).modify { $0.nodes.append(node) }
            }
        }

        api.graph_summary = { graph, out in
            GraphAPI.report("graph_summary") {
                let graph = try GraphAPI.handle(graph).graph
                var summary = tsr_graph_summary()
                summary.input_count = graph.inputs.count
                summary.output_count = graph.outputs.count
                summary.node_count = graph.nodes.count
                summary.initializer_count = graph.initializers.count
                VersionedStruct.write(summary, to: try GraphAPI.required(out, "out"))
            }
        }
        api.graph_input = { graph, index, out in
            GraphAPI.report("graph_input") {
                let handle = try GraphAPI.handle(graph)
                let value = try GraphAPI.element(handle.graph.inputs, index, "input")
                VersionedStruct.write(GraphAPI.describe(value, in: handle), to: try GraphAPI.required(out, "out"))
            }
        }
        api.graph_output = { graph, index, out in
            GraphAPI.report("graph_output") {
                let handle = try GraphAPI.handle(graph)
                let value = try GraphAPI.element(handle.graph.outputs, index, "output")
                VersionedStruct.write(GraphAPI.describe(value, in: handle), to: try GraphAPI.required(out, "out"))
            }
        }
        api.graph_node = { graph, index, out in
            GraphAPI.report("graph_node") {
                let handle = try GraphAPI.handle(graph)
                let node = try GraphAPI.element(handle.graph.nodes, index, "node")
                var info = tsr_node_info()
                info.op_type = handle.lend(node.opType)
                info.name = handle.lend(node.name)
                info.inputs = handle.lend(node.inputs)
                info.input_count = node.inputs.count
                info.outputs = handle.lend(node.outputs)
                info.output_count = node.outputs.count
                info.attribute_count = node.attributes.count
                VersionedStruct.write(info, to: try GraphAPI.required(out, "out"))
            }
        }
        api.graph_node_attribute = { graph, nodeIndex, attributeIndex, out in
            GraphAPI.report("graph_node_attribute") {
                let handle = try GraphAPI.handle(graph)
                let node = try GraphAPI.element(handle.graph.nodes, nodeIndex, "node")
                let attribute = try GraphAPI.element(node.attributes, attributeIndex, "attribute of node '\(node.name)'")
                VersionedStruct.write(GraphAPI.describe(attribute, in: handle), to: try GraphAPI.required(out, "out"))
            }
        }
        api.graph_initializer = { graph, index, name, out in
            GraphAPI.report("graph_initializer") {
                let handle = try GraphAPI.handle(graph)
                let initializer = try GraphAPI.element(handle.graph.initializers, index, "initializer")
                let out = try GraphAPI.required(out, "out")
                if let name { name.pointee = handle.lend(initializer.name) }
                VersionedStruct.write(GraphAPI.view(of: initializer.tensor, in: handle), to: out)
            }
        }
        api.graph_replace_initializer = { graph, name, view, release in
            let owner = release.map { ReleaseOwner(VersionedStruct.read($0, into: tsr_release())) }
            return GraphAPI.report("graph_replace_initializer") {
                let name = try GraphAPI.string(name, "name")
                let tensor = try GraphAPI.tensor(from: try GraphAPI.required(view, "view"), owner: owner)
                try GraphAPI.handle(graph).modify { graph in
                    guard let index = graph.initializerIndex(named: name) else {
                        throw Failure(TSR_ERR_NOT_FOUND, "no initializer named '\(name)'")
                    }
                    graph.initializers[index].tensor = tensor
                }
            }
        }
        api.graph_remove_node = { graph, index in
            GraphAPI.report("graph_remove_node") {
                let handle = try GraphAPI.handle(graph)
                _ = try GraphAPI.element(handle.graph.nodes, index, "node")
                handle.modify { _ = $0.nodes.remove(at: index) }
            }
        }
    }

    // MARK: - Conversions

    /// Runs `body`, turning a thrown failure into a status for the plugin.
    fileprivate static func report(_ function: String, _ body: () throws -> Void) -> OpaquePointer? {
        do {
            try body()
            return nil
        } catch let failure as Failure {
            return StatusObject.make(code: failure.code, message: "\(function): \(failure.message)")
        } catch {
            return StatusObject.make(code: TSR_ERR_INVALID_ARGUMENT, message: "\(function): \(error)")
        }
    }

    fileprivate static func handle(_ pointer: OpaquePointer?) throws -> GraphHandle {
        guard let pointer else { throw Failure("graph is NULL") }
        return GraphHandle.from(pointer)
    }

    fileprivate static func required<T>(_ pointer: T?, _ what: String) throws -> T {
        guard let pointer else { throw Failure("\(what) is NULL") }
        return pointer
    }

    fileprivate static func string(_ pointer: UnsafePointer<CChar>?, _ what: String) throws -> String {
        guard let pointer else { throw Failure("\(what) is NULL") }
        return String(cString: pointer)
    }

    fileprivate static func strings(_ array: UnsafePointer<UnsafePointer<CChar>?>?, _ count: Int, _ what: String) throws -> [String] {
        guard count > 0 else { return [] }
        guard let array else { throw Failure("\(what) is NULL but its count is \(count)") }
        // A NULL entry is an omitted optional input (ONNX writes it as an empty name).
        return (0..<count).map { array[$0].map { String(cString: $0) } ?? "" }
    }

    fileprivate static func element<T>(_ array: [T], _ index: Int, _ what: String) throws -> T {
        guard array.indices.contains(index) else {
            throw Failure(TSR_ERR_NOT_FOUND, "\(what) index \(index) is out of range (there are \(array.count))")
        }
        return array[index]
    }

    fileprivate static func checkSize(_ pointer: UnsafeRawPointer, _ minimum: Int, _ type: String) throws {
        let declared = VersionedStruct.declaredSize(pointer)
        guard declared >= minimum else {
            throw Failure("\(type).struct_size is \(declared), smaller than ABI 1.0's \(minimum); set it to sizeof(\(type))")
        }
    }

    fileprivate static func dtype(_ raw: tsr_dtype) throws -> DType {
        guard let dtype = DType(rawValue: raw) else { throw Failure("unknown dtype \(raw) (see TSR_DTYPE_* in tessera/tensor.h)") }
        return dtype
    }

    fileprivate static func shape(_ pointer: UnsafePointer<Int64>?, _ ndim: UInt32, allowDynamic: Bool) throws -> [Int] {
        guard ndim <= UInt32(TSR_MAX_RANK) else { throw Failure("rank \(ndim) exceeds TSR_MAX_RANK (\(TSR_MAX_RANK))") }
        guard ndim == 0 || pointer != nil else { throw Failure("shape is NULL but ndim is \(ndim)") }
        return try (0..<Int(ndim)).map { index in
            let dim = pointer![index]
            guard dim >= 0 || (allowDynamic && dim == Int64(TSR_DIM_DYNAMIC)) else {
                throw Failure("dimension \(index) is \(dim); dimensions must be >= 0\(allowDynamic ? " or TSR_DIM_DYNAMIC" : "")")
            }
            return Int(dim)
        }
    }

    fileprivate static func valueInfo(_ pointer: UnsafePointer<tsr_value_info>, into empty: tsr_value_info) throws -> ValueInfo {
        try checkSize(pointer, MemoryLayout<tsr_value_info>.size, "tsr_value_info")
        let info = VersionedStruct.read(pointer, into: empty)
        return ValueInfo(name: try string(info.name, "info->name"), dtype: try dtype(info.dtype),
                         shape: try shape(info.shape, info.ndim, allowDynamic: true))
    }

    fileprivate static func tensor(from pointer: UnsafePointer<tsr_tensor_view>, owner: ReleaseOwner?) throws -> Tensor {
        try checkSize(pointer, MemoryLayout<tsr_tensor_view>.size, "tsr_tensor_view")
        let view = VersionedStruct.read(pointer, into: tsr_tensor_view())
        let dtype = try dtype(view.dtype)
        let shape = try shape(view.shape, view.ndim, allowDynamic: false)
        guard view.byte_size <= UInt64(Int.max) else { throw Failure("byte_size \(view.byte_size) is too large") }
        let byteCount = Int(view.byte_size)
        guard byteCount == 0 || view.data != nil else { throw Failure("view->data is NULL but byte_size is \(byteCount)") }
        let storage: TensorStorage
        if let owner {
            storage = TensorStorage(borrowing: UnsafeRawPointer(view.data), byteCount: byteCount, release: { owner.callOnce() })
        } else {
            guard let expected = Tensor.elementCount(of: shape).map({ $0 * dtype.byteSize }), expected == byteCount else {
                throw Failure("byte_size \(byteCount) does not match shape \(shape) of \(dtype)")
            }
            storage = TensorStorage(copying: UnsafeRawBufferPointer(start: view.data, count: byteCount))
        }
        do {
            return try Tensor(dtype: dtype, shape: shape, storage: storage)
        } catch {
            throw Failure(error.message)
        }
    }

    fileprivate static func attribute(_ pointer: UnsafePointer<tsr_attribute>) throws -> Attribute {
        try checkSize(pointer, MemoryLayout<tsr_attribute>.size, "tsr_attribute")
        let raw = VersionedStruct.read(pointer, into: tsr_attribute())
        let name = try string(raw.name, "attribute name")
        let value: Attribute.Value
        switch raw.kind {
        case TSR_ATTR_INT: value = .int(raw.i)
        case TSR_ATTR_FLOAT: value = .float(raw.f)
        case TSR_ATTR_STRING: value = .string(try string(raw.s, "attribute '\(name)' s"))
        case TSR_ATTR_INTS:
            guard raw.count == 0 || raw.ints != nil else { throw Failure("attribute '\(name)': ints is NULL") }
            value = .ints((0..<raw.count).map { raw.ints![$0] })
        case TSR_ATTR_FLOATS:
            guard raw.count == 0 || raw.floats != nil else { throw Failure("attribute '\(name)': floats is NULL") }
            value = .floats((0..<raw.count).map { raw.floats![$0] })
        default: throw Failure("attribute '\(name)' has unknown kind \(raw.kind)")
        }
        return Attribute(name: name, value: value)
    }

    fileprivate static func describe(_ value: ValueInfo, in handle: GraphHandle) -> tsr_value_info {
        var info = tsr_value_info()
        info.dtype = value.dtype.rawValue
        info.name = handle.lend(value.name)
        info.ndim = UInt32(value.shape.count)
        info.shape = handle.lend(value.shape.map(Int64.init))
        return info
    }

    fileprivate static func describe(_ attribute: Attribute, in handle: GraphHandle) -> tsr_attribute {
        var raw = tsr_attribute()
        raw.name = handle.lend(attribute.name)
        switch attribute.value {
        case .int(let value): raw.kind = TSR_ATTR_INT; raw.i = value
        case .float(let value): raw.kind = TSR_ATTR_FLOAT; raw.f = value
        case .string(let value): raw.kind = TSR_ATTR_STRING; raw.s = handle.lend(value)
        case .ints(let values): raw.kind = TSR_ATTR_INTS; raw.ints = handle.lend(values); raw.count = values.count
        case .floats(let values): raw.kind = TSR_ATTR_FLOATS; raw.floats = handle.lend(values); raw.count = values.count
        }
        return raw
    }

    fileprivate static func view(of tensor: Tensor, in handle: GraphHandle) -> tsr_tensor_view {
        var view = tsr_tensor_view()
        view.dtype = tensor.dtype.rawValue
        view.ndim = UInt32(tensor.shape.count)
        view.shape = handle.lend(tensor.shape.map(Int64.init))
        view.data = tensor.storage.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) }
        view.byte_size = UInt64(tensor.storage.byteCount)
        return view
    }
}

/// Holds a plugin's `tsr_release` and calls it exactly once: when the storage that adopted it
/// dies, or when the call that received it fails before any storage adopted it.
final class ReleaseOwner: @unchecked Sendable {
    private let release: tsr_release
    private let lock = NSLock()
    private var done = false

    init(_ release: tsr_release) { self.release = release }

    deinit { callOnce() }

    func callOnce() {
        let run = lock.withLock { () -> Bool in
            defer { done = true }
            return !done
        }
        if run { release.release?(release.context) }
    }
}

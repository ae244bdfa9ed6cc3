import HTTPTypes
import Hummingbird
import NIOCore
import TesseraEngine

/// The body of a successful infer call: JSON, with any outputs the client asked for in binary
/// appended after it (their sizes in `parameters.binary_data_size`).
///
/// The JSON is `{"model_name", "model_version", "id" (when the request had one), "outputs":
/// [{"name", "datatype", "shape", "parameters" (binary outputs), "data" (JSON outputs)}]}`,
/// written by hand: this runs on every request, where a generic encoder cost more than the
/// model.
enum InferenceResponse {
    /// Builds the HTTP response. `binary` names the outputs to send as binary data.
    static func response(model: String, version: Int, id: String?, outputs: [(name: String, tensor: Tensor)],
                         binary: Set<String>) throws -> Response {
        let (headers, body) = try encode(model: model, version: version, id: id, outputs: outputs, binary: binary)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    /// The response's headers and body bytes.
    static func encode(model: String, version: Int, id: String?, outputs: [(name: String, tensor: Tensor)],
                       binary: Set<String>) throws -> (HTTPFields, ByteBuffer) {
        // Room for the envelope and ~12 bytes per JSON element, so most answers never grow the buffer.
        let elements = outputs.reduce(0) { $0 + (binary.contains($1.name) ? 0 : $1.tensor.storage.byteCount / max($1.tensor.dtype.byteSize, 1)) }
        var json = JSONWriter(capacity: 128 + model.utf8.count + (id?.utf8.count ?? 0) + outputs.count * 96 + elements * 12)
        json.raw("{\"model_name\":")
        json.string(model)
        json.raw(",\"model_version\":\"")
        json.integer(version)
        json.raw("\"")
        if let id {
            json.raw(",\"id\":")
            json.string(id)
        }
        json.raw(",\"outputs\":[")
        for (index, (name, tensor)) in outputs.enumerated() {
            if index > 0 { json.raw(",") }
            json.raw("{\"name\":")
            json.string(name)
            json.raw(",\"datatype\":")
            json.string(tensor.dtype.name)
            json.raw(",\"shape\":[")
            for (axis, dimension) in tensor.shape.enumerated() {
                if axis > 0 { json.raw(",") }
                json.integer(dimension)
            }
            json.raw("]")
            if binary.contains(name) {
                json.raw(",\"parameters\":{\"binary_data_size\":")
                json.integer(tensor.storage.byteCount)
                json.raw("}}")
            } else {
                json.raw(",\"data\":[")
                writeElements(tensor, into: &json)
                json.raw("]}")
            }
        }
        json.raw("]}")

        var headers: HTTPFields = [:]
        var body = json.buffer
        if binary.isEmpty {
            headers[.contentType] = "application/json"
        } else {
            headers[.contentType] = "application/octet-stream"
            headers[.inferenceHeaderContentLength] = String(body.readableBytes)
            for (name, tensor) in outputs where binary.contains(name) { body.writeBytes(tensor.storage.bytes) }
        }
        return (headers, body)
    }

    /// A tensor's elements, row-major and flat, comma-separated.
    private static func writeElements(_ tensor: Tensor, into json: inout JSONWriter) {
        let bytes = tensor.storage.bytes
        func each<T>(_: T.Type, _ write: (inout JSONWriter, T) -> Void) {
            for (index, element) in bytes.bindMemory(to: T.self).enumerated() {
                if index > 0 { json.raw(",") }
                write(&json, element)
            }
        }
        switch tensor.dtype {
        case .fp32: each(Float.self) { $0.number($1) }
        case .fp64: each(Double.self) { $0.number($1) }
        case .fp16: each(Float16.self) { $0.number(Float($1)) }
        case .bf16: each(UInt16.self) { $0.number(BFloat16.float($1)) }
        case .int8: each(Int8.self) { $0.integer($1) }
        case .uint8: each(UInt8.self) { $0.integer($1) }
        case .int16: each(Int16.self) { $0.integer($1) }
        case .uint16: each(UInt16.self) { $0.integer($1) }
        case .int32: each(Int32.self) { $0.integer($1) }
        case .uint32: each(UInt32.self) { $0.integer($1) }
        case .int64: each(Int64.self) { $0.integer($1) }
        case .uint64: each(UInt64.self) { $0.integer($1) }
        case .bool: each(UInt8.self) { $0.bool($1 != 0) }
        }
    }
}

extension HTTPField.Name {
    /// The binary tensor data extension's header: how many bytes of the body are JSON.
    static let inferenceHeaderContentLength = HTTPField.Name("Inference-Header-Content-Length")!
}

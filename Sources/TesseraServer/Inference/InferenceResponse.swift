import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TesseraEngine

/// The body of a successful infer call: JSON, with any outputs the client asked for in binary
/// appended after it (their sizes in `parameters.binary_data_size`).
struct InferenceResponse: Encodable {
    let model_name: String
    let model_version: String
    let id: String?
    let outputs: [Output]

    struct Output: Encodable {
        let name: String
        let datatype: String
        let shape: [Int]
        let parameters: [String: ParameterValue]?
        /// Nil when the output travels as binary data.
        let tensor: Tensor?

        enum CodingKeys: String, CodingKey { case name, datatype, shape, parameters, data }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(datatype, forKey: .datatype)
            try container.encode(shape, forKey: .shape)
            try container.encodeIfPresent(parameters, forKey: .parameters)
            guard let tensor else { return }
            var data = container.nestedUnkeyedContainer(forKey: .data)
            try Self.encodeElements(tensor, into: &data)
        }

        private static func encodeElements(_ tensor: Tensor, into data: inout any UnkeyedEncodingContainer) throws {
            let bytes = tensor.storage.bytes
            switch tensor.dtype {
            case .fp32: try data.encode(contentsOf: bytes.bindMemory(to: Float.self))
            case .fp64: try data.encode(contentsOf: bytes.bindMemory(to: Double.self))
            case .fp16: try data.encode(contentsOf: bytes.bindMemory(to: Float16.self).lazy.map { Float($0) })
            case .bf16: try data.encode(contentsOf: bytes.bindMemory(to: UInt16.self).lazy.map(BFloat16.float))
            case .int8: try data.encode(contentsOf: bytes.bindMemory(to: Int8.self))
            case .uint8: try data.encode(contentsOf: bytes.bindMemory(to: UInt8.self))
            case .int16: try data.encode(contentsOf: bytes.bindMemory(to: Int16.self))
            case .uint16: try data.encode(contentsOf: bytes.bindMemory(to: UInt16.self))
            case .int32: try data.encode(contentsOf: bytes.bindMemory(to: Int32.self))
            case .uint32: try data.encode(contentsOf: bytes.bindMemory(to: UInt32.self))
            case .int64: try data.encode(contentsOf: bytes.bindMemory(to: Int64.self))
            case .uint64: try data.encode(contentsOf: bytes.bindMemory(to: UInt64.self))
            case .bool: try data.encode(contentsOf: bytes.bindMemory(to: UInt8.self).lazy.map { $0 != 0 })
            }
        }
    }

    /// Builds the HTTP response. `binary` names the outputs to send as binary data.
    static func response(model: String, version: Int, id: String?, outputs: [(name: String, tensor: Tensor)],
                         binary: Set<String>) throws -> Response {
        let (headers, body) = try encode(model: model, version: version, id: id, outputs: outputs, binary: binary)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    /// The response's headers and body bytes.
    static func encode(model: String, version: Int, id: String?, outputs: [(name: String, tensor: Tensor)],
                       binary: Set<String>) throws -> (HTTPFields, ByteBuffer) {
        var entries: [Output] = []
        var tail = ByteBuffer()
        for (name, tensor) in outputs {
            if binary.contains(name) {
                entries.append(Output(name: name, datatype: tensor.dtype.name, shape: tensor.shape,
                                      parameters: ["binary_data_size": .int(Int64(tensor.storage.byteCount))], tensor: nil))
                tail.writeBytes(tensor.storage.bytes)
            } else {
                entries.append(Output(name: name, datatype: tensor.dtype.name, shape: tensor.shape, parameters: nil, tensor: tensor))
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        // NaN and infinities have no JSON number; send them as the strings Python's json reads back.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let json = try encoder.encode(InferenceResponse(model_name: model, model_version: String(version), id: id, outputs: entries))
        var headers: HTTPFields = [:]
        var body = ByteBuffer(bytes: json)
        if binary.isEmpty {
            headers[.contentType] = "application/json"
        } else {
            headers[.contentType] = "application/octet-stream"
            headers[.inferenceHeaderContentLength] = String(json.count)
            body.writeBuffer(&tail)
        }
        return (headers, body)
    }
}

extension HTTPField.Name {
    /// The binary tensor data extension's header: how many bytes of the body are JSON.
    static let inferenceHeaderContentLength = HTTPField.Name("Inference-Header-Content-Length")!
}

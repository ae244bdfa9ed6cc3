import Foundation
import NIOCore
import TesseraEngine

/// Reads inference request bodies and writes responses: JSON tensors, and the binary tensor
/// data extension (a JSON header of `Inference-Header-Content-Length` bytes followed by the
/// raw tensors in the order the JSON lists them).
enum InferenceCodec {
    /// A decoded input: an engine tensor, or the strings of a BYTES tensor with its shape.
    enum Payload: Sendable {
        case tensor(Tensor)
        case strings([Data], shape: [Int])
    }

    /// The request and its inputs by name.
    static func decodeRequest(_ body: ByteBuffer, headerLength: Int?) throws -> (InferenceRequest, [String: Payload]) {
        let total = body.readableBytes
        let jsonLength = headerLength ?? total
        guard jsonLength >= 0, jsonLength <= total else {
            throw InferenceError.badRequest("Inference-Header-Content-Length is \(jsonLength) but the body has only \(total) bytes")
        }
        let request = try body.withUnsafeReadableBytes { bytes in
            try InferenceRequest(json: UnsafeRawBufferPointer(rebasing: bytes[..<jsonLength]))
        }
        guard !request.inputs.isEmpty else { throw InferenceError.badRequest("the request has no inputs") }
        var payloads: [String: Payload] = [:]
        var offset = jsonLength
        for input in request.inputs {
            guard payloads[input.name] == nil else {
                throw InferenceError.badRequest("input '\(input.name)' is given twice")
            }
            guard let type = InferenceDatatype(input.datatype) else {
                throw InferenceError.badRequest("input '\(input.name)' has datatype '\(input.datatype)'; the protocol's datatypes are "
                    + InferenceDatatype.names.joined(separator: ", "))
            }
            guard input.shape.allSatisfy({ $0 >= 0 }), let count = Tensor.elementCount(of: input.shape) else {
                throw InferenceError.badRequest("input '\(input.name)' has shape \(input.shape); dimensions must be 0 or more")
            }
            if let size = input.binaryDataSize {
                guard input.values == nil else {
                    throw InferenceError.badRequest("input '\(input.name)' has both 'data' and parameters.binary_data_size; give one")
                }
                guard headerLength != nil else {
                    throw InferenceError.badRequest("input '\(input.name)' has binary_data_size but the request has no "
                        + "Inference-Header-Content-Length header saying where the JSON ends")
                }
                guard size >= 0, size <= total - offset else {
                    throw InferenceError.badRequest("input '\(input.name)' has binary_data_size \(size) but only \(total - offset) bytes of binary data remain")
                }
                let bytes = body.getData(at: body.readerIndex + offset, length: size) ?? Data()
                offset += size
                payloads[input.name] = try binaryPayload(bytes, input: input, type: type, count: count)
            } else {
                guard let values = input.values else {
                    throw InferenceError.badRequest("input '\(input.name)' has no 'data' and no parameters.binary_data_size")
                }
                guard values.count == count else {
                    throw InferenceError.badRequest("input '\(input.name)' has shape \(input.shape) (\(count) elements) but 'data' holds \(values.count) values")
                }
                payloads[input.name] = try payload(values, input: input, type: type)
            }
        }
        guard offset == total else {
            throw InferenceError.badRequest("\(total - offset) bytes of binary data follow the inputs but no input claims them (check binary_data_size)")
        }
        return (request, payloads)
    }

    private static func payload(_ values: DecodedValues, input: InferenceRequest.Input, type: InferenceDatatype) throws -> Payload {
        switch (values, type) {
        case (.strings(let strings), _):
            return .strings(strings, shape: input.shape)
        case (.elements(let storage, _), .tensor(let dtype)):
            return .tensor(try tensor(storage, dtype: dtype, shape: input.shape, name: input.name))
        case (.elements, .bytes):
            throw InferenceError.badRequest("input '\(input.name)' is BYTES but its data are not strings")
        }
    }

    private static func binaryPayload(_ bytes: Data, input: InferenceRequest.Input, type: InferenceDatatype, count: Int) throws -> Payload {
        switch type {
        case .tensor(let dtype):
            guard bytes.count == count * dtype.byteSize else {
                throw InferenceError.badRequest("input '\(input.name)' has shape \(input.shape) of \(dtype), which needs "
                    + "\(count * dtype.byteSize) bytes, but binary_data_size is \(bytes.count)")
            }
            let storage = bytes.withUnsafeBytes { TensorStorage(copying: $0) }
            return .tensor(try tensor(storage, dtype: dtype, shape: input.shape, name: input.name))
        case .bytes:
            // Each element: a 4-byte little-endian length, then that many bytes.
            var strings: [Data] = []
            var index = bytes.startIndex
            while index < bytes.endIndex {
                guard bytes.endIndex - index >= 4 else {
                    throw InferenceError.badRequest("input '\(input.name)': BYTES element \(strings.count) has a truncated length prefix")
                }
                let length = bytes[index..<index + 4].reversed().reduce(0) { $0 << 8 | Int($1) }
                index += 4
                guard length <= bytes.endIndex - index else {
                    throw InferenceError.badRequest("input '\(input.name)': BYTES element \(strings.count) claims \(length) bytes but \(bytes.endIndex - index) remain")
                }
                strings.append(bytes[index..<index + length])
                index += length
            }
            guard strings.count == count else {
                throw InferenceError.badRequest("input '\(input.name)' has shape \(input.shape) (\(count) elements) but its binary data holds \(strings.count) strings")
            }
            return .strings(strings, shape: input.shape)
        }
    }

    private static func tensor(_ storage: TensorStorage, dtype: DType, shape: [Int], name: String) throws -> Tensor {
        do {
            return try Tensor(dtype: dtype, shape: shape, storage: storage)
        } catch {
            throw InferenceError.badRequest("input '\(name)': \(error.message)")
        }
    }
}

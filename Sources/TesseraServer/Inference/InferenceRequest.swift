import Foundation

/// The body of `POST /v2/models/{m}/infer` (Open Inference Protocol, REST): JSON, optionally
/// followed by binary tensor data (the binary tensor data extension).
struct InferenceRequest: Decodable, Sendable {
    var id: String?
    var parameters: [String: ParameterValue]?
    var inputs: [Input]
    var outputs: [RequestedOutput]?

    /// One input tensor. `values` is nil when its data follows the JSON in binary
    /// (`parameters.binary_data_size`).
    struct Input: Decodable, Sendable {
        var name: String
        var shape: [Int]
        var datatype: String
        var parameters: [String: ParameterValue]?
        var values: DecodedValues?

        enum CodingKeys: String, CodingKey { case name, shape, datatype, parameters, data }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            shape = try container.decode([Int].self, forKey: .shape)
            datatype = try container.decode(String.self, forKey: .datatype)
            parameters = try container.decodeIfPresent([String: ParameterValue].self, forKey: .parameters)
            guard container.contains(.data) else {
                values = nil
                return
            }
            // The element type decides how numbers are read (INT64 must not pass through
            // Double), so `data` is decoded here rather than by a Decodable of its own.
            guard let type = InferenceDatatype(datatype) else {
                throw InferenceError.badRequest("input '\(name)' has datatype '\(datatype)'; the protocol's datatypes are "
                    + InferenceDatatype.names.joined(separator: ", "))
            }
            var data = try container.nestedUnkeyedContainer(forKey: .data)
            do {
                values = try DecodedValues.decode(&data, as: type)
            } catch let error as DecodingError {
                throw InferenceError.badRequest("input '\(name)': 'data' must be a (nested) array of \(type) values: \(Self.describe(error))")
            }
        }

        private static func describe(_ error: DecodingError) -> String {
            switch error {
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
                context.debugDescription
            case .keyNotFound(let key, _): "missing \(key.stringValue)"
            @unknown default: "\(error)"
            }
        }

        /// Bytes of binary data that follow the JSON for this input, if any.
        var binaryDataSize: Int? { parameters?["binary_data_size"]?.intValue }
    }

    /// An output the client asked for, and whether it wants it as binary data.
    struct RequestedOutput: Decodable, Sendable {
        var name: String
        var parameters: [String: ParameterValue]?

        var wantsBinary: Bool? { parameters?["binary_data"]?.boolValue }
    }
}

/// A parameter value: the protocol allows booleans, numbers and strings.
enum ParameterValue: Codable, Sendable, Equatable {
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        }
    }

    var intValue: Int? {
        switch self {
        case .int(let value): Int(exactly: value)
        case .double(let value): Int(exactly: value)
        default: nil
        }
    }

    var boolValue: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }
}

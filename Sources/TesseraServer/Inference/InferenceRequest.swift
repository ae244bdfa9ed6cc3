import Foundation

/// The body of `POST /v2/models/{m}/infer` (Open Inference Protocol, REST): JSON, optionally
/// followed by binary tensor data (the binary tensor data extension).
struct InferenceRequest: Sendable {
    var id: String?
    var parameters: [String: ParameterValue]?
    var inputs: [Input]
    var outputs: [RequestedOutput]?

    /// One input tensor. `values` is nil when its data follows the JSON in binary
    /// (`parameters.binary_data_size`).
    struct Input: Sendable {
        var name: String
        var shape: [Int]
        var datatype: String
        var parameters: [String: ParameterValue]?
        var values: DecodedValues?

        /// Bytes of binary data that follow the JSON for this input, if any.
        var binaryDataSize: Int? { parameters?["binary_data_size"]?.intValue }
    }

    /// An output the client asked for, and whether it wants it as binary data.
    struct RequestedOutput: Sendable {
        var name: String
        var parameters: [String: ParameterValue]?

        var wantsBinary: Bool? { parameters?["binary_data"]?.boolValue }
    }
}

/// A parameter value: the protocol's booleans, numbers and strings, and any other JSON value
/// a client sends (kept, though no parameter Tessera reads takes one).
enum ParameterValue: Sendable, Equatable {
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case null
    case array([ParameterValue])
    case object([String: ParameterValue])

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

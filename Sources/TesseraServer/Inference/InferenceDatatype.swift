import TesseraEngine

/// An Open Inference Protocol datatype: one of the engine's element types, or `BYTES`
/// (length-prefixed strings, which only text models take).
enum InferenceDatatype: Equatable, Sendable, CustomStringConvertible {
    case tensor(DType)
    case bytes

    init?(_ name: String) {
        if name == "BYTES" {
            self = .bytes
        } else if let dtype = DType.allCases.first(where: { $0.name == name }) {   // exact: the protocol's names are upper case
            self = .tensor(dtype)
        } else {
            return nil
        }
    }

    var description: String {
        switch self {
        case .tensor(let dtype): dtype.name
        case .bytes: "BYTES"
        }
    }

    /// Whether JSON values of this type must be whole numbers.
    var isInteger: Bool {
        switch self {
        case .tensor(.fp32), .tensor(.fp64), .tensor(.fp16), .tensor(.bf16), .tensor(.bool), .bytes: false
        case .tensor: true
        }
    }

    /// Every name the protocol defines, for error messages.
    static let names = DType.allCases.map(\.name) + ["BYTES"]
}

import TesseraEngine

/// An Open Inference Protocol datatype: one of the engine's element types, or `BYTES`
/// (length-prefixed strings, which only text models take).
enum InferenceDatatype: Equatable, Sendable, CustomStringConvertible {
    case tensor(DType)
    case bytes

    init?(_ name: String) {
        if name == "BYTES" {
            self = .bytes
        } else if let dtype = DType(name: name), dtype.name == name {
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

    /// Every name the protocol defines, for error messages.
    static let names = DType.allCases.map(\.name) + ["BYTES"]
}

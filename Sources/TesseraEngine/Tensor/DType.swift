/// Element types. Raw values are the C ABI's `TSR_DTYPE_*` values and never change.
public enum DType: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case fp32 = 1, fp16 = 2, bf16 = 3, fp64 = 4
    case int8 = 5, uint8 = 6, int16 = 7, uint16 = 8, int32 = 9, uint32 = 10, int64 = 11, uint64 = 12
    case bool = 13

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .int8, .uint8, .bool: 1
        case .fp16, .bf16, .int16, .uint16: 2
        case .fp32, .int32, .uint32: 4
        case .fp64, .int64, .uint64: 8
        }
    }

    /// The Open Inference Protocol's name for the type (`FP32`, `INT64`, `BOOL`, …).
    public var name: String {
        switch self {
        case .fp32: "FP32"
        case .fp16: "FP16"
        case .bf16: "BF16"
        case .fp64: "FP64"
        case .int8: "INT8"
        case .uint8: "UINT8"
        case .int16: "INT16"
        case .uint16: "UINT16"
        case .int32: "INT32"
        case .uint32: "UINT32"
        case .int64: "INT64"
        case .uint64: "UINT64"
        case .bool: "BOOL"
        }
    }

    public var description: String { name }

    /// Looks a type up by its protocol name, case-insensitively.
    public init?(name: String) {
        guard let match = DType.allCases.first(where: { $0.name == name.uppercased() }) else { return nil }
        self = match
    }
}

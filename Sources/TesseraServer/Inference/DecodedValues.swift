import Foundation
import TesseraEngine

/// Tensor elements read from a JSON `data` array (flat or nested, row-major), already in the
/// element type's memory layout, or the strings of a BYTES tensor.
enum DecodedValues: Sendable {
    /// Packed elements; `count` of them.
    case elements(TensorStorage, count: Int)
    case strings([Data])

    var count: Int {
        switch self {
        case .elements(_, let count): count
        case .strings(let strings): strings.count
        }
    }

    /// Reads the `data` array at the reader's position as `type`'s values. The element type
    /// decides how numbers are read (INT64 never passes through Double); `expected`, when the
    /// shape is already known, sizes the storage up front.
    static func read(_ reader: inout JSONReader, as type: InferenceDatatype, input name: String, expected: Int?) throws -> DecodedValues {
        let values = Values(name: name, type: type)
        switch type {
        case .bytes:
            var strings: [Data] = []
            try flatten(&reader, into: &strings, values) { reader in
                guard try reader.peek() == .string else { throw values.wrong(reader) }
                return Data(try reader.readStringBytes())
            }
            return .strings(strings)
        case .tensor(let dtype):
            switch dtype {
            case .fp32: return try packed(&reader, values, expected) { try values.number(&$0) { $0.float($1) } }
            case .fp64: return try packed(&reader, values, expected) { try values.number(&$0) { $0.double($1) } }
            case .fp16:
                return try packed(&reader, values, expected) { reader in
                    try values.number(&reader) { $0.float($1).map { Float16($0) }.flatMap { $0.isFinite ? $0 : nil } }
                }
            case .bf16:
                return try packed(&reader, values, expected) { reader in
                    try values.number(&reader) { $0.float($1).map(BFloat16.bits).flatMap { BFloat16.float($0).isFinite ? $0 : nil } }
                }
            case .int8: return try packed(&reader, values, expected) { try values.number(&$0) { $0.integer($1, as: Int8.self) } }
            case .uint8: return try packed(&reader, values, expected) { try values.number(&$0) { $0.integer($1, as: UInt8.self) } }
            case .int16: return try packed(&reader, values, expected) { try values.number(&$0) { $0.integer($1, as: Int16.self) } }
            case .uint16: return try packed(&reader, values, expected) { try values.number(&$0) { $0.integer($1, as: UInt16.self) } }
            case .int32: return try packed(&reader, values, expected) { try values.number(&$0) { $0.integer($1, as: Int32.self) } }
            case .uint32: return try packed(&reader, values, expected) { try values.number(&$0) { $0.integer($1, as: UInt32.self) } }
            case .int64: return try packed(&reader, values, expected) { try values.number(&$0) { $0.integer($1, as: Int64.self) } }
            case .uint64: return try packed(&reader, values, expected) { try values.number(&$0) { $0.integer($1, as: UInt64.self) } }
            case .bool:
                return try packed(&reader, values, expected) { reader -> UInt8 in
                    guard try reader.peek() == .bool, let value = try reader.readLiteral() else { throw values.wrong(reader) }
                    return value ? 1 : 0
                }
            }
        }
    }

    /// The input a `data` array belongs to, for messages.
    private struct Values {
        let name: String
        let type: InferenceDatatype

        func wrong(_ reader: JSONReader) -> APIError {
            InferenceError.badRequest("input '\(name)': 'data' must be a (nested) array of \(type) values; found \(reader.found)")
        }

        /// Reads a number and converts it; a number the type cannot hold is refused.
        func number<T>(_ reader: inout JSONReader, _ convert: (JSONReader, JSONReader.Number) -> T?) throws -> T {
            guard try reader.peek() == .number else { throw wrong(reader) }
            let number = try reader.readNumber()
            guard let value = convert(reader, number) else {
                throw InferenceError.badRequest("input '\(name)': \(reader.text(number)) (at byte \(number.range.lowerBound)) "
                    + "cannot be stored as \(type); send numbers within its range\(type.isInteger ? ", without fractions" : "")")
            }
            return value
        }
    }

    private static func packed<T>(_ reader: inout JSONReader, _ context: Values, _ expected: Int?,
                                  _ element: (inout JSONReader) throws -> T) throws -> DecodedValues {
        var values: [T] = []
        values.reserveCapacity(min(expected ?? 16, reader.bytes.count / 2 + 1))
        try flatten(&reader, into: &values, context, element)
        let storage = values.withUnsafeBytes { TensorStorage(copying: $0) }
        return .elements(storage, count: values.count)
    }

    /// Appends the scalars of a possibly nested array in row-major order. Every element of
    /// one array must be of the same kind: all scalars or all arrays.
    private static func flatten<T>(_ reader: inout JSONReader, into values: inout [T], _ context: Values,
                                   _ element: (inout JSONReader) throws -> T) throws {
        guard try reader.peek() == .array else { throw context.wrong(reader) }
        try reader.enter()
        var first = true
        var index = 0
        var rows = false
        while try reader.nextElement(&first) {
            let isArray = try reader.peek() == .array
            if index == 0 {
                rows = isArray
            } else if isArray != rows {
                throw InferenceError.badRequest("input '\(context.name)': 'data' mixes values and arrays in one array (at byte \(reader.position)); "
                    + "nest every row the same way, or send it flat")
            }
            if isArray {
                try flatten(&reader, into: &values, context, element)
            } else {
                values.append(try element(&reader))
            }
            index += 1
        }
    }
}

/// bfloat16 as the raw top half of a float's bits, rounded to nearest even.
enum BFloat16 {
    static func bits(_ value: Float) -> UInt16 {
        if value.isNaN { return 0x7FC0 }
        let raw = value.bitPattern
        let rounding = 0x7FFF + ((raw >> 16) & 1)
        return UInt16(truncatingIfNeeded: (raw &+ rounding) >> 16)
    }

    static func float(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }
}

/// Errors the inference endpoints return, with the protocol's status codes.
enum InferenceError {
    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, message) }

    /// 503 with `Retry-After`, for a full queue or a version that is still loading.
    static func unavailable(_ message: String, retryAfter: Int = 1) -> APIError {
        var error = APIError(.serviceUnavailable, message)
        error.headers[.retryAfter] = String(retryAfter)
        return error
    }
}

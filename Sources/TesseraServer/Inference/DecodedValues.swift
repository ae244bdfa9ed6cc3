import Foundation
import TesseraEngine

/// Tensor elements read from a JSON `data` array (flat or nested, row-major), already in the
/// element type's memory layout, or the strings of a BYTES tensor.
enum DecodedValues: Sendable {
    /// Packed elements; `count` of them.
    case elements(Data, count: Int)
    case strings([Data])

    var count: Int {
        switch self {
        case .elements(_, let count): count
        case .strings(let strings): strings.count
        }
    }

    static func decode(_ container: inout any UnkeyedDecodingContainer, as type: InferenceDatatype) throws -> DecodedValues {
        switch type {
        case .bytes:
            var strings: [String] = []
            try flatten(&container, into: &strings)
            return .strings(strings.map { Data($0.utf8) })
        case .tensor(let dtype):
            switch dtype {
            case .fp32: return try packed(&container, Float.self)
            case .fp64: return try packed(&container, Double.self)
            case .fp16: return try packed(&container, Float.self) { $0.map { Float16($0) } }
            case .bf16: return try packed(&container, Float.self) { $0.map(BFloat16.bits) }
            case .int8: return try packed(&container, Int8.self)
            case .uint8: return try packed(&container, UInt8.self)
            case .int16: return try packed(&container, Int16.self)
            case .uint16: return try packed(&container, UInt16.self)
            case .int32: return try packed(&container, Int32.self)
            case .uint32: return try packed(&container, UInt32.self)
            case .int64: return try packed(&container, Int64.self)
            case .uint64: return try packed(&container, UInt64.self)
            case .bool: return try packed(&container, Bool.self) { $0.map { $0 ? UInt8(1) : 0 } }
            }
        }
    }

    private static func packed<T: Decodable>(_ container: inout any UnkeyedDecodingContainer, _: T.Type) throws -> DecodedValues {
        try packed(&container, T.self) { $0 }
    }

    private static func packed<T: Decodable, Stored>(_ container: inout any UnkeyedDecodingContainer, _: T.Type,
                                                     convert: ([T]) -> [Stored]) throws -> DecodedValues {
        var values: [T] = []
        if let count = container.count { values.reserveCapacity(count) }
        try flatten(&container, into: &values)
        let stored = convert(values)
        return .elements(stored.withUnsafeBytes { Data($0) }, count: stored.count)
    }

    /// Appends the scalars of a possibly nested array in row-major order. The first element of
    /// each array decides whether it holds scalars or arrays, so a failed attempt costs one
    /// error per row, not per element.
    private static func flatten<T: Decodable>(_ container: inout any UnkeyedDecodingContainer, into values: inout [T]) throws {
        guard !container.isAtEnd else { return }
        if let first = try? container.decode(T.self) {
            values.append(first)
            while !container.isAtEnd { values.append(try container.decode(T.self)) }
        } else {
            while !container.isAtEnd {
                var nested = try container.nestedUnkeyedContainer()
                try flatten(&nested, into: &values)
            }
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

/// A scalar passed to or returned from a foreign function. The case must match the
/// signature's type exactly: no implicit widening or conversion happens at the boundary.
///
/// Not `Sendable`, because `.pointer` may point at memory owned by the calling task.
public enum FFIValue: Equatable, CustomStringConvertible {
    case i8(Int8)
    case u8(UInt8)
    case i16(Int16)
    case u16(UInt16)
    case i32(Int32)
    case u32(UInt32)
    case i64(Int64)
    case u64(UInt64)
    case f32(Float)
    case f64(Double)
    case pointer(UnsafeMutableRawPointer?)
    /// What a `void` function returns; never valid as an argument.
    case void

    /// The signature type this value satisfies.
    public var kind: FFIType {
        switch self {
        case .i8: .i8
        case .u8: .u8
        case .i16: .i16
        case .u16: .u16
        case .i32: .i32
        case .u32: .u32
        case .i64: .i64
        case .u64: .u64
        case .f32: .f32
        case .f64: .f64
        case .pointer: .ptr
        case .void: .void
        }
    }

    public var description: String {
        switch self {
        case .i8(let value): "i8 \(value)"
        case .u8(let value): "u8 \(value)"
        case .i16(let value): "i16 \(value)"
        case .u16(let value): "u16 \(value)"
        case .i32(let value): "i32 \(value)"
        case .u32(let value): "u32 \(value)"
        case .i64(let value): "i64 \(value)"
        case .u64(let value): "u64 \(value)"
        case .f32(let value): "f32 \(value)"
        case .f64(let value): "f64 \(value)"
        case .pointer(let value): "ptr \(value.map { "\($0)" } ?? "NULL")"
        case .void: "void"
        }
    }
}

/// An argument to `ForeignFunction.call(_:)`; the same scalar kinds a call can return.
public typealias FFIArgument = FFIValue

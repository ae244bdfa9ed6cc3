import CLibFFI

/// How values sit in the buffers handed to `ffi_call`.
extension FFIValue {
    /// Bytes and alignment of one argument or return slot: enough for every scalar kind and
    /// for the full `ffi_arg` libffi writes for narrow integral returns.
    static let slotSize = max(MemoryLayout<ffi_arg>.size, MemoryLayout<UInt64>.size, MemoryLayout<Double>.size,
                              MemoryLayout<UnsafeRawPointer>.size)
    static let slotAlignment = max(MemoryLayout<ffi_arg>.alignment, MemoryLayout<UInt64>.alignment,
                                   MemoryLayout<Double>.alignment, MemoryLayout<UnsafeRawPointer>.alignment)

    /// Writes the value at `slot` with its exact C width: libffi reads arguments at their
    /// declared size, so no widening is needed on the way in.
    func store(at slot: UnsafeMutableRawPointer) {
        switch self {
        case .i8(let value): slot.storeBytes(of: value, as: Int8.self)
        case .u8(let value): slot.storeBytes(of: value, as: UInt8.self)
        case .i16(let value): slot.storeBytes(of: value, as: Int16.self)
        case .u16(let value): slot.storeBytes(of: value, as: UInt16.self)
        case .i32(let value): slot.storeBytes(of: value, as: Int32.self)
        case .u32(let value): slot.storeBytes(of: value, as: UInt32.self)
        case .i64(let value): slot.storeBytes(of: value, as: Int64.self)
        case .u64(let value): slot.storeBytes(of: value, as: UInt64.self)
        case .f32(let value): slot.storeBytes(of: value, as: Float.self)
        case .f64(let value): slot.storeBytes(of: value, as: Double.self)
        case .pointer(let value): slot.storeBytes(of: value, as: UnsafeMutableRawPointer?.self)
        case .void: break
        }
    }

    /// Reads a return value of `type` that `ffi_call` wrote at `slot`.
    static func load(_ type: FFIType, from slot: UnsafeRawPointer) -> FFIValue {
        switch type {
        case .void: .void
        case .i8: .i8(integer(from: slot))
        case .u8: .u8(integer(from: slot))
        case .i16: .i16(integer(from: slot))
        case .u16: .u16(integer(from: slot))
        case .i32: .i32(integer(from: slot))
        case .u32: .u32(integer(from: slot))
        case .i64: .i64(integer(from: slot))
        case .u64: .u64(integer(from: slot))
        case .f32: .f32(slot.load(as: Float.self))
        case .f64: .f64(slot.load(as: Double.self))
        case .ptr: .pointer(slot.load(as: UnsafeMutableRawPointer?.self))
        }
    }

    /// libffi returns integers narrower than `ffi_arg` widened to a whole `ffi_arg`, so the
    /// value is in its low-order bits, which are not the first bytes on big-endian machines.
    private static func integer<T: FixedWidthInteger>(from slot: UnsafeRawPointer) -> T {
        MemoryLayout<T>.size < MemoryLayout<ffi_arg>.size
            ? T(truncatingIfNeeded: slot.load(as: ffi_arg.self))
            : slot.load(as: T.self)
    }
}

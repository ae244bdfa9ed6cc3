import CLibFFI

extension FFIType {
    /// libffi's own descriptor for this type, reached through the shim because Swift 6
    /// rejects the mutable `ffi_type_*` globals; libffi never changes the scalar ones.
    var libffiType: UnsafeMutablePointer<ffi_type> {
        switch self {
        case .void: tsr_ffi_type_void()
        case .i8: tsr_ffi_type_sint8()
        case .u8: tsr_ffi_type_uint8()
        case .i16: tsr_ffi_type_sint16()
        case .u16: tsr_ffi_type_uint16()
        case .i32: tsr_ffi_type_sint32()
        case .u32: tsr_ffi_type_uint32()
        case .i64: tsr_ffi_type_sint64()
        case .u64: tsr_ffi_type_uint64()
        case .f32: tsr_ffi_type_float()
        case .f64: tsr_ffi_type_double()
        case .ptr: tsr_ffi_type_pointer()
        }
    }
}

/// A scalar C type a foreign function may take or return, spelled as in signature strings
/// (`"void(ptr,ptr,i64)"`): fixed-width integers, `float`, `double` and data pointers.
public enum FFIType: String, CaseIterable, Sendable, CustomStringConvertible {
    case void
    case i8, u8, i16, u16, i32, u32, i64, u64
    case f32, f64
    case ptr

    public var description: String { rawValue }

    /// The spellings a signature accepts, in the order error messages list them.
    static let validTypeList = allCases.map(\.rawValue).joined(separator: ", ")
}

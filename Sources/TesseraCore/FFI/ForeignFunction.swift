import CLibFFI

/// A C function whose type is known only at run time, called through libffi.
///
/// The call description (`ffi_cif`) is prepared once, here, and only read by each call, so
/// one instance may be called from any number of threads at once. The caller keeps the
/// code alive: a library the function came from must stay loaded while this object is used.
public final class ForeignFunction: Sendable {
    /// The C type the function was declared with.
    public let signature: FFISignature
    /// The symbol it was resolved from, if any; error messages use it.
    public let name: String?

    // Raw pointers are not Sendable; these are written only in init and freed in deinit,
    // and ffi_call treats the cif and type array as read-only.
    nonisolated(unsafe) private let address: UnsafeRawPointer
    nonisolated(unsafe) private let cif: UnsafeMutablePointer<ffi_cif>
    // The cif points into this array, so it must live exactly as long as the cif.
    nonisolated(unsafe) private let argumentTypes: UnsafeMutablePointer<UnsafeMutablePointer<ffi_type>?>

    /// Prepares calls of the function at `address` (e.g. from `dlsym`) with `signature`.
    /// `name` only labels error messages.
    public init(address: UnsafeRawPointer, signature: FFISignature, name: String? = nil) throws(FFIError) {
        let count = signature.argumentTypes.count
        let types = UnsafeMutablePointer<UnsafeMutablePointer<ffi_type>?>.allocate(capacity: max(count, 1))
        for (index, type) in signature.argumentTypes.enumerated() {
            (types + index).initialize(to: type.libffiType)
        }
        let cif = UnsafeMutablePointer<ffi_cif>.allocate(capacity: 1)
        cif.initialize(to: ffi_cif())
        let status = ffi_prep_cif(cif, tsr_ffi_default_abi(), UInt32(count), signature.returnType.libffiType, types)
        guard status == FFI_OK else {
            cif.deallocate()
            types.deallocate()
            throw FFIError(.prepareFailed,
                "libffi cannot prepare calls of \(Self.label(name, signature)): ffi_prep_cif returned status \(status.rawValue)")
        }
        self.signature = signature
        self.name = name
        self.address = address
        self.cif = cif
        self.argumentTypes = types
    }

    deinit {
        cif.deinitialize(count: 1)
        cif.deallocate()
        argumentTypes.deallocate()
    }

    /// Calls the function. Each argument's kind must match the signature exactly; the result
    /// has the signature's return kind (`.void` for void functions).
    @discardableResult
    public func call(_ arguments: [FFIArgument]) throws(FFIError) -> FFIValue {
        try check(arguments)
        let slot = FFIValue.slotSize
        // Slot 0 receives the return value, slots 1... hold the arguments.
        return withUnsafeTemporaryAllocation(byteCount: slot * (arguments.count + 1),
                                             alignment: FFIValue.slotAlignment) { storage in
            withUnsafeTemporaryAllocation(of: UnsafeMutableRawPointer?.self, capacity: max(arguments.count, 1)) { pointers in
                let base = storage.baseAddress!
                for (index, argument) in arguments.enumerated() {
                    let argumentSlot = base + slot * (index + 1)
                    argument.store(at: argumentSlot)
                    pointers[index] = argumentSlot
                }
                let function = unsafeBitCast(address, to: (@convention(c) () -> Void).self)
                ffi_call(cif, function, base, pointers.baseAddress)
                return FFIValue.load(signature.returnType, from: base)
            }
        }
    }

    private func check(_ arguments: [FFIArgument]) throws(FFIError) {
        let expected = signature.argumentTypes
        guard arguments.count == expected.count else {
            throw FFIError(.argumentCount,
                "\(Self.label(name, signature)) takes \(Self.count(expected.count, "argument")), but \(arguments.count) \(arguments.count == 1 ? "was" : "were") given")
        }
        for (index, (argument, type)) in zip(arguments, expected).enumerated() where argument.kind != type {
            throw FFIError(.argumentType,
                "argument \(index + 1) of \(Self.label(name, signature)) must be \(type), but \(argument) was given")
        }
    }

    private static func label(_ name: String?, _ signature: FFISignature) -> String {
        name.map { "'\($0)' (\(signature))" } ?? "function '\(signature)'"
    }

    private static func count(_ number: Int, _ noun: String) -> String {
        "\(number) \(noun)\(number == 1 ? "" : "s")"
    }
}

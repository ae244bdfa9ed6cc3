import Foundation

extension ForeignFunction {
    /// Looks up `symbol` in a library opened with `dlopen` and prepares calls of it with the
    /// signature string `signature` (see `FFISignature`). The library must stay open while
    /// the function is used.
    public convenience init(library handle: UnsafeMutableRawPointer, symbol: String, signature: String) throws(FFIError) {
        let parsed: FFISignature
        do {
            parsed = try FFISignature(parsing: signature)
        } catch {
            throw FFIError(error.code, "signature of '\(symbol)': \(error.message)")
        }
        // dlsym reports failure only through dlerror, which may still hold an older error.
        _ = dlerror()
        guard let address = dlsym(handle, symbol) else {
            let reason = dlerror().map { String(cString: $0) } ?? "dlsym returned NULL"
            throw FFIError(.symbolNotFound,
                "symbol '\(symbol)' not found in the library (\(reason)); it must be exported under exactly this name, e.g. with __attribute__((visibility(\"default\")))")
        }
        try self.init(address: UnsafeRawPointer(address), signature: parsed, name: symbol)
    }
}

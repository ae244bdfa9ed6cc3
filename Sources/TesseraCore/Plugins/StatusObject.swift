import Foundation
import TesseraSDK

/// The host's implementation of the opaque `tsr_status`: a retained object whose address is
/// the handle. Created by `status_create`, freed by `status_release` or when the host reads a
/// status a plugin returned.
final class StatusObject {
    let code: tsr_status_code
    let message: UnsafeMutablePointer<CChar>

    init(code: tsr_status_code, message: String) {
        self.code = code
        self.message = strdup(message)
    }

    deinit { free(message) }

    /// A new status handle owning one reference.
    static func make(code: tsr_status_code, message: String) -> OpaquePointer {
        OpaquePointer(Unmanaged.passRetained(StatusObject(code: code, message: message)).toOpaque())
    }

    /// The object behind a handle, without changing ownership.
    static func peek(_ handle: OpaquePointer) -> StatusObject {
        Unmanaged<StatusObject>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    /// Reads a status a plugin returned and frees it; nil for success.
    static func consume(_ handle: OpaquePointer?) -> (code: tsr_status_code, message: String)? {
        guard let handle else { return nil }
        let object = Unmanaged<StatusObject>.fromOpaque(UnsafeRawPointer(handle)).takeRetainedValue()
        return (object.code, String(cString: object.message))
    }

    /// A readable name for a status code, for messages.
    static func name(of code: tsr_status_code) -> String {
        switch code {
        case TSR_ERR_INVALID_ARGUMENT: "invalid argument"
        case TSR_ERR_NOT_FOUND: "not found"
        case TSR_ERR_UNSUPPORTED: "unsupported"
        case TSR_ERR_IO: "I/O error"
        case TSR_ERR_OUT_OF_MEMORY: "out of memory"
        case TSR_ERR_FAILED_PRECONDITION: "failed precondition"
        case TSR_ERR_INVALID_SETTING: "invalid setting"
        case TSR_ERR_INTERNAL: "internal error"
        case TSR_ERR_CORRUPT_DATA: "corrupt data"
        default: "error \(code)"
        }
    }
}

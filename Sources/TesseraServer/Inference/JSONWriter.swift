import NIOCore

/// Writes JSON straight into a `ByteBuffer`, for inference responses: the caller lays out the
/// structure, this gets each scalar right.
///
/// Floating-point numbers are written in their shortest form that reads back to the same
/// value (Swift's `description`), without a trailing `.0`; NaN and the infinities, which JSON
/// has no number for, as the strings Python's `json` reads back ("NaN", "Infinity",
/// "-Infinity").
struct JSONWriter {
    var buffer: ByteBuffer

    init(capacity: Int) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    /// Structural text: braces, brackets, commas, and keys that need no escaping.
    mutating func raw(_ text: StaticString) {
        buffer.writeStaticString(text)
    }

    mutating func string(_ text: String) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var clean = true
        for byte in text.utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            clean = false
            break
        }
        if clean {
            buffer.writeString(text)
        } else {
            for byte in text.utf8 { escape(byte) }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    private mutating func escape(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
        case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
        case 0x0A: buffer.writeStaticString("\\n")
        case 0x0D: buffer.writeStaticString("\\r")
        case 0x09: buffer.writeStaticString("\\t")
        case 0x08: buffer.writeStaticString("\\b")
        case 0x0C: buffer.writeStaticString("\\f")
        case ..<0x20:
            let hex: StaticString = "0123456789abcdef"
            buffer.writeStaticString("\\u00")
            buffer.writeInteger(hex.utf8Start[Int(byte >> 4)])
            buffer.writeInteger(hex.utf8Start[Int(byte & 0xF)])
        default: buffer.writeInteger(byte)
        }
    }

    mutating func integer<T: FixedWidthInteger>(_ value: T) {
        // Digits of the magnitude, last first, in a 20-byte stack buffer (UInt64.max has 20).
        var magnitude = value.magnitude
        _ = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 21) { digits in
            var index = digits.count
            repeat {
                index -= 1
                digits[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude != 0
            if value < 0 {
                index -= 1
                digits[index] = UInt8(ascii: "-")
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(digits)[index...]))
        }
    }

    mutating func bool(_ value: Bool) {
        if value {
            buffer.writeStaticString("true")
        } else {
            buffer.writeStaticString("false")
        }
    }

    mutating func number<F: BinaryFloatingPoint & CustomStringConvertible>(_ value: F) {
        guard value.isFinite else {
            if value.isNaN {
                buffer.writeStaticString("\"NaN\"")
            } else {
                buffer.writeStaticString(value < 0 ? "\"-Infinity\"" : "\"Infinity\"")
            }
            return
        }
        var text = value.description
        text.withUTF8 { bytes in
            // "1.0" is written "1", as JSONEncoder does; readers get the same value. Not "-0.0",
            // whose sign only the fraction keeps for readers that take "-0" as the integer 0.
            var count = bytes.count
            if count > 2, bytes[count - 2] == UInt8(ascii: "."), bytes[count - 1] == UInt8(ascii: "0"),
               value != 0 || value.sign == .plus {
                count -= 2
            }
            buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[..<count])))
        }
    }
}

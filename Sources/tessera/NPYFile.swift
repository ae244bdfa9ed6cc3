import Foundation
import TesseraEngine

/// Reads NumPy's .npy format (version 1–3): magic, a Python-dict header giving `descr`,
/// `fortran_order` and `shape`, then the raw little-endian elements in C order.
enum NPYFile {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let types: [String: DType] = [
        "<f4": .fp32, "<f8": .fp64, "<f2": .fp16, "<i8": .int64, "<i4": .int32, "<i2": .int16, "|i1": .int8,
        "<u8": .uint64, "<u4": .uint32, "<u2": .uint16, "|u1": .uint8, "|b1": .bool,
    ]

    static func read(_ url: URL) throws -> Tensor {
        let data = try Data(contentsOf: url)
        func fail(_ message: String) -> Failure { Failure(description: "\(url.path) is not a .npy file NumPy wrote: \(message)") }
        guard data.count >= 10, data.prefix(6) == Data([0x93] + Array("NUMPY".utf8)) else { throw fail("no \\x93NUMPY magic") }
        let major = data[data.startIndex + 6]
        let lengthBytes = major == 1 ? 2 : 4
        guard (1...3).contains(major), data.count >= 8 + lengthBytes else { throw fail("unknown version \(major)") }
        let headerLength = data[(data.startIndex + 8)..<(data.startIndex + 8 + lengthBytes)].reversed().reduce(0) { $0 << 8 | Int($1) }
        let start = 8 + lengthBytes
        guard data.count >= start + headerLength else { throw fail("the header is truncated") }
        let header = String(decoding: data[(data.startIndex + start)..<(data.startIndex + start + headerLength)], as: UTF8.self)
        guard let descr = value(of: "descr", in: header)?.trimmingCharacters(in: CharacterSet(charactersIn: "'\"")) else {
            throw fail("no descr in the header")
        }
        guard let dtype = types[descr] else {
            throw fail("element type '\(descr)' is not supported (use one of \(types.keys.sorted().joined(separator: ", ")))")
        }
        guard value(of: "fortran_order", in: header) == "False" else { throw fail("Fortran order is not supported; save with np.ascontiguousarray") }
        guard let shapeText = value(of: "shape", in: header) else { throw fail("no shape in the header") }
        let shape = try shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() ")).split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .map { guard let dim = Int($0), dim >= 0 else { throw fail("bad shape \(shapeText)") }; return dim }
        let payload = data[(data.startIndex + start + headerLength)...]
        guard let count = Tensor.elementCount(of: shape), payload.count == count * dtype.byteSize else {
            throw fail("shape \(shape) of \(descr) needs \((Tensor.elementCount(of: shape) ?? 0) * dtype.byteSize) bytes but \(payload.count) follow the header")
        }
        return try Tensor(dtype: dtype, shape: shape, storage: payload.withUnsafeBytes { TensorStorage(copying: $0) })
    }

    /// The text after `'key':` up to the next top-level comma (a tuple counts as one value).
    private static func value(of key: String, in header: String) -> String? {
        guard let range = header.range(of: "'\(key)':") else { return nil }
        var depth = 0
        var result = ""
        for character in header[range.upperBound...] {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if (character == "," && depth == 0) || character == "}" { break }
            result.append(character)
        }
        return result.trimmingCharacters(in: .whitespaces)
    }
}

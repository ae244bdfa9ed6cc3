import CTesseraHash
import Foundation

/// SHA-256 digests as lower-case hex, computed by the C implementation in CTesseraHash.
public enum SHA256 {
    /// The digest of `bytes`.
    public static func hex<Bytes: Sequence>(of bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var context = tsh_sha256()
        tsh_sha256_init(&context)
        let array = Array(bytes)
        array.withUnsafeBytes { tsh_sha256_update(&context, $0.baseAddress, $0.count) }
        return finish(&context)
    }

    /// The digest of the file at `path`, read in 1 MiB chunks.
    public static func hex(ofFileAt path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        var context = tsh_sha256()
        tsh_sha256_init(&context)
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { tsh_sha256_update(&context, $0.baseAddress, $0.count) }
        }
        return finish(&context)
    }

    private static func finish(_ context: inout tsh_sha256) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        digest.withUnsafeMutableBufferPointer { tsh_sha256_final(&context, $0.baseAddress) }
        return digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

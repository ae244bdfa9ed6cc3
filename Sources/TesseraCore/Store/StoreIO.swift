import CTesseraHash
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin wrappers over the POSIX calls the store needs: file descriptors, EINTR retries,
/// directory fsync, and a streaming SHA-256. The store talks to the kernel directly because it
/// needs exact control over O_EXCL, fsync order and errno (Foundation hides all three).
enum StoreIO {
    /// Bytes read or written per system call (and per progress report while copying).
    static let chunkSize = 1 << 20

    /// The kinds of directory entries the store tells apart.
    enum Kind: Equatable {
        case regular, directory, symlink, other(String)
    }

    static func kind(_ mode: mode_t) -> Kind {
        switch mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        case S_IFIFO: return .other("a FIFO")
        case S_IFSOCK: return .other("a socket")
        case S_IFCHR, S_IFBLK: return .other("a device")
        default: return .other("not a regular file")
        }
    }

    /// `lstat(2)`: the entry itself, not what a symbolic link points at. Nil (errno set) on failure.
    static func entryInfo(_ path: String) -> stat? {
        var info = stat()
        return lstat(path, &info) == 0 ? info : nil
    }

    /// `stat(2)`: follows symbolic links. Nil (errno set) on failure.
    static func targetInfo(_ path: String) -> stat? {
        var info = stat()
        return stat(path, &info) == 0 ? info : nil
    }

    /// `open(2)`, retried on EINTR. Returns -1 with errno set on failure.
    static func openFile(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Int32 {
        while true {
            let fd = open(path, flags, mode)
            if fd >= 0 || errno != EINTR { return fd }
        }
    }

    /// `read(2)` into `buffer`, retried on EINTR: the byte count, 0 at end of file, -1 with errno set.
    static func readSome(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count >= 0 || errno != EINTR { return count }
        }
    }

    /// Writes all of `bytes`, retrying short writes and EINTR. Returns 0, or the errno of the failure.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if written == 0 { return EIO }
            offset += written
        }
        return 0
    }

    /// `fsync(2)`, retried on EINTR. Returns 0, or the errno of the failure.
    static func syncFile(_ fd: Int32) -> Int32 {
        while fsync(fd) != 0 {
            if errno != EINTR { return errno }
        }
        return 0
    }

    /// Makes the entries of the folder at `path` durable (after creating, renaming or removing
    /// something in it).
    static func syncDirectory(_ path: String, outcome: String) throws {
        let fd = openFile(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.system(errno, "opening the folder \(path) to sync it", outcome: outcome) }
        defer { _ = close(fd) }
        let failure = syncFile(fd)
        guard failure == 0 else { throw StoreError.system(failure, "syncing the folder \(path)", outcome: outcome) }
    }

    static func closeFile(_ fd: Int32) -> Int32 {
        close(fd) == 0 ? 0 : errno
    }

    static func removeFile(_ path: String) {
        _ = unlink(path)
    }

    /// The canonical absolute path of `path` with every symbolic link resolved, or nil if it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The names in the folder at `path` (without "." and ".."); throws with errno on failure.
    static func entries(of path: String, outcome: String) throws -> [String] {
        guard let stream = opendir(path) else {
            throw StoreError.system(errno, "listing the folder \(path)", outcome: outcome)
        }
        defer { closedir(stream) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw StoreError.system(errno, "listing the folder \(path)", outcome: outcome) }
                return names
            }
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }

    /// A 1 MiB scratch buffer for copying; the caller deallocates it.
    static func allocateChunk() -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
    }

    /// Sorts paths by their UTF-8 bytes: the same order on every machine and in every locale.
    static func utf8Precedes(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }

    /// Whether `text` is a digest as the store names objects: 64 lower-case hex characters.
    static func isDigest(_ text: Substring) -> Bool {
        text.utf8.count == 64 && isLowerHex(text)
    }

    static func isLowerHex(_ text: Substring) -> Bool {
        text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }
}

/// SHA-256 fed in pieces, for hashing a file while it is copied (so it is read only once).
struct StreamingSHA256 {
    private var context = tsh_sha256()

    init() { tsh_sha256_init(&context) }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        tsh_sha256_update(&context, bytes.baseAddress, bytes.count)
    }

    /// The digest as 64 lower-case hex characters.
    mutating func finish() -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        digest.withUnsafeMutableBufferPointer { tsh_sha256_final(&context, $0.baseAddress) }
        let hex = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(64)
        for byte in digest {
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

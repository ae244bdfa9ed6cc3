import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An advisory reader/writer lock on a file (`<store>/lock`) with `flock(2)`, shared between
/// processes: the daemon, `tessera` commands, and any other process opening the same store.
///
/// - `withShared` is for writers that add objects and then commit a registry row that refers to
///   them: many may run at once, and garbage collection cannot run in between, so an object
///   cannot be deleted after it was written (or found already present) and before the row that
///   keeps it alive is committed.
/// - `withExclusive` is for garbage collection: it waits until no shared holder is left.
///
/// Nesting rule (within one process): the lock is tracked per thread. On a thread that already
/// holds the lock, `withShared` inside either mode and `withExclusive` inside `withExclusive`
/// simply run their body (the outer scope already covers them). `withExclusive` inside
/// `withShared` on the same thread would wait for itself forever, so it throws
/// `StoreError.Code.lockMisuse` instead. Different threads (and tasks) of one process contend
/// like separate processes. Bodies are synchronous; do not start work that outlives the body and
/// relies on the lock. Acquiring blocks the calling thread, so call from a thread that may block
/// (not from code that must stay responsive).
public struct StoreLock: Sendable {
    /// The lock file.
    public let path: String

    public init(path: String) {
        self.path = path
    }

    enum Mode: Sendable { case shared, exclusive }

    /// Runs `body` while holding the lock in shared mode, waiting for an exclusive holder to finish.
    public func withShared<T>(_ body: () throws -> T) throws -> T {
        try locked(.shared, wait: true, body)!
    }

    /// Runs `body` while holding the lock exclusively, waiting for every other holder to finish.
    public func withExclusive<T>(_ body: () throws -> T) throws -> T {
        try locked(.exclusive, wait: true, body)!
    }

    /// Runs `body` holding the lock exclusively if that is possible right now; nil (and `body`
    /// not run) if someone else holds it, or this thread holds it in shared mode.
    func ifExclusiveAvailable<T>(_ body: () throws -> T) throws -> T? {
        try locked(.exclusive, wait: false, body)
    }

    private func locked<T>(_ mode: Mode, wait: Bool, _ body: () throws -> T) throws -> T? {
        var fd = StoreIO.openFile(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 && (errno == EACCES || errno == EROFS) {
            // A store someone else owns: reading it (verify) still takes part in the locking.
            fd = StoreIO.openFile(path, O_RDONLY | O_CLOEXEC, 0)
        }
        guard fd >= 0 else {
            throw StoreError.system(errno, "opening the store lock \(path)", outcome: "nothing was changed")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let failure = errno
            _ = close(fd)
            throw StoreError.system(failure, "reading the store lock \(path)", outcome: "nothing was changed")
        }
        let key = HeldLock(thread: currentThread(), device: UInt64(truncatingIfNeeded: info.st_dev),
                           inode: UInt64(truncatingIfNeeded: info.st_ino))

        if let outer = heldLocks.withLock({ $0[key] }) {
            // This thread already holds the lock: the outer scope covers this one.
            _ = close(fd)
            if mode == .exclusive && outer == .shared {
                guard wait else { return nil }
                throw StoreError(.lockMisuse, "withExclusive was called while this thread holds the shared store lock "
                    + "\(path); that would wait for itself forever. Leave the withShared scope first (see StoreLock's nesting rule)")
            }
            return try body()
        }

        var operation = mode == .shared ? LOCK_SH : LOCK_EX
        if !wait { operation |= LOCK_NB }
        while flock(fd, operation) != 0 {
            let failure = errno
            if failure == EINTR { continue }
            _ = close(fd)
            if failure == EWOULDBLOCK && !wait { return nil }
            throw StoreError.system(failure, "locking the store lock \(path)", outcome: "nothing was changed")
        }
        heldLocks.withLock { $0[key] = mode }
        defer {
            heldLocks.withLock { _ = $0.removeValue(forKey: key) }
            _ = flock(fd, LOCK_UN)
            _ = close(fd)
        }
        return try body()
    }
}

/// A lock file (by device and inode, so two spellings of one path are the same lock) held by a thread.
private struct HeldLock: Hashable {
    let thread: UInt
    let device: UInt64
    let inode: UInt64
}

/// The store locks each thread of this process holds, and in which mode.
private let heldLocks = Mutex<[HeldLock: StoreLock.Mode]>([:])

private func currentThread() -> UInt {
    #if canImport(Darwin)
    UInt(bitPattern: pthread_self())
    #else
    UInt(pthread_self())
    #endif
}

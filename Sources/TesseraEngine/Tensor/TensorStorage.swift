/// The bytes behind a tensor: memory the engine allocated, or memory lent by someone else
/// (a plugin's mmap of a weights file) together with the callback that gives it back.
///
/// Immutable once made; shared between tensors. `@unchecked Sendable` because the bytes are
/// never written after construction, except by the engine into storage it has just
/// allocated and not yet shared (the executor's outputs).
public final class TensorStorage: @unchecked Sendable {
    public let baseAddress: UnsafeRawPointer?
    public let byteCount: Int
    /// Runs when the storage dies: frees memory the engine allocated, or gives lent memory back.
    private let release: (@Sendable () -> Void)?
    private let owned: Bool

    /// Allocates `byteCount` zeroed bytes owned by this storage.
    public init(zeroedByteCount byteCount: Int) {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: max(byteCount, 1))
        baseAddress = UnsafeRawPointer(memory)
        self.byteCount = byteCount
        owned = true
        release = nil
    }

    /// Copies `bytes` into new storage.
    public convenience init(copying bytes: UnsafeRawBufferPointer) {
        self.init(zeroedByteCount: bytes.count)
        if let source = bytes.baseAddress, bytes.count > 0 {
            UnsafeMutableRawPointer(mutating: baseAddress!).copyMemory(from: source, byteCount: bytes.count)
        }
    }

    /// Borrows memory owned elsewhere; `release` runs exactly once when the storage dies.
    public init(borrowing address: UnsafeRawPointer?, byteCount: Int, release: @escaping @Sendable () -> Void) {
        baseAddress = address
        self.byteCount = byteCount
        self.release = release
        owned = false
    }

    deinit {
        if owned { UnsafeMutableRawPointer(mutating: baseAddress)?.deallocate() }
        release?()
    }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: baseAddress, count: byteCount) }
}

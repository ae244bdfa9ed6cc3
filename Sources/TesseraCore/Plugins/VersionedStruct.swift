/// Helpers for structs that start with `uint32_t struct_size` and grow only at the end.
/// The two sides of the ABI may have been compiled with different header versions, so
/// neither may read or write past the size the other declared.
enum VersionedStruct {
    /// Copies `min(struct_size, sizeof(T))` bytes of the other side's struct into a zeroed `T`.
    static func read<T>(_ pointer: UnsafePointer<T>, into empty: T) -> T {
        var value = empty
        let declared = Int(UnsafeRawPointer(pointer).load(as: UInt32.self))
        let count = min(declared, MemoryLayout<T>.size)
        withUnsafeMutableBytes(of: &value) { target in
            target.copyMemory(from: UnsafeRawBufferPointer(start: UnsafeRawPointer(pointer), count: count))
        }
        return value
    }

    /// Writes `value` into a struct whose `struct_size` the other side set, never past it,
    /// and leaves that `struct_size` as it was.
    static func write<T>(_ value: T, to pointer: UnsafeMutablePointer<T>) {
        let raw = UnsafeMutableRawPointer(pointer)
        let declared = Int(raw.load(as: UInt32.self))
        let count = min(declared, MemoryLayout<T>.size)
        guard count > 4 else { return }
        withUnsafeBytes(of: value) { source in
            (raw + 4).copyMemory(from: source.baseAddress! + 4, byteCount: count - 4)
        }
    }

    /// Reads `count` elements of an array the other side laid out with its own sizeof: the
    /// first element's struct_size is the stride (tessera/abi.h).
    static func readArray<T>(_ base: UnsafePointer<T>, count: Int, into empty: T) -> [T] {
        guard count > 0 else { return [] }
        let stride = max(declaredSize(base), 4)
        return (0..<count).map { index in
            read((UnsafeRawPointer(base) + index * stride).assumingMemoryBound(to: T.self), into: empty)
        }
    }

    /// The address of element `index` of such an array.
    static func element<T>(_ base: UnsafePointer<T>, _ index: Int) -> UnsafePointer<T> {
        let stride = max(declaredSize(base), 4)
        return (UnsafeRawPointer(base) + index * stride).assumingMemoryBound(to: T.self)
    }

    /// The declared size of the struct at `pointer`.
    static func declaredSize(_ pointer: UnsafeRawPointer) -> Int {
        Int(pointer.load(as: UInt32.self))
    }
}

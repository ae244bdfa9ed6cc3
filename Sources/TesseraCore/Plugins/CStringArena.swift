import Foundation

/// C strings and arrays that must outlive one call into a plugin and die right after it.
final class CStringArena {
    private var blocks: [UnsafeMutableRawPointer] = []

    deinit { blocks.forEach { free($0) } }

    /// A NUL-terminated copy of `string`, or NULL for nil.
    func string(_ string: String?) -> UnsafePointer<CChar>? {
        guard let string, let copy = strdup(string) else { return nil }
        blocks.append(UnsafeMutableRawPointer(copy))
        return UnsafePointer(copy)
    }

    /// A copy of `values` in malloc'ed memory.
    func array<T>(_ values: [T]) -> UnsafePointer<T> {
        let raw = malloc(MemoryLayout<T>.stride * max(values.count, 1))!
        blocks.append(raw)
        let typed = raw.bindMemory(to: T.self, capacity: max(values.count, 1))
        typed.initialize(from: values, count: values.count)
        return UnsafePointer(typed)
    }
}

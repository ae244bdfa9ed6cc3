import Foundation
public import TesseraEngine

/// The host object behind a `tsr_graph*`: an engine graph plus the C strings and arrays
/// handed out by the read functions, which stay valid until the graph is next modified.
///
/// `@unchecked Sendable`: the ABI guarantees one call at a time per graph
/// ([instance-serialized]), and the host never shares a graph it has lent to a plugin.
public final class GraphHandle: @unchecked Sendable {
    public private(set) var graph: Graph
    private var lent: [UnsafeMutableRawPointer] = []

    public init(_ graph: Graph = Graph()) {
        self.graph = graph
    }

    deinit { forgetLent() }

    var opaque: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ pointer: OpaquePointer) -> GraphHandle {
        Unmanaged<GraphHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }

    /// Changes the graph; everything lent before becomes invalid, as the ABI says.
    func modify<T>(_ change: (inout Graph) throws -> T) rethrows -> T {
        forgetLent()
        return try change(&graph)
    }

    /// A C string valid until the next modification.
    func lend(_ string: String) -> UnsafePointer<CChar> {
        let copy = strdup(string)!
        lent.append(UnsafeMutableRawPointer(copy))
        return UnsafePointer(copy)
    }

    /// An array of C strings valid until the next modification.
    func lend(_ strings: [String]) -> UnsafePointer<UnsafePointer<CChar>?> {
        let array = allocate(UnsafePointer<CChar>?.self, count: strings.count)
        for (index, string) in strings.enumerated() { array[index] = lend(string) }
        return UnsafePointer(array)
    }

    /// A copy of `values` valid until the next modification.
    func lend<T>(_ values: [T]) -> UnsafePointer<T> {
        let array = allocate(T.self, count: values.count)
        array.initialize(from: values, count: values.count)
        return UnsafePointer(array)
    }

    /// malloc'ed, so that every lent pointer is released the same way (free).
    private func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let raw = malloc(MemoryLayout<T>.stride * max(count, 1))!
        lent.append(raw)
        return raw.bindMemory(to: T.self, capacity: max(count, 1))
    }

    private func forgetLent() {
        for pointer in lent { free(pointer) }
        lent.removeAll()
    }
}

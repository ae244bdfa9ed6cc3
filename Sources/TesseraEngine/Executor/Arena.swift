import Synchronization

/// One block of scratch memory holding a run's intermediate values at the offsets its plan
/// assigned. Used by one run at a time: the pool hands it out exclusively.
final class Arena: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let capacity: Int

    init(capacity: Int) {
        // Never zero bytes, so even an empty plan has a valid base address.
        self.capacity = max(capacity, 64)
        base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 64)
    }

    deinit { base.deallocate() }
}

/// Arenas not in use, shared by concurrent runs. A run takes one big enough for its plan
/// (allocating only when none is) and gives it back, so steady-state runs allocate nothing.
/// Holds at most `limit` idle arenas, keeping the largest.
final class ArenaPool: Sendable {
    private struct State {
        var idle: [Arena] = []
        var allocations = 0
    }

    private let state = Mutex(State())
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// The smallest idle arena of at least `bytes`, or a new one.
    func take(bytes: Int) -> Arena {
        let reused: Arena? = state.withLock { state in
            let fitting = state.idle.indices.filter { state.idle[$0].capacity >= bytes }
            if let best = fitting.min(by: { state.idle[$0].capacity < state.idle[$1].capacity }) {
                return state.idle.remove(at: best)
            }
            state.allocations += 1
            return nil
        }
        // Allocated outside the lock: other runs need not wait for the page faults.
        return reused ?? Arena(capacity: bytes)
    }

    /// Returns an arena after a run; when the pool is full the smallest arena is dropped.
    func give(back arena: Arena) {
        let dropped: Arena? = state.withLock { state in
            state.idle.append(arena)
            guard state.idle.count > limit else { return nil }
            let smallest = state.idle.indices.min { state.idle[$0].capacity < state.idle[$1].capacity }!
            return state.idle.remove(at: smallest)
        }
        // Freed outside the lock.
        withExtendedLifetime(dropped) {}
    }

    /// How many arenas the pool has allocated since it was made.
    var allocations: Int { state.withLock { $0.allocations } }

    /// How many arenas sit idle.
    var idleCount: Int { state.withLock { $0.idle.count } }
}

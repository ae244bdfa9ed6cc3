/// Open-addressing hash map from a scalar sequence to a token id, so WordPiece can look up any
/// slice of a word without building a `String` per candidate piece.
///
/// Keys are hashed with FNV-1a one scalar at a time, so a caller can hash every prefix of a word
/// in one pass and then probe from the longest prefix down.
struct PieceHashTable: Sendable {
    static let seed: UInt64 = 0xCBF2_9CE4_8422_2325

    @inline(__always)
    static func hash(_ state: UInt64, _ value: UInt32) -> UInt64 {
        (state ^ UInt64(value)) &* 0x0000_0100_0000_01B3
    }

    /// One key; kept together so a probe touches a single cache line.
    private struct Entry: Sendable {
        var hash: UInt64
        var offset: Int32
        var length: Int32
        var id: Int32
    }

    /// The longest key, which bounds how far a lookup has to look.
    private(set) var maxKeyLength = 0
    /// All keys' scalars, back to back.
    private var keys: [UInt32] = []
    private var entries: [Entry] = []
    /// Entry index + 1, or 0 for an empty slot.
    private var slots: [Int32]
    private let mask: Int

    init(expectedCount: Int) {
        var capacity = 16
        while capacity < expectedCount * 2 { capacity <<= 1 }
        slots = Array(repeating: 0, count: capacity)
        mask = capacity - 1
    }

    /// Adds `key`; a repeated key takes the later id, like the dictionaries HF builds from vocab.txt.
    mutating func insert<Key: Collection<UInt32>>(_ key: Key, id: Int32) {
        var keyHash = Self.seed
        for value in key { keyHash = Self.hash(keyHash, value) }
        let length = key.count
        var slot = Self.slot(for: keyHash, mask: mask)
        while slots[slot] != 0 {
            let entry = entries[Int(slots[slot] - 1)]
            if entry.hash == keyHash, Int(entry.length) == length,
               keys[Int(entry.offset)..<Int(entry.offset) + length].elementsEqual(key) {
                entries[Int(slots[slot] - 1)].id = id
                return
            }
            slot = (slot + 1) & mask
        }
        entries.append(Entry(hash: keyHash, offset: Int32(keys.count), length: Int32(length), id: id))
        keys.append(contentsOf: key)
        slots[slot] = Int32(entries.count)
        maxKeyLength = max(maxKeyLength, length)
    }

    /// The id of `key`, whose FNV-1a hash the caller already has.
    @inline(__always)
    func find(_ key: UnsafeBufferPointer<UInt32>, hash keyHash: UInt64) -> Int32? {
        var slot = Self.slot(for: keyHash, mask: mask)
        while true {
            let stored = slots[slot]
            if stored == 0 { return nil }
            let entry = entries[Int(stored - 1)]
            if entry.hash == keyHash, Int(entry.length) == key.count, equalsKey(at: Int(entry.offset), key) {
                return entry.id
            }
            slot = (slot + 1) & mask
        }
    }

    /// Like `find`, but hashes the key itself.
    func find(_ key: UnsafeBufferPointer<UInt32>) -> Int32? {
        var keyHash = Self.seed
        for value in key { keyHash = Self.hash(keyHash, value) }
        return find(key, hash: keyHash)
    }

    /// The longest key equal to `word[start..<end]` for some `end`, probing from the longest
    /// candidate down with every prefix hashed in one pass.
    @inline(__always)
    func longestPrefix(of word: UnsafeBufferPointer<UInt32>, from start: Int) -> (id: Int32, end: Int)? {
        let limit = min(word.count, start + maxKeyLength)
        guard limit > start else { return nil }
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: limit - start) { prefixHashes in
            var state = Self.seed
            for index in start..<limit {
                state = Self.hash(state, word[index])
                prefixHashes[index - start] = state
            }
            var end = limit
            while end > start {
                if let id = find(UnsafeBufferPointer(rebasing: word[start..<end]), hash: prefixHashes[end - start - 1]) {
                    return (id, end)
                }
                end -= 1
            }
            return nil
        }
    }

    @inline(__always)
    private func equalsKey(at offset: Int, _ key: UnsafeBufferPointer<UInt32>) -> Bool {
        keys.withUnsafeBufferPointer { keys in
            for index in 0..<key.count where keys[offset + index] != key[index] {
                return false
            }
            return true
        }
    }

    @inline(__always)
    private static func slot(for keyHash: UInt64, mask: Int) -> Int {
        // FNV's multiply only carries upward; fold the high bits down before masking.
        var mixed = keyHash ^ (keyHash >> 32)
        mixed &*= 0xD6E8_FEB8_6659_FD93
        mixed ^= mixed >> 32
        return Int(truncatingIfNeeded: mixed) & mask
    }
}

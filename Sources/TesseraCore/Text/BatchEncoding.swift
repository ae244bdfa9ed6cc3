/// Several encoded texts padded to a common length, stored flat and row-major so the engine
/// can hand each array to the runtime as one contiguous int64 tensor of shape [batch, sequence].
public struct BatchEncoding: Sendable, Equatable {
    /// `batch * sequence` ids; row `i` is `ids[i * sequence ..< (i + 1) * sequence]`.
    public let ids: [Int64]
    /// 1 for real tokens, 0 for padding.
    public let attentionMask: [Int64]
    /// All 0: single-sequence inputs only.
    public let tokenTypeIds: [Int64]
    public let batch: Int
    public let sequence: Int

    init(rows: [[Int32]], padID: Int32) {
        let width = rows.map(\.count).max() ?? 0
        var ids = [Int64]()
        var mask = [Int64]()
        ids.reserveCapacity(rows.count * width)
        mask.reserveCapacity(rows.count * width)
        for row in rows {
            for id in row {
                ids.append(Int64(id))
                mask.append(1)
            }
            for _ in row.count..<width {
                ids.append(Int64(padID))
                mask.append(0)
            }
        }
        self.ids = ids
        attentionMask = mask
        tokenTypeIds = Array(repeating: 0, count: ids.count)
        batch = rows.count
        sequence = width
    }
}

/// One encoded text, ready to feed a BERT-style model as int64 tensors of shape [1, ids.count].
public struct Encoding: Sendable, Equatable {
    public let ids: [Int64]
    public let attentionMask: [Int64]
    public let tokenTypeIds: [Int64]

    init(ids: [Int32]) {
        self.ids = ids.map { Int64($0) }
        attentionMask = Array(repeating: 1, count: ids.count)
        tokenTypeIds = Array(repeating: 0, count: ids.count)
    }
}

/// Greedy longest-match-first WordPiece over one pre-tokenized word, as in BERT and `tokenizers`.
struct WordPieceModel: Sendable {
    let vocabulary: Vocabulary
    let unknownID: Int32
    /// Longer words (in scalars) become a single unknown token without being searched.
    let maxInputCharsPerWord: Int

    /// Appends the piece ids of `word`, or one unknown id when the word cannot be covered entirely:
    /// HF never emits a partial split.
    func appendPieces(of word: UnsafeBufferPointer<UInt32>, to ids: inout [Int32]) {
        guard word.count <= maxInputCharsPerWord else {
            ids.append(unknownID)
            return
        }
        let firstPiece = ids.count
        var start = 0
        while start < word.count {
            guard let piece = vocabulary.longestPiece(in: word, from: start) else {
                ids.removeSubrange(firstPiece...)
                ids.append(unknownID)
                return
            }
            ids.append(piece.id)
            start = piece.end
        }
    }
}

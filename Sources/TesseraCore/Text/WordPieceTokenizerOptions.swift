extension WordPieceTokenizer {
    /// The `BertTokenizer` settings that change ids. Defaults are those of uncased BERT models
    /// such as all-MiniLM-L6-v2.
    public struct Options: Sendable, Equatable {
        public var lowercase: Bool
        /// `nil` strips accents exactly when lowercasing, as Hugging Face does.
        public var stripAccents: Bool?
        /// Puts each CJK ideograph in a word of its own, since Chinese has no spaces to split on.
        public var tokenizeChineseChars: Bool
        /// Cap on `encode` output when the call gives none, counting [CLS] and [SEP].
        public var maxLength: Int
        public var unknownToken: String
        public var clsToken: String
        public var sepToken: String
        public var padToken: String
        /// Kept whole when it appears in text, like the tokens above; skipped if the vocabulary
        /// lacks it, so small custom vocabularies need not define it.
        public var maskToken: String
        /// Further tokens kept whole when they appear in text (a folder's added tokens);
        /// each must be in the vocabulary.
        public var additionalSpecialTokens: [String]
        /// Longer words become the unknown token unsearched, bounding the quadratic matcher.
        public var maxInputCharsPerWord: Int

        public init(
            lowercase: Bool = true,
            stripAccents: Bool? = nil,
            tokenizeChineseChars: Bool = true,
            maxLength: Int = 512,
            unknownToken: String = "[UNK]",
            clsToken: String = "[CLS]",
            sepToken: String = "[SEP]",
            padToken: String = "[PAD]",
            maskToken: String = "[MASK]",
            additionalSpecialTokens: [String] = [],
            maxInputCharsPerWord: Int = 100
        ) {
            self.lowercase = lowercase
            self.stripAccents = stripAccents
            self.tokenizeChineseChars = tokenizeChineseChars
            self.maxLength = maxLength
            self.unknownToken = unknownToken
            self.clsToken = clsToken
            self.sepToken = sepToken
            self.padToken = padToken
            self.maskToken = maskToken
            self.additionalSpecialTokens = additionalSpecialTokens
            self.maxInputCharsPerWord = maxInputCharsPerWord
        }
    }
}

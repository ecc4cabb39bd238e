// The contract between the tokenizer and batch collation: caption text -> padded ids and mask.

/// Token ids of one caption, padded or truncated to a fixed length, with its attention mask.
public struct EncodedText: Equatable, Sendable {
    /// `<s> … </s>` then `<pad>` up to the requested length.
    public var inputIDs: [Int32]
    /// 1 on real tokens (including `<s>` and `</s>`), 0 on padding.
    public var attentionMask: [Int32]

    public init(inputIDs: [Int32], attentionMask: [Int32]) {
        self.inputIDs = inputIDs
        self.attentionMask = attentionMask
    }
}

/// Turns captions into fixed-length token rows (the BART tokenizer implements it).
public protocol CaptionEncoder: Sendable {
    /// Encodes `caption` as `BartTokenizerFast(padding="max_length", truncation=True,
    /// max_length=maxLength)` does: exactly `maxLength` ids.
    func encode(_ caption: String, maxLength: Int) -> EncodedText
    /// Number of ids in the vocabulary (for checks against the model's `encoder_vocab_size`).
    var vocabularySize: Int { get }
}

// One rank's micro-batch as the model consumes it (docs/MODEL.md §3), row-major Int32 arrays.

/// Token rows for one forward/backward pass: `size` rows of text and image tokens.
public struct Batch: Equatable, Sendable {
    /// Rows in this batch (B).
    public var size: Int
    /// Encoder length S (`max_text_length`).
    public var textLength: Int
    /// Decoder length T (`image_length`).
    public var imageLength: Int
    /// (B, S) BART ids: `<s> … </s>` then `<pad>`=1.
    public var inputIDs: [Int32]
    /// (B, S) 1 on real tokens, 0 on padding.
    public var attentionMask: [Int32]
    /// (B, T) image codes in `[0, image_vocab_size)`.
    public var labels: [Int32]
    /// (B, T) labels shifted right with `decoder_start_token_id` in column 0.
    public var decoderInputIDs: [Int32]

    public init(
        size: Int, textLength: Int, imageLength: Int, inputIDs: [Int32], attentionMask: [Int32],
        labels: [Int32], decoderInputIDs: [Int32]
    ) {
        precondition(inputIDs.count == size * textLength && attentionMask.count == size * textLength)
        precondition(labels.count == size * imageLength && decoderInputIDs.count == size * imageLength)
        self.size = size
        self.textLength = textLength
        self.imageLength = imageLength
        self.inputIDs = inputIDs
        self.attentionMask = attentionMask
        self.labels = labels
        self.decoderInputIDs = decoderInputIDs
    }

    /// `labels` shifted right by one per row with `startToken` first (dalle-mini `shift_tokens_right`).
    public static func shiftRight(_ labels: [Int32], rows: Int, length: Int, startToken: Int32) -> [Int32] {
        var shifted = [Int32](repeating: startToken, count: labels.count)
        for row in 0..<rows where length > 1 {
            for j in 1..<length { shifted[row * length + j] = labels[row * length + j - 1] }
        }
        return shifted
    }

    /// Rows `range` of this batch as a new batch (for splitting a global batch into micro-batches).
    public func rows(_ range: Range<Int>) -> Batch {
        Batch(
            size: range.count, textLength: textLength, imageLength: imageLength,
            inputIDs: Array(inputIDs[range.lowerBound * textLength..<range.upperBound * textLength]),
            attentionMask: Array(
                attentionMask[range.lowerBound * textLength..<range.upperBound * textLength]),
            labels: Array(labels[range.lowerBound * imageLength..<range.upperBound * imageLength]),
            decoderInputIDs: Array(
                decoderInputIDs[range.lowerBound * imageLength..<range.upperBound * imageLength]))
    }
}

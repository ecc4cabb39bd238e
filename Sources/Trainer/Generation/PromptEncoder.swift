// The text encoder alone, for generation: embeddings, encoder layers and final norm over a batch of
// prompts, with no dropout. The training layers run unchanged on inference-sized buffers.

/// Encodes up to `capacity` prompts of `max_text_length` tokens at a time.
final class PromptEncoder {
    let config: DalleBartConfig
    let capacity: Int
    private let tensors: ModelTensors
    private let buffers: InferenceActivations
    private let ids: UnsafeMutablePointer<Int32>  // (capacity, S)
    /// Round the embedding lookups to float16 as dalle-mini does for float16 weights
    /// (`DalleBart.roundsEmbeddingsToFloat16`).
    var roundsEmbeddingsToFloat16 = false

    init(config: DalleBartConfig, tensors: ModelTensors, capacity: Int) {
        self.config = config
        self.capacity = capacity
        self.tensors = tensors
        buffers = InferenceActivations(
            config: config, tensors: tensors, rows: capacity, textLength: config.maxTextLength, imageLength: 1
        )
        ids = .allocate(capacity: capacity * config.maxTextLength)
    }

    deinit { ids.deallocate() }

    /// The (rows, S) key mask the last `encode` filled: 1 for real text tokens.
    var keyMask: UnsafePointer<Float> { UnsafePointer(buffers.saved.keyMask) }

    /// Runs the encoder on `rows` prompts (`inputIDs`, `attentionMask` of rows × S, ids already
    /// checked against the vocabulary); returns the (rows·S, D) encoder output.
    func encode(
        parameters p: UnsafeMutablePointer<Float>, inputIDs: [Int32], attentionMask: [Int32], rows: Int
    )
        -> UnsafePointer<Float>
    {
        let (S, D) = (config.maxTextLength, config.dModel)
        precondition(
            rows >= 1 && rows <= capacity && inputIDs.count == rows * S && attentionMask.count == rows * S)
        let saved = buffers.saved
        for i in 0..<rows * S {
            ids[i] = inputIDs[i]
            saved.keyMask[i] = attentionMask[i] != 0 ? 1 : 0
        }
        let context = config.inferenceContext(isDecoder: false, batch: rows, length: S)
        let stack = tensors.encoder
        Embedding.forward(
            out: saved.encoder.embedded, ids: ids, table: p + stack.tokens,
            positions: stack.positions.map { UnsafePointer(p + $0) }, tokenScale: config.tokenScale,
            rows: rows * S, length: S, channels: D, roundsToFloat16: roundsEmbeddingsToFloat16)
        Normalization.forward(
            saved.encoder.embeddingNorm, input: saved.encoder.embedded,
            weights: NormWeights(stack.embeddingNorm, kind: config.lnType, in: p), rows: rows * S, channels: D
        )
        var hidden = UnsafePointer(saved.encoder.embeddingNorm.out)
        let pass = StackPass(stack, context: context, parameters: p, scratch: saved.scratch)
        for (l, layer) in saved.encoder.layers.enumerated() {
            EncoderLayer.forward(pass.layer(l), saved: layer, input: hidden, keyMask: saved.keyMask)
            hidden = UnsafePointer(layer.end.out)
        }
        Normalization.forward(
            saved.encoder.final, input: hidden, weights: NormWeights(stack.final, kind: config.lnType, in: p),
            rows: rows * S, channels: D)
        return UnsafePointer(saved.encoder.final.out)
    }
}

extension DalleBartConfig {
    /// The token-embedding factor: sqrt(D) with `scale_embedding`, else 1.
    var tokenScale: Float { scaleEmbedding ? Float(dModel).squareRoot() : 1 }
}

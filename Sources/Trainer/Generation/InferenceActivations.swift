// Inference-time buffers borrowed from the training activation structs: a ModelActivations sized
// for chosen text/image lengths (the encoder at S, the decoder at one position), in its own arena.

/// A `ModelActivations` over its own arena, sized for `rows` rows of `textLength` text tokens and
/// `imageLength` image tokens (generation uses 1 where a stack only needs per-row scratch).
final class InferenceActivations {
    let saved: ModelActivations
    private let arena: ActivationArena

    init(config: DalleBartConfig, tensors: ModelTensors, rows: Int, textLength: Int, imageLength: Int) {
        var sized = config
        sized.maxTextLength = textLength
        sized.imageLength = imageLength
        var counter = ArenaBuilder(base: nil)
        _ = ModelActivations(config: sized, tensors: tensors, batchSize: rows, arena: &counter)
        arena = ActivationArena(count: counter.used)
        var builder = ArenaBuilder(base: arena.pointer)
        saved = ModelActivations(config: sized, tensors: tensors, batchSize: rows, arena: &builder)
    }
}

extension DalleBartConfig {
    /// The per-stack context of an inference pass (no dropout) over `batch` rows of `length` tokens.
    func inferenceContext(isDecoder: Bool, batch: Int, length: Int) -> StackContext {
        let gains = Initialization.residualGains(self)
        return StackContext(
            isDecoder: isDecoder, batch: batch, length: length, textLength: maxTextLength,
            channels: dModel, heads: isDecoder ? decoderAttentionHeads : encoderAttentionHeads,
            width: isDecoder ? decoderFFNDim : encoderFFNDim, kind: lnType, activation: activationFunction,
            residualGain: isDecoder ? gains.decoder : gains.encoder,
            cosineTau: useCosineAttention ? tauInit : nil, dropout: nil, dropoutRate: 0,
            attentionDropoutRate: 0, activationDropoutRate: 0)
    }
}

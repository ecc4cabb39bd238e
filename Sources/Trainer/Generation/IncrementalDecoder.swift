// The decoder one token at a time for generation: per layer a self-attention key/value cache of
// image_length positions and cross-attention keys/values computed once per prompt batch. Every
// buffer is allocated at init; a step allocates nothing.

/// Runs the decoder incrementally over `rows` sequences whose cross-attention reads encoder rows
/// chosen per sequence (several sequences may share one prompt's encoding).
final class IncrementalDecoder {
    let config: DalleBartConfig
    /// Sequences the buffers hold at most.
    let capacity: Int
    /// Sequences decoded together (R): the count `setPrompts` was given.
    private(set) var rows: Int
    /// Encoded prompts the cross-attention caches hold at most (E).
    let encoderCapacity: Int
    private let tensors: ModelTensors
    private let buffers: InferenceActivations
    private let storage: UnsafeMutablePointer<Float>
    private let selfKeys, selfValues, crossKeys, crossValues: [UnsafeMutablePointer<Float>]
    private let crossMask: UnsafeMutablePointer<Float>  // (E, S)
    private let keyNorms: UnsafeMutablePointer<Float>  // (E·S, H) cosine attention scratch
    private let probabilities: UnsafeMutablePointer<Float>  // (max(T, S))
    private let tokens: UnsafeMutablePointer<Int32>  // (R)
    private var crossSources: [Int]
    private let selfSources: [Int]
    /// (R, Vi + 1) logits of the last step (the first `rows` rows are valid).
    let logits: UnsafeMutablePointer<Float>
    /// Round the embedding lookups to float16 (`DalleBart.roundsEmbeddingsToFloat16`).
    var roundsEmbeddingsToFloat16 = false

    init(config: DalleBartConfig, tensors: ModelTensors, capacity rows: Int, encoderCapacity: Int) {
        self.config = config
        self.capacity = rows
        self.rows = rows
        self.encoderCapacity = encoderCapacity
        self.tensors = tensors
        buffers = InferenceActivations(
            config: config, tensors: tensors, rows: rows, textLength: 1, imageLength: 1)
        let (S, T, D, L) = (config.maxTextLength, config.imageLength, config.dModel, config.decoderLayers)
        let selfCount = rows * T * D
        let crossCount = encoderCapacity * S * D
        let total =
            L * 2 * (selfCount + crossCount) + encoderCapacity * S * (1 + config.decoderAttentionHeads)
            + max(T, S) + rows * config.imageClasses
        storage = .allocate(capacity: total)
        storage.initialize(repeating: 0, count: total)
        var next = storage
        func take(_ count: Int) -> UnsafeMutablePointer<Float> {
            defer { next += count }
            return next
        }
        selfKeys = (0..<L).map { _ in take(selfCount) }
        selfValues = (0..<L).map { _ in take(selfCount) }
        crossKeys = (0..<L).map { _ in take(crossCount) }
        crossValues = (0..<L).map { _ in take(crossCount) }
        crossMask = take(encoderCapacity * S)
        keyNorms = take(encoderCapacity * S * config.decoderAttentionHeads)
        probabilities = take(max(T, S))
        logits = take(rows * config.imageClasses)
        tokens = .allocate(capacity: rows)
        crossSources = Array(repeating: 0, count: rows)
        selfSources = Array(0..<rows)
    }

    deinit {
        storage.deallocate()
        tokens.deallocate()
    }

    /// Computes every layer's cross-attention keys and values of `encoderRows` encoded prompts
    /// (`encoderOutput` (E·S, D), `keyMask` (E, S)) and has sequence r read prompt `sources[r]`.
    func setPrompts(
        parameters p: UnsafeMutablePointer<Float>, encoderOutput: UnsafePointer<Float>,
        keyMask: UnsafePointer<Float>, encoderRows: Int, sources: [Int]
    ) {
        let (S, D, H) = (config.maxTextLength, config.dModel, config.decoderAttentionHeads)
        precondition(encoderRows >= 1 && encoderRows <= encoderCapacity)
        precondition(sources.count >= 1 && sources.count <= capacity)
        precondition(sources.allSatisfy { (0..<encoderRows).contains($0) })
        rows = sources.count
        crossSources = sources
        crossMask.update(from: keyMask, count: encoderRows * S)
        for (l, layer) in tensors.decoder.layers.enumerated() {
            let weights = AttentionWeights(layer.crossAttention!, kind: config.lnType, in: p)
            Linear.forward(
                out: crossKeys[l], input: encoderOutput, kernel: weights.key.kernel, bias: weights.key.bias,
                rows: encoderRows * S, inputs: D, outputs: D)
            Linear.forward(
                out: crossValues[l], input: encoderOutput, kernel: weights.value.kernel,
                bias: weights.value.bias, rows: encoderRows * S, inputs: D, outputs: D)
            if config.useCosineAttention {
                Attention.normalizeHeads(
                    out: crossKeys[l], norms: keyNorms, input: crossKeys[l], rows: encoderRows * S, heads: H,
                    headSize: D / H)
            }
        }
    }

    /// One decoding step: token `ids[r]` at position `position` for every sequence, using the
    /// cached keys/values of positions < `position`; leaves the (R, Vi + 1) logits in `logits`.
    func step(parameters p: UnsafeMutablePointer<Float>, ids: [Int32], position: Int) {
        let (S, T, D, H) = (
            config.maxTextLength, config.imageLength, config.dModel, config.decoderAttentionHeads
        )
        precondition(ids.count == rows && (0..<T).contains(position))
        let saved = buffers.saved
        let stack = tensors.decoder
        let kind = config.lnType
        for r in 0..<rows {
            precondition(
                ids[r] >= 0 && Int(ids[r]) < config.imageClasses, "decoder id \(ids[r]) out of range")
            tokens[r] = ids[r]
        }
        Embedding.forward(
            out: saved.decoder.embedded, ids: tokens, table: p + stack.tokens,
            positions: stack.positions.map { UnsafePointer(p + $0 + position * D) },
            tokenScale: config.tokenScale, rows: rows, length: 1, channels: D,
            roundsToFloat16: roundsEmbeddingsToFloat16)
        Normalization.forward(
            saved.decoder.embeddingNorm, input: saved.decoder.embedded,
            weights: NormWeights(stack.embeddingNorm, kind: kind, in: p), rows: rows, channels: D)
        let context = config.inferenceContext(isDecoder: true, batch: rows, length: 1)
        let cosineTau = config.useCosineAttention ? config.tauInit : nil
        var hidden = UnsafePointer(saved.decoder.embeddingNorm.out)
        let pass = StackPass(stack, context: context, parameters: p, scratch: saved.scratch)
        for (l, layer) in saved.decoder.layers.enumerated() {
            let (selfBlock, crossBlock) = (layer.selfAttention, layer.crossAttention!)
            let views = pass.weights[l]
            // Self-attention: append this position's key and value, then attend to positions 0...t.
            let selfWeights = views.selfAttention.attention
            Self.residualBlock(selfBlock, input: hidden, views: views.selfAttention, context: context) {
                normed in
                appendKeyValue(
                    layer: l, normed: normed, saved: selfBlock.attention, weights: selfWeights,
                    position: position)
                CachedAttention.forward(
                    out: selfBlock.attended, saved: selfBlock.attention, queryInput: normed,
                    cache: CachedKeyValues(
                        keys: selfKeys[l], values: selfValues[l], blockCount: T * D, sources: selfSources,
                        count: position + 1, mask: nil, maskStride: 0),
                    probabilities: probabilities, weights: selfWeights, rows: rows, heads: H, channels: D,
                    cosineTau: cosineTau)
            }
            let crossWeights = views.crossAttention!.attention
            Self.residualBlock(
                crossBlock, input: selfBlock.output, views: views.crossAttention!, context: context
            ) {
                normed in
                CachedAttention.forward(
                    out: crossBlock.attended, saved: crossBlock.attention, queryInput: normed,
                    cache: CachedKeyValues(
                        keys: crossKeys[l], values: crossValues[l], blockCount: S * D, sources: crossSources,
                        count: S, mask: crossMask, maskStride: S),
                    probabilities: probabilities, weights: crossWeights, rows: rows, heads: H, channels: D,
                    cosineTau: cosineTau)
            }
            FeedForwardBlock.forward(pass.layer(l), saved: layer, input: crossBlock.output)
            hidden = UnsafePointer(layer.end.out)
        }
        Normalization.forward(
            saved.decoder.final, input: hidden, weights: NormWeights(stack.final, kind: kind, in: p),
            rows: rows, channels: D)
        Linear.forward(
            out: logits, input: saved.decoder.final.out, kernel: p + tensors.lmHead, bias: nil, rows: rows,
            inputs: D, outputs: config.imageClasses)
    }

    /// Projects this position's key and value of every sequence into layer `layer`'s cache.
    private func appendKeyValue(
        layer l: Int, normed: UnsafePointer<Float>, saved: AttentionActivations, weights: AttentionWeights,
        position: Int
    ) {
        let (T, D, H) = (config.imageLength, config.dModel, config.decoderAttentionHeads)
        Linear.forward(
            out: saved.key, input: normed, kernel: weights.key.kernel, bias: weights.key.bias, rows: rows,
            inputs: D, outputs: D)
        Linear.forward(
            out: saved.value, input: normed, kernel: weights.value.kernel, bias: weights.value.bias,
            rows: rows, inputs: D, outputs: D)
        if config.useCosineAttention {
            Attention.normalizeHeads(
                out: saved.key, norms: keyNorms, input: saved.key, rows: rows, heads: H, headSize: D / H)
        }
        for r in 0..<rows {
            (selfKeys[l] + (r * T + position) * D).update(from: saved.key + r * D, count: D)
            (selfValues[l] + (r * T + position) * D).update(from: saved.value + r * D, count: D)
        }
    }

    /// output = input · gain + after(attend(before(input))), as the training block without dropout.
    private static func residualBlock(
        _ saved: AttentionBlockActivations, input: UnsafePointer<Float>, views: AttentionViews,
        context: StackContext, attend: (UnsafePointer<Float>) -> Void
    ) {
        let (N, D) = (context.rows, context.channels)
        Normalization.forward(saved.before, input: input, weights: views.before, rows: N, channels: D)
        attend(UnsafePointer(saved.before.out))
        Normalization.forward(saved.after, input: saved.attended, weights: views.after, rows: N, channels: D)
        VectorMath.scaledAdd(out: saved.output, input, alpha: context.residualGain, saved.after.out, N * D)
    }
}

// The saved activations and backward scratch of the whole model, laid out in the arena.

/// One attention block with its residual: output = input * gain + dropout(after(attention(before(input)))).
struct AttentionBlockActivations {
    var before: NormActivations  // (N, D)
    var attention: AttentionActivations
    var attended: UnsafeMutablePointer<Float>  // (N, D) attention output
    var after: NormActivations  // (N, D) out is `output` where the norm applies
    var output: UnsafeMutablePointer<Float>  // (N, D)
}

/// One layer: attention block(s), feed-forward block, residual sum and optional swinv2 end norm.
struct LayerActivations {
    var selfAttention: AttentionBlockActivations
    var crossAttention: AttentionBlockActivations?
    var feedForward: FeedForwardActivations
    var feedForwardOut: UnsafeMutablePointer<Float>  // (N, D) is `sum`: the residual adds in place
    var sum: UnsafeMutablePointer<Float>  // (N, D) residual sum; the layer output when `end` is absent
    var end: NormActivations  // (N, D) out is the layer output
}

/// Encoder or decoder: embedding sum, its norm (whose output is layer 0's input), layers, final norm.
/// With recomputed layers (gradient checkpointing) every layer of both stacks shares one region and
/// only each layer's output is kept, in `checkpoints`; backward recomputes a layer before its turn.
struct StackActivations {
    var embedded: UnsafeMutablePointer<Float>  // (N, D)
    var embeddingNorm: NormActivations  // (N, D)
    var layers: [LayerActivations]
    /// (N, D) per layer: the layer outputs when the layers are recomputed; nil otherwise.
    var checkpoints: [UnsafeMutablePointer<Float>]?
    var final: NormActivations  // (N, D) the stack output
    /// Whether the last layer's activations are still in place after the forward (else backward
    /// recomputes it too: the encoder's, when the stacks share one region).
    var keepsLastLayer: Bool

    /// The output of layer `l` as the next layer (or the final norm) reads it.
    func output(of l: Int) -> UnsafeMutablePointer<Float> { checkpoints?[l] ?? layers[l].end.out }

    /// The input of layer `l`: the embedding norm's output, or the previous layer's output.
    func input(of l: Int) -> UnsafeMutablePointer<Float> { l == 0 ? embeddingNorm.out : output(of: l - 1) }

    /// The stack's last layer output (the final norm's input).
    var lastOutput: UnsafeMutablePointer<Float> {
        layers.isEmpty ? embeddingNorm.out : output(of: layers.count - 1)
    }
}

/// Scratch overwritten during backward (and the dropout replays during forward).
struct BackwardScratch {
    var attention: AttentionScratch
    var feedForward: FeedForwardScratch
    var gradients: GradientScratch
    var dEncoder: UnsafeMutablePointer<Float>  // (B*S, D)
}

/// The (Nmax, D) activation gradients of backward, by the place they flow through.
struct GradientScratch {
    /// The layer-to-layer gradient: one holds a layer's output gradient, the other its input's.
    var stream: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)
    /// Before the swinv2 layer-end norm (the residual sum's gradient); nil without such norms.
    var layerSum: UnsafeMutablePointer<Float>?
    /// Between the last attention block and the feed-forward block.
    var beforeFeedForward: UnsafeMutablePointer<Float>
    /// Between the self-attention and the cross-attention block of a decoder layer.
    var beforeCrossAttention: UnsafeMutablePointer<Float>
    /// Inside an attention block: after the output dropout, the attention output, the normed input.
    var branch: UnsafeMutablePointer<Float>
    var attended: UnsafeMutablePointer<Float>
    var normed: UnsafeMutablePointer<Float>

    /// The buffers between blocks from `take`; those inside an attention block are given (they
    /// share the layers' scratch).
    init(
        hasLayerEndNorms: Bool,
        attentionBlock: (
            branch: UnsafeMutablePointer<Float>, attended: UnsafeMutablePointer<Float>,
            normed: UnsafeMutablePointer<Float>
        ),
        take: () -> UnsafeMutablePointer<Float>
    ) {
        stream = (take(), take())
        layerSum = hasLayerEndNorms ? take() : nil
        beforeFeedForward = take()
        beforeCrossAttention = take()
        (branch, attended, normed) = attentionBlock
    }
}

/// Everything the model keeps between forward and backward.
struct ModelActivations {
    var encoder: StackActivations
    var decoder: StackActivations
    /// One chunk of the fused LM head's logits (LanguageModelHead), in the backward scratch.
    var headChunk: UnsafeMutablePointer<Float>
    var keyMask: UnsafeMutablePointer<Float>  // (B, S) 1 for real text tokens
    var scratch: BackwardScratch

    /// `recomputesLayers`: one activation region per stack shared by its layers, plus their outputs.
    init(
        config: DalleBartConfig, tensors: ModelTensors, batchSize: Int, recomputesLayers: Bool = false,
        arena: inout ArenaBuilder
    ) {
        let (B, S, T, D) = (batchSize, config.maxTextLength, config.imageLength, config.dModel)
        let maxRows = B * max(S, T)
        let maxWidth = max(config.encoderFFNDim, config.decoderFFNDim)
        let scores = max(T * T, T * S, S * S)
        // Per-head scratch for each thread of the pool the model is made in.
        let threads = WorkerPool.current.threadCount
        let dropped = HeadScratch(base: arena.take(threads * scores), stride: scores, threads: threads)
        // The head's logits chunk is live only at the end of the forward, the attention blocks'
        // scratch only inside one attention block's backward, the feed-forward blocks' only inside
        // one feed-forward block's forward or backward: all three share memory (the head writes its
        // input gradient to `gradients.stream`, outside it). Laid out first, so that the
        // feed-forward blocks' recomputed values can point into it.
        let scratchStart = arena.used
        headChunk = arena.take(LanguageModelHead.chunkCount(rows: B * T, classes: config.imageClasses))
        var scratchEnd = arena.used
        arena.rewind(to: scratchStart)
        let attentionScratch = AttentionScratch(
            dQuery: arena.take(maxRows * D), dKey: arena.take(maxRows * D), dValue: arena.take(maxRows * D),
            dProjection: arena.take(maxRows * D), dScaled: arena.take(maxRows * D),
            dScores: HeadScratch(base: arena.take(threads * scores), stride: scores, threads: threads))
        let attentionBlock = (
            branch: arena.take(maxRows * D), attended: arena.take(maxRows * D),
            normed: arena.take(maxRows * D)
        )
        scratchEnd = max(scratchEnd, arena.used)
        arena.rewind(to: scratchStart)
        let feedForwardScratch = FeedForwardScratch(
            hidden: arena.take(maxRows * maxWidth), hiddenPre: arena.take(maxRows * maxWidth),
            product: arena.take(maxRows * maxWidth), dropped: arena.take(maxRows * D),
            projected: arena.take(maxRows * D),
            normed: arena.take(maxRows * D))
        arena.advance(to: scratchEnd)
        func attention(
            queryRows: Int, keyRows: Int, heads: Int, queryLength: Int, keyLength: Int, t: AttentionTensors
        )
            -> AttentionActivations
        {
            let cosine = config.useCosineAttention
            let query = arena.take(queryRows * D)
            let key = arena.take(keyRows * D)
            let value = arena.take(keyRows * D)
            let queryUnit = cosine ? arena.take(queryRows * D) : query
            let keyUnit = cosine ? arena.take(keyRows * D) : key
            let queryNorm = cosine ? arena.take(queryRows * heads) : query
            let keyNorm = cosine ? arena.take(keyRows * heads) : key
            let probabilities = arena.take(B * heads * queryLength * keyLength)
            let context = arena.take(queryRows * D)
            let scaled = t.headScale != nil ? arena.take(queryRows * D) : context
            let mid = arena.norm(t.mid, rows: queryRows, width: D, input: scaled)
            return AttentionActivations(
                query: query, key: key, value: value, queryUnit: queryUnit, keyUnit: keyUnit,
                queryNorm: queryNorm,
                keyNorm: keyNorm, probabilities: probabilities, context: context, scaled: scaled, mid: mid,
                dropped: dropped)
        }
        func block(
            _ t: AttentionTensors, input: UnsafeMutablePointer<Float>, rows: Int, queryLength: Int,
            keyLength: Int
        )
            -> AttentionBlockActivations
        {
            let before = arena.norm(t.before, rows: rows, width: D, input: input)
            let saved = attention(
                queryRows: rows, keyRows: B * keyLength, heads: t.heads, queryLength: queryLength,
                keyLength: keyLength, t: t)
            let attended = arena.take(rows * D)
            let output = arena.take(rows * D)
            // The after norm writes into `output`, where the residual sum then lands in place:
            // its backward needs only its input and statistics.
            let after = arena.norm(t.after, rows: rows, width: D, input: attended, out: output)
            return AttentionBlockActivations(
                before: before, attention: saved, attended: attended, after: after, output: output)
        }
        func feedForward(_ t: FeedForwardTensors, input: UnsafeMutablePointer<Float>, rows: Int)
            -> FeedForwardActivations
        {
            let F = t.width
            let inputNorm = arena.norm(t.input, rows: rows, width: D, input: input)
            let gate = arena.take(rows * F)
            let activated = arena.take(rows * F)
            let linear = t.linear != nil ? arena.take(rows * F) : activated
            // The GLU product and the hidden norm's output live in the scratch: backward
            // recomputes them (FFN.recomputeHidden) from what is kept here.
            let hidden = t.linear != nil ? feedForwardScratch.product : activated
            let hiddenNorm = arena.norm(
                t.hidden, rows: rows, width: F, input: hidden, out: feedForwardScratch.hiddenPre)
            let projected = arena.take(rows * D)
            let outputNorm = arena.norm(t.outputNorm, rows: rows, width: D, input: projected)
            return FeedForwardActivations(
                input: inputNorm, gate: gate, activated: activated, linear: linear, hidden: hidden,
                hiddenNorm: hiddenNorm, projected: projected, outputNorm: outputNorm)
        }
        /// Every layer of a stack from `input` on; with `sharedRegion`, each layer's activations
        /// start there (gradient checkpointing), else they follow one another.
        func layers(
            _ t: StackTensors, length: Int, input first: UnsafeMutablePointer<Float>,
            checkpoints: [UnsafeMutablePointer<Float>]?, sharedRegion: Int?
        ) -> [LayerActivations] {
            let rows = B * length
            var input = first
            var layers: [LayerActivations] = []
            // The shared region ends after the largest layer (swinv2 gives a middle layer an end
            // norm the last one lacks).
            var regionEnd = arena.used
            for (l, layer) in t.layers.enumerated() {
                if let sharedRegion {
                    regionEnd = max(regionEnd, arena.used)
                    arena.rewind(to: sharedRegion)
                }
                let selfBlock = block(
                    layer.selfAttention, input: input, rows: rows, queryLength: length, keyLength: length)
                var mid = selfBlock.output
                var crossBlock: AttentionBlockActivations? = nil
                if let cross = layer.crossAttention {
                    crossBlock = block(cross, input: mid, rows: rows, queryLength: length, keyLength: S)
                    mid = crossBlock!.output
                }
                let ffn = feedForward(layer.feedForward, input: mid, rows: rows)
                // The feed-forward output is written where the residual sum then lands in place;
                // with checkpoints, the layer output (the sum, or the layer-end norm's output) is
                // written straight into the layer's checkpoint.
                let checkpoint = checkpoints?[l]
                let sum = layer.end.isApplied ? arena.take(rows * D) : checkpoint ?? arena.take(rows * D)
                let ffnOut = sum
                let end = arena.norm(layer.end, rows: rows, width: D, input: sum, out: checkpoint)
                layers.append(
                    LayerActivations(
                        selfAttention: selfBlock, crossAttention: crossBlock, feedForward: ffn,
                        feedForwardOut: ffnOut,
                        sum: sum, end: end))
                input = checkpoints?[l] ?? end.out
            }
            arena.advance(to: regionEnd)
            return layers
        }
        /// A stack whose layers are stored one after another.
        func storedStack(_ t: StackTensors, length: Int) -> StackActivations {
            let rows = B * length
            let embedded = arena.take(rows * D)
            let embeddingNorm = arena.norm(t.embeddingNorm, rows: rows, width: D, input: embedded)
            let all = layers(t, length: length, input: embeddingNorm.out, checkpoints: nil, sharedRegion: nil)
            let final = arena.norm(
                t.final, rows: rows, width: D, input: all.last?.end.out ?? embeddingNorm.out)
            return StackActivations(
                embedded: embedded, embeddingNorm: embeddingNorm, layers: all, checkpoints: nil,
                final: final, keepsLastLayer: true)
        }
        /// A recomputed stack's own buffers: embeddings, the layer outputs and the final norm.
        func recomputedStack(_ t: StackTensors, length: Int) -> StackActivations {
            let rows = B * length
            let embedded = arena.take(rows * D)
            let embeddingNorm = arena.norm(t.embeddingNorm, rows: rows, width: D, input: embedded)
            let checkpoints = t.layers.map { _ in arena.take(rows * D) }
            let final = arena.norm(
                t.final, rows: rows, width: D, input: checkpoints.last ?? embeddingNorm.out)
            return StackActivations(
                embedded: embedded, embeddingNorm: embeddingNorm, layers: [], checkpoints: checkpoints,
                final: final, keepsLastLayer: true)
        }
        if recomputesLayers {
            // One region holds the activations of whichever layer runs, encoder or decoder: the
            // decoder's forward overwrites the encoder's last layer, which backward then recomputes
            // like the others.
            encoder = recomputedStack(tensors.encoder, length: S)
            decoder = recomputedStack(tensors.decoder, length: T)
            let region = arena.used
            encoder.layers = layers(
                tensors.encoder, length: S, input: encoder.embeddingNorm.out,
                checkpoints: encoder.checkpoints,
                sharedRegion: region)
            encoder.keepsLastLayer = false
            let encoderEnd = arena.used
            decoder.layers = layers(
                tensors.decoder, length: T, input: decoder.embeddingNorm.out,
                checkpoints: decoder.checkpoints,
                sharedRegion: region)
            arena.advance(to: encoderEnd)
        } else {
            encoder = storedStack(tensors.encoder, length: S)
            decoder = storedStack(tensors.decoder, length: T)
        }
        keyMask = arena.take(B * S)
        let hasLayerEndNorms = (tensors.encoder.layers + tensors.decoder.layers).contains { $0.end.isApplied }
        let gradients = GradientScratch(hasLayerEndNorms: hasLayerEndNorms, attentionBlock: attentionBlock) {
            arena.take(maxRows * D)
        }
        let dEncoder = arena.take(B * S * D)
        scratch = BackwardScratch(
            attention: attentionScratch, feedForward: feedForwardScratch, gradients: gradients,
            dEncoder: dEncoder)
    }
}

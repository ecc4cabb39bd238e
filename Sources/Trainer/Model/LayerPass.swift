// The value the layers of one stack are run with: the stack's context, every layer's parameter
// views (and gradient views in backward) bound once, and the named scratch (docs/MODEL.md §4.3).

/// One attention block's views in a flat buffer: the attention weights and its two norms.
struct AttentionViews {
    var attention: AttentionWeights
    var before: NormWeights
    var after: NormWeights

    init(_ tensors: AttentionTensors, kind: NormKind, in base: UnsafeMutablePointer<Float>) {
        attention = AttentionWeights(tensors, kind: kind, in: base)
        before = NormWeights(tensors.before, kind: kind, in: base)
        after = NormWeights(tensors.after, kind: kind, in: base)
    }
}

/// One layer's views in a flat buffer (the parameters, or the gradients of the same layout).
struct LayerViews {
    var selfAttention: AttentionViews
    /// Decoder layers only.
    var crossAttention: AttentionViews?
    var feedForward: FeedForwardWeights
    /// The swinv2 layer-end norm (not applied in the other placements).
    var end: NormWeights

    init(_ tensors: LayerTensors, kind: NormKind, in base: UnsafeMutablePointer<Float>) {
        selfAttention = AttentionViews(tensors.selfAttention, kind: kind, in: base)
        crossAttention = tensors.crossAttention.map { AttentionViews($0, kind: kind, in: base) }
        feedForward = FeedForwardWeights(tensors.feedForward, kind: kind, in: base)
        end = NormWeights(tensors.end, kind: kind, in: base)
    }

    /// Block 0 is the self-attention, block 1 the cross-attention.
    func attention(block: Int) -> AttentionViews { block == 0 ? selfAttention : crossAttention! }
}

/// What a layer's forward or backward reads besides its activations.
struct LayerPass {
    var context: StackContext
    /// Index of the layer in its stack (for the dropout streams).
    var layer: Int
    var weights: LayerViews
    /// Where the parameter gradients accumulate; nil in a forward-only pass.
    var gradients: LayerViews?
    var scratch: BackwardScratch
}

/// The layer passes of one stack, built once per forward or backward.
struct StackPass {
    var context: StackContext
    var weights: [LayerViews]
    var gradients: [LayerViews]?
    var scratch: BackwardScratch

    /// Binds every layer of `tensors` in `parameters` (and in `gradients` when given).
    init(
        _ tensors: StackTensors, context: StackContext, parameters: UnsafeMutablePointer<Float>,
        gradients: UnsafeMutablePointer<Float>? = nil, scratch: BackwardScratch
    ) {
        self.context = context
        self.scratch = scratch
        weights = tensors.layers.map { LayerViews($0, kind: context.kind, in: parameters) }
        self.gradients = gradients.map { g in tensors.layers.map { LayerViews($0, kind: context.kind, in: g) }
        }
    }

    /// The pass of layer `l`.
    func layer(_ l: Int) -> LayerPass {
        LayerPass(context: context, layer: l, weights: weights[l], gradients: gradients?[l], scratch: scratch)
    }
}

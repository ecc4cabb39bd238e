// ln_positions -> which norms exist where, and whether each has a learnable scale (docs/MODEL.md §2.3).
// The single table; layers read these booleans, never the ln_positions string.

/// One norm position: applied or not, and with or without a learnable scale.
/// LayerNorm always has a bias; RMSNorm never does.
public struct NormSlot: Equatable, Sendable {
    public var isApplied: Bool
    public var hasScale: Bool

    public static let absent = NormSlot(isApplied: false, hasScale: false)
    public static let withScale = NormSlot(isApplied: true, hasScale: true)
    /// The "no scale" norm of dalle-mini, which gets a scale only with `force_ln_scale`.
    static func withoutScale(_ forced: Bool) -> NormSlot { NormSlot(isApplied: true, hasScale: forced) }
}

/// The norms of one attention block (self or cross).
public struct AttentionNormPlan: Equatable, Sendable {
    /// Before the attention (dalle-mini's pre-norm, "b").
    public var before: NormSlot
    /// After the attention output projection, before dropout and the residual ("s+b").
    public var after: NormSlot
    /// `mid_layernorm` on the merged heads before `out_proj` (subln, self-attention only).
    public var mid: NormSlot
}

/// The norms inside one GLU/FFN block.
public struct FeedForwardNormPlan: Equatable, Sendable {
    /// On the block input ("b").
    public var input: NormSlot
    /// On the F-wide hidden activation ("b").
    public var hidden: NormSlot
    /// On the block output after the last Dense ("s+b").
    public var output: NormSlot
}

/// Every norm position of the model, resolved from `ln_type`, `ln_positions` and `force_ln_scale`.
public struct NormPlan: Equatable, Sendable {
    public var kind: NormKind
    public var encoderAttention: AttentionNormPlan
    public var decoderSelfAttention: AttentionNormPlan
    public var decoderCrossAttention: AttentionNormPlan
    public var feedForward: FeedForwardNormPlan
    /// The encoder's final norm (`final_ln`, no scale unless forced).
    public var encoderFinal: NormSlot
    /// The decoder's final norm (always present in dalle-mini 0.1.5).
    public var decoderFinal: NormSlot
    /// swinv2: a full norm after the FFN residual of every 6th layer except the last.
    public var usesLayerEndNorm: Bool

    public init(_ config: DalleBartConfig) {
        let p = config.lnPositions
        let forced = config.forceLNScale
        kind = config.lnType
        let preAttention = [.normformer, .cogview, .preln].contains(p)
        let postAttention = [.normformer, .swinv2, .cogview].contains(p)
        let mid = p == .subln ? NormSlot.withScale : .absent
        let post = postAttention ? NormSlot.withScale : .absent
        // The encoder pre-norm list includes subln; the decoder's does not (docs/MODEL.md §2.3).
        encoderAttention = AttentionNormPlan(
            before: preAttention || p == .subln ? .withoutScale(forced) : .absent, after: post, mid: mid)
        let decoderBefore = preAttention ? NormSlot.withoutScale(forced) : .absent
        decoderSelfAttention = AttentionNormPlan(before: decoderBefore, after: post, mid: mid)
        decoderCrossAttention = AttentionNormPlan(before: decoderBefore, after: post, mid: .absent)
        feedForward = FeedForwardNormPlan(
            input: [.normformer, .cogview, .preln, .subln].contains(p) ? .withoutScale(forced) : .absent,
            hidden: [.normformer, .subln].contains(p) ? .withoutScale(forced) : .absent,
            output: [.swinv2, .cogview].contains(p) ? .withScale : .absent)
        encoderFinal = config.useFinalLNEncoder ? .withoutScale(forced) : .absent
        decoderFinal = .withoutScale(forced)
        usesLayerEndNorm = p == .swinv2
    }

    /// Whether layer `index` of a stack of `count` gets the swinv2 norm after its FFN residual.
    public func hasLayerEndNorm(index: Int, count: Int) -> Bool {
        usesLayerEndNorm && (index + 1) % 6 == 0 && index != count - 1
    }
}

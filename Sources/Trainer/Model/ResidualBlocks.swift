// The two residual blocks every layer is made of (docs/MODEL.md §4.3):
// attention: x * gain + dropout(after(attention(before(x)))), and the feed-forward residual.

/// Per-stack facts the blocks need: sizes, options and the step's dropout key.
struct StackContext {
    var isDecoder: Bool
    var batch: Int
    var length: Int
    var textLength: Int
    var channels: Int
    var heads: Int
    var width: Int
    var kind: NormKind
    var activation: ActivationKind
    /// dalle-mini's deepnet residual gain alpha (1 unless use_deepnet_scaling).
    var residualGain: Float
    var cosineTau: Float?
    var dropout: DropoutKey?
    var dropoutRate: Float
    var attentionDropoutRate: Float
    var activationDropoutRate: Float

    var rows: Int { batch * length }

    func mask(_ rate: Float, _ site: DropoutSite, layer: Int) -> DropoutMask? {
        DropoutMask(key: dropout, rate: rate, site: site, isDecoder: isDecoder, layer: layer)
    }

    func attentionShape(cross: Bool) -> AttentionShape {
        AttentionShape(
            batch: batch, queryLength: length, keyLength: cross ? textLength : length, heads: heads,
            channels: channels, isCausal: isDecoder && !cross, cosineTau: cosineTau)
    }

    var feedForwardShape: FeedForwardShape {
        FeedForwardShape(rows: rows, channels: channels, width: width, activation: activation)
    }
}

enum AttentionBlock {
    /// saved.output = input * gain + dropout(after(attention(before(input), keyValues))).
    /// Block 0: self-attention on the normed input (`keyValues` nil); block 1: cross-attention on
    /// the encoder output.
    static func forward(
        _ pass: LayerPass, block: Int, saved: AttentionBlockActivations, input: UnsafePointer<Float>,
        keyValues: UnsafePointer<Float>?, keyMask: UnsafePointer<Float>?
    ) {
        let context = pass.context
        let (N, D) = (context.rows, context.channels)
        let views = pass.weights.attention(block: block)
        Normalization.forward(saved.before, input: input, weights: views.before, rows: N, channels: D)
        Attention.forward(
            out: saved.attended, saved: saved.attention, queryInput: saved.before.out,
            keyValueInput: keyValues ?? UnsafePointer(saved.before.out), keyMask: keyMask,
            weights: views.attention, shape: context.attentionShape(cross: keyValues != nil),
            dropout: context.mask(
                context.attentionDropoutRate, .attentionProbabilities(block: block), layer: pass.layer))
        Normalization.forward(saved.after, input: saved.attended, weights: views.after, rows: N, channels: D)
        var branch = UnsafePointer(saved.after.out)
        if let dropout = context.mask(context.dropoutRate, .attentionOutput(block: block), layer: pass.layer)
        {
            dropout.apply(out: saved.output, input: saved.after.out, count: N * D)
            branch = UnsafePointer(saved.output)
        }
        VectorMath.scaledAdd(out: saved.output, input, alpha: context.residualGain, branch, N * D)
    }

    /// Accumulates into dInput (and dKeyValues for cross-attention) and the parameter gradients.
    static func backward(
        _ pass: LayerPass, block: Int, dInput: UnsafeMutablePointer<Float>,
        dKeyValues: UnsafeMutablePointer<Float>?, dOut: UnsafePointer<Float>,
        saved: AttentionBlockActivations,
        input: UnsafePointer<Float>, keyValues: UnsafePointer<Float>?
    ) {
        let context = pass.context
        let (N, D) = (context.rows, context.channels)
        let views = pass.weights.attention(block: block)
        let gradients = pass.gradients!.attention(block: block)
        let scratch = pass.scratch.gradients
        VectorMath.scaledAdd(out: dInput, dOut, alpha: context.residualGain, dInput, N * D)
        var dAfterOut = dOut
        if let dropout = context.mask(context.dropoutRate, .attentionOutput(block: block), layer: pass.layer)
        {
            dropout.apply(out: scratch.branch, input: dOut, count: N * D)
            dAfterOut = UnsafePointer(scratch.branch)
        }
        var dAttentionOut = dAfterOut
        if views.after.isApplied {
            scratch.attended.update(repeating: 0, count: N * D)
            Normalization.backward(
                dInput: scratch.attended, gradients: gradients.after, dOut: dAfterOut, input: saved.attended,
                weights: views.after, saved: saved.after, rows: N, channels: D)
            dAttentionOut = UnsafePointer(scratch.attended)
        }
        let dQueryInput = views.before.isApplied ? scratch.normed : dInput
        if views.before.isApplied { scratch.normed.update(repeating: 0, count: N * D) }
        Attention.backward(
            dQueryInput: dQueryInput, dKeyValueInput: dKeyValues ?? dQueryInput,
            gradients: gradients.attention,
            dOut: dAttentionOut, queryInput: saved.before.out,
            keyValueInput: keyValues ?? UnsafePointer(saved.before.out), weights: views.attention,
            saved: saved.attention, scratch: pass.scratch.attention,
            shape: context.attentionShape(cross: keyValues != nil),
            dropout: context.mask(
                context.attentionDropoutRate, .attentionProbabilities(block: block), layer: pass.layer))
        if views.before.isApplied {
            Normalization.backward(
                dInput: dInput, gradients: gradients.before, dOut: scratch.normed, input: input,
                weights: views.before, saved: saved.before, rows: N, channels: D)
        }
    }
}

enum FeedForwardBlock {
    /// layer output = end(input * gain + FFN(input)); `end` is the swinv2 layer-end norm when present.
    static func forward(_ pass: LayerPass, saved: LayerActivations, input: UnsafePointer<Float>) {
        let context = pass.context
        let (N, D) = (context.rows, context.channels)
        FFN.forward(
            out: saved.feedForwardOut, saved: saved.feedForward, input: input,
            weights: pass.weights.feedForward, shape: context.feedForwardShape,
            scratch: pass.scratch.feedForward,
            hiddenDropout: context.mask(context.activationDropoutRate, .hidden, layer: pass.layer),
            outputDropout: context.mask(context.dropoutRate, .feedForwardOutput, layer: pass.layer))
        VectorMath.scaledAdd(out: saved.sum, input, alpha: context.residualGain, saved.feedForwardOut, N * D)
        Normalization.forward(saved.end, input: saved.sum, weights: pass.weights.end, rows: N, channels: D)
    }

    /// Accumulates into dInput and the parameter gradients; dOut is the gradient of the layer output.
    static func backward(
        _ pass: LayerPass, dInput: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
        saved: LayerActivations, input: UnsafePointer<Float>
    ) {
        let context = pass.context
        let (N, D) = (context.rows, context.channels)
        let gradients = pass.gradients!
        var dSum = dOut
        if pass.weights.end.isApplied {
            let buffer = pass.scratch.gradients.layerSum!  // allocated wherever a layer-end norm applies
            buffer.update(repeating: 0, count: N * D)
            Normalization.backward(
                dInput: buffer, gradients: gradients.end, dOut: dOut, input: saved.sum,
                weights: pass.weights.end, saved: saved.end, rows: N, channels: D)
            dSum = UnsafePointer(buffer)
        }
        VectorMath.scaledAdd(out: dInput, dSum, alpha: context.residualGain, dInput, N * D)
        FFN.backward(
            dInput: dInput, gradients: gradients.feedForward, dOut: dSum, input: input,
            weights: pass.weights.feedForward, saved: saved.feedForward, shape: context.feedForwardShape,
            scratch: pass.scratch.feedForward,
            hiddenDropout: context.mask(context.activationDropoutRate, .hidden, layer: pass.layer),
            outputDropout: context.mask(context.dropoutRate, .feedForwardOutput, layer: pass.layer))
    }
}

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
    /// `keyValues` nil: self-attention on the normed input; else cross-attention on the encoder output.
    static func forward(
        saved: AttentionBlockActivations, input: UnsafePointer<Float>, keyValues: UnsafePointer<Float>?,
        keyMask: UnsafePointer<Float>?, tensors: AttentionTensors, parameters: UnsafeMutablePointer<Float>,
        context: StackContext, layer: Int, block: Int, scratch: BackwardScratch
    ) {
        let (N, D) = (context.rows, context.channels)
        let weights = AttentionWeights(tensors, kind: context.kind, in: parameters)
        Normalization.forward(
            saved.before, input: input,
            weights: NormWeights(tensors.before, kind: context.kind, in: parameters),
            rows: N, channels: D)
        Attention.forward(
            out: saved.attended, saved: saved.attention, queryInput: saved.before.out,
            keyValueInput: keyValues ?? UnsafePointer(saved.before.out), keyMask: keyMask, weights: weights,
            shape: context.attentionShape(cross: keyValues != nil),
            dropout: context.mask(
                context.attentionDropoutRate, .attentionProbabilities(block: block), layer: layer))
        Normalization.forward(
            saved.after, input: saved.attended,
            weights: NormWeights(tensors.after, kind: context.kind, in: parameters),
            rows: N, channels: D)
        var branch = UnsafePointer(saved.after.out)
        if let dropout = context.mask(context.dropoutRate, .attentionOutput(block: block), layer: layer) {
            dropout.apply(out: saved.output, input: saved.after.out, count: N * D)
            branch = UnsafePointer(saved.output)
        }
        VectorMath.scaledAdd(out: saved.output, input, alpha: context.residualGain, branch, N * D)
    }

    /// Accumulates into dInput (and dKeyValues for cross-attention) and the parameter gradients.
    static func backward(
        dInput: UnsafeMutablePointer<Float>, dKeyValues: UnsafeMutablePointer<Float>?,
        dOut: UnsafePointer<Float>,
        saved: AttentionBlockActivations, input: UnsafePointer<Float>, keyValues: UnsafePointer<Float>?,
        tensors: AttentionTensors, parameters: UnsafeMutablePointer<Float>,
        gradients: UnsafeMutablePointer<Float>,
        context: StackContext, layer: Int, block: Int, scratch: BackwardScratch
    ) {
        let (N, D) = (context.rows, context.channels)
        let kind = context.kind
        let (before, after) = (
            NormWeights(tensors.before, kind: kind, in: parameters),
            NormWeights(tensors.after, kind: kind, in: parameters)
        )
        VectorMath.scaledAdd(out: dInput, dOut, alpha: context.residualGain, dInput, N * D)
        let (dBranch, dAttended, dNormed) = (scratch.gradients[5], scratch.gradients[6], scratch.gradients[7])
        var dAfterOut = dOut
        if let dropout = context.mask(context.dropoutRate, .attentionOutput(block: block), layer: layer) {
            dropout.apply(out: dBranch, input: dOut, count: N * D)
            dAfterOut = UnsafePointer(dBranch)
        }
        var dAttentionOut = dAfterOut
        if after.isApplied {
            dAttended.update(repeating: 0, count: N * D)
            Normalization.backward(
                dInput: dAttended, gradients: NormWeights(tensors.after, kind: kind, in: gradients),
                dOut: dAfterOut,
                input: saved.attended, weights: after, saved: saved.after, rows: N, channels: D)
            dAttentionOut = UnsafePointer(dAttended)
        }
        let dQueryInput = before.isApplied ? dNormed : dInput
        if before.isApplied { dNormed.update(repeating: 0, count: N * D) }
        Attention.backward(
            dQueryInput: dQueryInput, dKeyValueInput: dKeyValues ?? dQueryInput,
            gradients: AttentionWeights(tensors, kind: kind, in: gradients), dOut: dAttentionOut,
            queryInput: saved.before.out, keyValueInput: keyValues ?? UnsafePointer(saved.before.out),
            weights: AttentionWeights(tensors, kind: kind, in: parameters), saved: saved.attention,
            scratch: scratch.attention, shape: context.attentionShape(cross: keyValues != nil),
            dropout: context.mask(
                context.attentionDropoutRate, .attentionProbabilities(block: block), layer: layer))
        if before.isApplied {
            Normalization.backward(
                dInput: dInput, gradients: NormWeights(tensors.before, kind: kind, in: gradients),
                dOut: dNormed,
                input: input, weights: before, saved: saved.before, rows: N, channels: D)
        }
    }
}

enum FeedForwardBlock {
    /// layer output = end(input * gain + FFN(input)); `end` is the swinv2 layer-end norm when present.
    static func forward(
        saved: LayerActivations, input: UnsafePointer<Float>, tensors: LayerTensors,
        parameters: UnsafeMutablePointer<Float>, context: StackContext, layer: Int, scratch: BackwardScratch
    ) {
        let (N, D) = (context.rows, context.channels)
        FFN.forward(
            out: saved.feedForwardOut, saved: saved.feedForward, input: input,
            weights: FeedForwardWeights(tensors.feedForward, kind: context.kind, in: parameters),
            shape: context.feedForwardShape, scratch: scratch.feedForward,
            hiddenDropout: context.mask(context.activationDropoutRate, .hidden, layer: layer),
            outputDropout: context.mask(context.dropoutRate, .feedForwardOutput, layer: layer))
        VectorMath.scaledAdd(out: saved.sum, input, alpha: context.residualGain, saved.feedForwardOut, N * D)
        Normalization.forward(
            saved.end, input: saved.sum,
            weights: NormWeights(tensors.end, kind: context.kind, in: parameters),
            rows: N, channels: D)
    }

    /// Accumulates into dInput and the parameter gradients; dOut is the gradient of the layer output.
    static func backward(
        dInput: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, saved: LayerActivations,
        input: UnsafePointer<Float>, tensors: LayerTensors, parameters: UnsafeMutablePointer<Float>,
        gradients: UnsafeMutablePointer<Float>, context: StackContext, layer: Int, scratch: BackwardScratch
    ) {
        let (N, D) = (context.rows, context.channels)
        let end = NormWeights(tensors.end, kind: context.kind, in: parameters)
        var dSum = dOut
        if end.isApplied {
            let buffer = scratch.gradients[2]
            buffer.update(repeating: 0, count: N * D)
            Normalization.backward(
                dInput: buffer, gradients: NormWeights(tensors.end, kind: context.kind, in: gradients),
                dOut: dOut,
                input: saved.sum, weights: end, saved: saved.end, rows: N, channels: D)
            dSum = UnsafePointer(buffer)
        }
        VectorMath.scaledAdd(out: dInput, dSum, alpha: context.residualGain, dInput, N * D)
        FFN.backward(
            dInput: dInput,
            gradients: FeedForwardWeights(tensors.feedForward, kind: context.kind, in: gradients),
            dOut: dSum, input: input,
            weights: FeedForwardWeights(tensors.feedForward, kind: context.kind, in: parameters),
            saved: saved.feedForward, shape: context.feedForwardShape, scratch: scratch.feedForward,
            hiddenDropout: context.mask(context.activationDropoutRate, .hidden, layer: layer),
            outputDropout: context.mask(context.dropoutRate, .feedForwardOutput, layer: layer))
    }
}

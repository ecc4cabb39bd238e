// dalle-mini's feed-forward blocks (docs/MODEL.md §4.5), GLU (use_glu) and plain FFN sharing one
// code path: input norm, Dense_0 (+ GLU's Dense_1), activation, hidden norm, activation dropout,
// output Dense, output norm, dropout. Which norms apply comes from the NormPlan booleans.

/// Parameter (or gradient) pointers of one GLU_0 / FFN_0 block.
struct FeedForwardWeights {
    var input, hidden, outputNorm: NormWeights
    var gate: LinearWeights  // Dense_0 (d, F)
    var linear: LinearWeights?  // GLU's Dense_1 (d, F)
    var output: LinearWeights  // last Dense (F, d)

    init(_ tensors: FeedForwardTensors, kind: NormKind, in base: UnsafeMutablePointer<Float>) {
        input = NormWeights(tensors.input, kind: kind, in: base)
        hidden = NormWeights(tensors.hidden, kind: kind, in: base)
        outputNorm = NormWeights(tensors.outputNorm, kind: kind, in: base)
        gate = LinearWeights(tensors.gate, in: base)
        linear = tensors.linear.map { LinearWeights($0, in: base) }
        output = LinearWeights(tensors.output, in: base)
    }
}

/// What the block saves for backward (norm outputs alias their inputs where a norm is absent).
struct FeedForwardActivations {
    var input: NormActivations  // (N, D)
    var gate: UnsafeMutablePointer<Float>  // (N, F) Dense_0 output, replaced by act'(it) in forward
    var activated: UnsafeMutablePointer<Float>  // (N, F) act(gate)
    var linear: UnsafeMutablePointer<Float>  // (N, F) GLU's Dense_1 output (GLU only)
    var hidden: UnsafeMutablePointer<Float>  // (N, F) activated * linear (GLU, in the scratch) or activated
    var hiddenNorm: NormActivations  // (N, F) out in the scratch where the norm applies
    var projected: UnsafeMutablePointer<Float>  // (N, D) last Dense output
    var outputNorm: NormActivations  // (N, D)
}

/// Overwritten scratch for the block. Forward writes the GLU product (`product`), the hidden
/// norm's output (`hiddenPre`) and the dropped hidden values there; backward recomputes them.
struct FeedForwardScratch {
    var hidden: UnsafeMutablePointer<Float>  // (N, F)
    var hiddenPre: UnsafeMutablePointer<Float>  // (N, F) the hidden norm's output until its gradient
    var product: UnsafeMutablePointer<Float>  // (N, F) the GLU product
    var dropped: UnsafeMutablePointer<Float>  // (N, D)
    var projected: UnsafeMutablePointer<Float>  // (N, D)
    var normed: UnsafeMutablePointer<Float>  // (N, D)
    /// The dropped hidden values overwrite the hidden norm's output (dropout runs in place):
    /// backward needs only the norm's input.
    var droppedHidden: UnsafeMutablePointer<Float> { hiddenPre }
    /// The GLU's linear-branch gradient: written after the product's last read.
    var linear: UnsafeMutablePointer<Float> { product }
}

struct FeedForwardShape {
    var rows: Int
    var channels: Int
    var width: Int
    var activation: ActivationKind
}

enum FFN {
    /// out = dropout(outNorm(dropoutₐ(hiddenNorm(h)) · W_out + b)), h = act(x̂ W0) ⊙ (x̂ W1) or act(x̂ W0).
    static func forward(
        out: UnsafeMutablePointer<Float>,  // (N, D)
        saved: FeedForwardActivations,
        input: UnsafePointer<Float>,  // (N, D)
        weights: FeedForwardWeights, shape: FeedForwardShape, scratch: FeedForwardScratch,
        hiddenDropout: DropoutMask?, outputDropout: DropoutMask?
    ) {
        let (N, D, F) = (shape.rows, shape.channels, shape.width)
        Normalization.forward(saved.input, input: input, weights: weights.input, rows: N, channels: D)
        Linear.forward(
            out: saved.gate, input: saved.input.out, kernel: weights.gate.kernel, bias: weights.gate.bias,
            rows: N,
            inputs: D, outputs: F)
        if let linear = weights.linear {
            Linear.forward(
                out: saved.linear, input: saved.input.out, kernel: linear.kernel, bias: linear.bias, rows: N,
                inputs: D, outputs: F)
            GLU.forward(
                product: saved.hidden, activated: saved.activated, gateThenSlope: saved.gate,
                linear: saved.linear, activation: shape.activation, count: N * F)
        } else {
            Activation.forwardKeepingSlope(
                shape.activation, out: saved.activated, inputThenSlope: saved.gate, count: N * F)
        }
        Normalization.forward(
            saved.hiddenNorm, input: saved.hidden, weights: weights.hidden, rows: N, channels: F)
        var projectionInput = UnsafePointer(saved.hiddenNorm.out)
        if let hiddenDropout {
            hiddenDropout.apply(out: scratch.droppedHidden, input: saved.hiddenNorm.out, count: N * F)
            projectionInput = UnsafePointer(scratch.droppedHidden)
        }
        Linear.forward(
            out: saved.projected, input: projectionInput, kernel: weights.output.kernel,
            bias: weights.output.bias,
            rows: N, inputs: F, outputs: D)
        Normalization.forward(
            saved.outputNorm, input: saved.projected, weights: weights.outputNorm, rows: N, channels: D)
        if let outputDropout {
            outputDropout.apply(out: out, input: saved.outputNorm.out, count: N * D)
        } else {
            out.update(from: saved.outputNorm.out, count: N * D)
        }
    }
}

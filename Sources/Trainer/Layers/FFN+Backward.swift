// Backward of the feed-forward block, in reverse order of FFN.forward.

extension FFN {
    /// Accumulates into dInput and every weight gradient in `gradients`.
    static func backward(
        dInput: UnsafeMutablePointer<Float>,  // (N, D)
        gradients: FeedForwardWeights,
        dOut: UnsafePointer<Float>,  // (N, D)
        input: UnsafePointer<Float>,  // (N, D)
        weights: FeedForwardWeights, saved: FeedForwardActivations, shape: FeedForwardShape,
        scratch: FeedForwardScratch, hiddenDropout: DropoutMask?, outputDropout: DropoutMask?
    ) {
        let (N, D, F) = (shape.rows, shape.channels, shape.width)
        var dNormed = dOut
        if let outputDropout {
            outputDropout.apply(out: scratch.dropped, input: dOut, count: N * D)
            dNormed = UnsafePointer(scratch.dropped)
        }
        var dProjected = dNormed
        if weights.outputNorm.isApplied {
            scratch.projected.update(repeating: 0, count: N * D)
            Normalization.backward(
                dInput: scratch.projected, gradients: gradients.outputNorm, dOut: dNormed,
                input: saved.projected,
                weights: weights.outputNorm, saved: saved.outputNorm, rows: N, channels: D)
            dProjected = UnsafePointer(scratch.projected)
        }
        recomputeHidden(saved: saved, weights: weights, shape: shape)
        var projectionInput = UnsafePointer(saved.hiddenNorm.out)
        if let hiddenDropout {
            hiddenDropout.apply(out: scratch.droppedHidden, input: saved.hiddenNorm.out, count: N * F)
            projectionInput = UnsafePointer(scratch.droppedHidden)
        }
        Linear.backward(
            dInput: scratch.hidden, dKernel: gradients.output.kernel, dBias: gradients.output.bias,
            dOut: dProjected,
            input: projectionInput, kernel: weights.output.kernel, rows: N, inputs: F, outputs: D,
            inputMode: .overwrite)
        hiddenDropout?.apply(out: scratch.hidden, input: scratch.hidden, count: N * F)
        var dHidden = scratch.hidden
        if weights.hidden.isApplied {
            scratch.hiddenPre.update(repeating: 0, count: N * F)
            Normalization.backward(
                dInput: scratch.hiddenPre, gradients: gradients.hidden, dOut: scratch.hidden,
                input: saved.hidden,
                weights: weights.hidden, saved: saved.hiddenNorm, rows: N, channels: F)
            dHidden = scratch.hiddenPre
        }
        // dGate goes to whichever (N, F) scratch dHidden is not; scratch.normed collects both input Denses.
        var gateMode = GradientMode.overwrite
        let dGate = dHidden == scratch.hidden ? scratch.hiddenPre : scratch.hidden
        if let linear = weights.linear, let dLinearWeights = gradients.linear {
            GLU.backward(
                dGate: dGate, dLinear: scratch.linear, dProduct: dHidden, slope: saved.gate,
                activated: saved.activated, linear: saved.linear, count: N * F)
            Linear.backward(
                dInput: scratch.normed, dKernel: dLinearWeights.kernel, dBias: dLinearWeights.bias,
                dOut: scratch.linear, input: saved.input.out, kernel: linear.kernel, rows: N, inputs: D,
                outputs: F, inputMode: .overwrite)
            gateMode = .accumulate
        } else {
            Activation.backward(
                dInput: dGate, dOut: dHidden, slope: saved.gate, count: N * F, mode: .overwrite)
        }
        Linear.backward(
            dInput: scratch.normed, dKernel: gradients.gate.kernel, dBias: gradients.gate.bias, dOut: dGate,
            input: saved.input.out, kernel: weights.gate.kernel, rows: N, inputs: D, outputs: F,
            inputMode: gateMode)
        if weights.input.isApplied {
            Normalization.backward(
                dInput: dInput, gradients: gradients.input, dOut: scratch.normed, input: input,
                weights: weights.input, saved: saved.input, rows: N, channels: D)
        } else {
            VectorMath.add(scratch.normed, into: dInput, N * D)
        }
    }

    /// Writes the GLU product and the hidden norm's output again, as forward did: they live in the
    /// scratch (ModelActivations), which other layers overwrote since.
    static func recomputeHidden(
        saved: FeedForwardActivations, weights: FeedForwardWeights, shape: FeedForwardShape
    ) {
        let count = shape.rows * shape.width
        if weights.linear != nil {
            GLU.multiply(
                product: saved.hidden, activated: saved.activated, linear: saved.linear, count: count)
        }
        Normalization.recompute(
            saved.hiddenNorm, input: saved.hidden, weights: weights.hidden, rows: shape.rows,
            channels: shape.width)
    }
}

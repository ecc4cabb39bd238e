// The whole-model backward: the forward's layer calls in reverse order.

extension DalleBart {
    /// Accumulates d(loss)/d(parameters) * gradientScale into `gradients` for the last forward,
    /// which must have been given the same `gradients` and `gradientScale` (it did the LM head's
    /// part). Callers zero the gradients once per step; micro-batches accumulate.
    public func backward(parameters: FlatBuffer, gradients: FlatBuffer, gradientScale: Float) {
        precondition(rows > 0, "backward before forward")
        precondition(parameters.count == layout.count && gradients.count == layout.count)
        guard let pending = pendingGradient, pending.buffer == gradients.pointer,
            pending.scale == gradientScale
        else {
            preconditionFailure("backward needs a forward given the same gradients and gradient scale")
        }
        pendingGradient = nil
        let (S, T, D) = (config.maxTextLength, config.imageLength, config.dModel)
        let (p, g) = (parameters.pointer, gradients.pointer)
        // The forward left the head's input gradient in the first stream.
        let buffers = [saved.scratch.gradients.stream.0, saved.scratch.gradients.stream.1]
        var start = Self.now()
        let decoder = context(isDecoder: true)
        var current = finalNormBackward(
            tensors.decoder, saved.decoder, dOut: buffers[0], spare: buffers[1], rows: rows * T, p: p, g: g)
        var spare = current == buffers[0] ? buffers[1] : buffers[0]
        let dEncoder = saved.scratch.dEncoder
        dEncoder.update(repeating: 0, count: rows * S * D)
        let encoderOutput = UnsafePointer(saved.encoder.final.out)
        let decoderPass = StackPass(
            tensors.decoder, context: decoder, parameters: p, gradients: g, scratch: saved.scratch)
        for l in saved.decoder.layers.indices.reversed() {
            let input = saved.decoder.input(of: l)
            if recomputes(saved.decoder, layer: l) {
                DecoderLayer.forward(
                    decoderPass.layer(l), saved: saved.decoder.layers[l], input: input,
                    encoderOutput: encoderOutput, keyMask: saved.keyMask)
            }
            spare.update(repeating: 0, count: rows * T * D)
            DecoderLayer.backward(
                decoderPass.layer(l), dInput: spare, dEncoderOutput: dEncoder, dOut: current,
                saved: saved.decoder.layers[l], input: input, encoderOutput: encoderOutput)
            swap(&current, &spare)
        }
        phaseSeconds.decoderBackward = Self.seconds(since: start)
        start = Self.now()
        embeddingBackward(
            tensors.decoder, saved.decoder, ids: decoderInputIDs, dOut: current, spare: spare,
            context: decoder, p: p, g: g)
        var embeddingSeconds = Self.seconds(since: start)

        start = Self.now()
        let encoder = context(isDecoder: false)
        current = finalNormBackward(
            tensors.encoder, saved.encoder, dOut: dEncoder, spare: buffers[0], rows: rows * S, p: p, g: g)
        if current == dEncoder {
            buffers[0].update(from: dEncoder, count: rows * S * D)
            current = buffers[0]
        }
        spare = buffers[1]
        let encoderPass = StackPass(
            tensors.encoder, context: encoder, parameters: p, gradients: g, scratch: saved.scratch)
        for l in saved.encoder.layers.indices.reversed() {
            let input = saved.encoder.input(of: l)
            if recomputes(saved.encoder, layer: l) {
                EncoderLayer.forward(
                    encoderPass.layer(l), saved: saved.encoder.layers[l], input: input, keyMask: saved.keyMask
                )
            }
            spare.update(repeating: 0, count: rows * S * D)
            EncoderLayer.backward(
                encoderPass.layer(l), dInput: spare, dOut: current, saved: saved.encoder.layers[l],
                input: input)
            swap(&current, &spare)
        }
        phaseSeconds.encoderBackward = Self.seconds(since: start)
        start = Self.now()
        embeddingBackward(
            tensors.encoder, saved.encoder, ids: inputIDs, dOut: current, spare: spare, context: encoder,
            p: p, g: g)
        embeddingSeconds += Self.seconds(since: start)
        phaseSeconds.embeddingsBackward = embeddingSeconds
    }

    /// True when layer `l`'s activations must be recomputed before its backward: with gradient
    /// checkpointing, every layer but the decoder's last (whose forward left them in place).
    private func recomputes(_ stack: StackActivations, layer l: Int) -> Bool {
        stack.checkpoints != nil && !(stack.keepsLastLayer && l == stack.layers.count - 1)
    }

    /// The gradient of the final norm's input: `spare` when the norm applies, else `dOut` itself.
    private func finalNormBackward(
        _ t: StackTensors, _ stack: StackActivations, dOut: UnsafeMutablePointer<Float>,
        spare: UnsafeMutablePointer<Float>, rows: Int, p: UnsafeMutablePointer<Float>,
        g: UnsafeMutablePointer<Float>
    ) -> UnsafeMutablePointer<Float> {
        let weights = NormWeights(t.final, kind: config.lnType, in: p)
        guard weights.isApplied else { return dOut }
        let D = config.dModel
        let input = UnsafePointer(stack.lastOutput)
        spare.update(repeating: 0, count: rows * D)
        Normalization.backward(
            dInput: spare, gradients: NormWeights(t.final, kind: config.lnType, in: g), dOut: dOut,
            input: input,
            weights: weights, saved: stack.final, rows: rows, channels: D)
        return spare
    }

    /// Embedding dropout, layernorm_embedding and the token/position scatter-add, in reverse.
    /// `dOut` (the gradient of layer 0's input) is modified in place.
    private func embeddingBackward(
        _ t: StackTensors, _ stack: StackActivations, ids: UnsafePointer<Int32>,
        dOut: UnsafeMutablePointer<Float>,
        spare: UnsafeMutablePointer<Float>, context: StackContext, p: UnsafeMutablePointer<Float>,
        g: UnsafeMutablePointer<Float>
    ) {
        let (N, D) = (context.rows, config.dModel)
        context.mask(config.dropout, .embedding, layer: -1)?.apply(out: dOut, input: dOut, count: N * D)
        spare.update(repeating: 0, count: N * D)
        Normalization.backward(
            dInput: spare, gradients: NormWeights(t.embeddingNorm, kind: config.lnType, in: g), dOut: dOut,
            input: stack.embedded, weights: NormWeights(t.embeddingNorm, kind: config.lnType, in: p),
            saved: stack.embeddingNorm, rows: N, channels: D)
        Embedding.backward(
            dTable: g + t.tokens, dPositions: t.positions.map { g + $0 }, dOut: spare, ids: ids,
            tokenScale: tokenScale,
            rows: N, length: context.length, channels: D)
    }
}

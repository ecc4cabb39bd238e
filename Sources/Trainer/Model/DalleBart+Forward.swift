// The whole-model forward (like llm.c's gpt2_forward): embed, encoder layers, final norm,
// decoder layers, final norm, then the LM head and cross-entropy fused over chunks of rows (which
// also differentiate the loss when given the gradients). A straight sequence of layer calls.
import Shards

extension DalleBart {
    /// Forward in training mode (dropout from `dropout`, none when nil); returns the mean loss over
    /// the rows of `batch` (`batch.size <= batchSize`). With `gradients`, the LM head's gradients
    /// are accumulated there (times `gradientScale`) and what `backward` needs is saved; `backward`
    /// then completes the gradient with the same buffer and scale.
    public func forward(
        parameters: FlatBuffer, batch: Batch, dropout: DropoutKey?, gradients: FlatBuffer? = nil,
        gradientScale: Float = 1
    ) -> Float {
        precondition(
            parameters.count == layout.count,
            "parameters hold \(parameters.count) Floats, layout \(layout.count)")
        precondition(
            batch.size >= 1 && batch.size <= batchSize,
            "batch of \(batch.size) rows for an arena of \(batchSize)")
        precondition(batch.textLength == config.maxTextLength && batch.imageLength == config.imageLength)
        rows = batch.size
        dropoutKey = dropout
        let (S, T, D, V) = (config.maxTextLength, config.imageLength, config.dModel, config.imageClasses)
        let p = parameters.pointer
        var start = Self.now()
        copyTokens(batch)
        let encoder = context(isDecoder: false)
        let decoder = context(isDecoder: true)
        embed(tensors.encoder, saved.encoder, ids: inputIDs, context: encoder, parameters: p)
        embed(tensors.decoder, saved.decoder, ids: decoderInputIDs, context: decoder, parameters: p)
        phaseSeconds.embeddingsForward = Self.seconds(since: start)

        start = Self.now()
        var hidden = saved.encoder.embeddingNorm.out
        let encoderPass = StackPass(tensors.encoder, context: encoder, parameters: p, scratch: saved.scratch)
        for (l, layer) in saved.encoder.layers.enumerated() {
            EncoderLayer.forward(encoderPass.layer(l), saved: layer, input: hidden, keyMask: saved.keyMask)
            hidden = keepOutput(saved.encoder, layer: l, rows: rows * S)
        }
        Normalization.forward(
            saved.encoder.final, input: hidden,
            weights: NormWeights(tensors.encoder.final, kind: config.lnType, in: p),
            rows: rows * S, channels: D)
        let encoderOutput = UnsafePointer(saved.encoder.final.out)
        phaseSeconds.encoderForward = Self.seconds(since: start)

        start = Self.now()
        hidden = saved.decoder.embeddingNorm.out
        let decoderPass = StackPass(tensors.decoder, context: decoder, parameters: p, scratch: saved.scratch)
        for (l, layer) in saved.decoder.layers.enumerated() {
            DecoderLayer.forward(
                decoderPass.layer(l), saved: layer, input: hidden, encoderOutput: encoderOutput,
                keyMask: saved.keyMask)
            hidden = keepOutput(saved.decoder, layer: l, rows: rows * T)
        }
        Normalization.forward(
            saved.decoder.final, input: hidden,
            weights: NormWeights(tensors.decoder.final, kind: config.lnType, in: p),
            rows: rows * T, channels: D)
        phaseSeconds.decoderForward = Self.seconds(since: start)

        start = Self.now()
        if let gradients {
            precondition(gradients.count == layout.count, "gradients hold \(gradients.count) Floats")
        }
        // The head's input gradient goes where backward starts: the first gradient stream.
        let head = gradients.map {
            HeadGradients(
                dHidden: saved.scratch.gradients.stream.0, dKernel: $0.pointer + tensors.lmHead,
                scale: gradientScale / Float(rows * T))
        }
        let loss = LanguageModelHead.forward(
            hidden: saved.decoder.final.out, kernel: p + tensors.lmHead, labels: labels,
            chunk: saved.headChunk,
            rows: rows * T, channels: D, classes: V, gradients: head)
        pendingGradient = gradients.map { (buffer: $0.pointer, scale: gradientScale) }
        phaseSeconds.head = Self.seconds(since: start)
        return loss
    }

    /// Layer `l`'s output for the next layer: copied into its checkpoint when the layers are
    /// recomputed (the shared activations are overwritten by the next layer), else in place.
    private func keepOutput(_ stack: StackActivations, layer l: Int, rows: Int) -> UnsafeMutablePointer<Float>
    {
        let output = stack.output(of: l)
        let computed = stack.layers[l].end.out
        if output != computed { output.update(from: computed, count: rows * config.dModel) }
        return output
    }

    /// Copies the batch's token arrays into the preallocated buffers. Every id is brought into its
    /// table's range here (NOTE(divergence): none; dalle-mini's gathers clamp the same way), so the
    /// embedding gathers and scatters, compiled without bounds checks, stay inside their tables
    /// whatever a batch holds. The reader already clamps text ids and import validates codes, so for
    /// training data this changes nothing; the debug build still asserts.
    private func copyTokens(_ batch: Batch) {
        let (S, T) = (config.maxTextLength, config.imageLength)
        let (lastText, lastImage) = (Int32(config.encoderVocabSize - 1), Int32(config.imageClasses - 1))
        for i in 0..<rows * S {
            let id = batch.inputIDs[i]
            assert(id >= 0 && id <= lastText, "input id \(id) outside [0, encoder_vocab_size)")
            inputIDs[i] = min(max(id, 0), lastText)
            saved.keyMask[i] = batch.attentionMask[i] != 0 ? 1 : 0
        }
        for i in 0..<rows * T {
            let (id, label) = (batch.decoderInputIDs[i], batch.labels[i])
            assert(id >= 0 && id <= lastImage, "decoder input id \(id) outside [0, image_vocab_size]")
            assert(label >= 0 && label <= lastImage, "label \(label) outside [0, image_vocab_size]")
            decoderInputIDs[i] = min(max(id, 0), lastImage)
            labels[i] = min(max(label, 0), lastImage)
        }
    }

    /// embedded = tokens[ids] * (sqrt(D) if scale_embedding) + positions; then layernorm_embedding and dropout.
    private func embed(
        _ t: StackTensors, _ stack: StackActivations, ids: UnsafePointer<Int32>, context: StackContext,
        parameters p: UnsafeMutablePointer<Float>
    ) {
        let D = config.dModel
        Embedding.forward(
            out: stack.embedded, ids: ids, table: p + t.tokens,
            positions: t.positions.map { UnsafePointer(p + $0) },
            tokenScale: tokenScale, rows: context.rows, length: context.length, channels: D,
            roundsToFloat16: roundsEmbeddingsToFloat16)
        Normalization.forward(
            stack.embeddingNorm, input: stack.embedded,
            weights: NormWeights(t.embeddingNorm, kind: config.lnType, in: p),
            rows: context.rows, channels: D)
        if let mask = context.mask(config.dropout, .embedding, layer: -1) {
            mask.apply(out: stack.embeddingNorm.out, input: stack.embeddingNorm.out, count: context.rows * D)
        }
    }

    var tokenScale: Float { config.tokenScale }
}

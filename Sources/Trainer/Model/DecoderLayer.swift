// One decoder layer (docs/MODEL.md §4.3): causal self-attention block, cross-attention block over
// the encoder output, feed-forward block, optional swinv2 end norm, as a straight sequence.

enum DecoderLayer {
    /// saved.end.out = layer(input, encoderOutput); `keyMask` (B, S) masks padded text keys.
    static func forward(
        _ pass: LayerPass, saved: LayerActivations, input: UnsafePointer<Float>,
        encoderOutput: UnsafePointer<Float>, keyMask: UnsafePointer<Float>
    ) {
        let cross = saved.crossAttention!
        AttentionBlock.forward(
            pass, block: 0, saved: saved.selfAttention, input: input, keyValues: nil, keyMask: nil)
        AttentionBlock.forward(
            pass, block: 1, saved: cross, input: saved.selfAttention.output, keyValues: encoderOutput,
            keyMask: keyMask)
        FeedForwardBlock.forward(pass, saved: saved, input: cross.output)
    }

    /// Accumulates into dInput, dEncoderOutput and the parameter gradients; dOut is the gradient of
    /// the layer output.
    static func backward(
        _ pass: LayerPass, dInput: UnsafeMutablePointer<Float>, dEncoderOutput: UnsafeMutablePointer<Float>,
        dOut: UnsafePointer<Float>, saved: LayerActivations, input: UnsafePointer<Float>,
        encoderOutput: UnsafePointer<Float>
    ) {
        let cross = saved.crossAttention!
        let count = pass.context.rows * pass.context.channels
        let scratch = pass.scratch.gradients
        let (dAfterCross, dAfterSelf) = (scratch.beforeFeedForward, scratch.beforeCrossAttention)
        dAfterCross.update(repeating: 0, count: count)
        dAfterSelf.update(repeating: 0, count: count)
        FeedForwardBlock.backward(pass, dInput: dAfterCross, dOut: dOut, saved: saved, input: cross.output)
        AttentionBlock.backward(
            pass, block: 1, dInput: dAfterSelf, dKeyValues: dEncoderOutput, dOut: dAfterCross, saved: cross,
            input: saved.selfAttention.output, keyValues: encoderOutput)
        AttentionBlock.backward(
            pass, block: 0, dInput: dInput, dKeyValues: nil, dOut: dAfterSelf, saved: saved.selfAttention,
            input: input, keyValues: nil)
    }
}

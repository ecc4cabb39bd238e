// One encoder layer (docs/MODEL.md §4.3): self-attention block, feed-forward block, optional
// swinv2 end norm, as a straight sequence.

enum EncoderLayer {
    /// saved.end.out = layer(input); `keyMask` (B, S) masks padded text keys.
    static func forward(
        _ pass: LayerPass, saved: LayerActivations, input: UnsafePointer<Float>, keyMask: UnsafePointer<Float>
    ) {
        AttentionBlock.forward(
            pass, block: 0, saved: saved.selfAttention, input: input, keyValues: nil, keyMask: keyMask)
        FeedForwardBlock.forward(pass, saved: saved, input: saved.selfAttention.output)
    }

    /// Accumulates into dInput and the parameter gradients; dOut is the gradient of the layer output.
    static func backward(
        _ pass: LayerPass, dInput: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
        saved: LayerActivations, input: UnsafePointer<Float>
    ) {
        let dMid = pass.scratch.gradients.beforeFeedForward
        dMid.update(repeating: 0, count: pass.context.rows * pass.context.channels)
        FeedForwardBlock.backward(
            pass, dInput: dMid, dOut: dOut, saved: saved, input: saved.selfAttention.output)
        AttentionBlock.backward(
            pass, block: 0, dInput: dInput, dKeyValues: nil, dOut: dMid, saved: saved.selfAttention,
            input: input, keyValues: nil)
    }
}

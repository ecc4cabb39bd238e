// One encoder layer (docs/MODEL.md §4.3): self-attention block, feed-forward block, optional
// swinv2 end norm, as a straight sequence.

enum EncoderLayer {
    /// saved.end.out = layer(input); `keyMask` (B, S) masks padded text keys.
    static func forward(
        saved: LayerActivations, input: UnsafePointer<Float>, keyMask: UnsafePointer<Float>,
        tensors: LayerTensors,
        parameters: UnsafeMutablePointer<Float>, context: StackContext, layer: Int, scratch: BackwardScratch
    ) {
        AttentionBlock.forward(
            saved: saved.selfAttention, input: input, keyValues: nil, keyMask: keyMask,
            tensors: tensors.selfAttention, parameters: parameters, context: context, layer: layer, block: 0,
            scratch: scratch)
        FeedForwardBlock.forward(
            saved: saved, input: saved.selfAttention.output, tensors: tensors, parameters: parameters,
            context: context, layer: layer, scratch: scratch)
    }

    /// Accumulates into dInput and the parameter gradients; dOut is the gradient of the layer output.
    /// Uses scratch.gradients[3] for the gradient between the two blocks.
    static func backward(
        dInput: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, saved: LayerActivations,
        input: UnsafePointer<Float>, tensors: LayerTensors, parameters: UnsafeMutablePointer<Float>,
        gradients: UnsafeMutablePointer<Float>, context: StackContext, layer: Int, scratch: BackwardScratch
    ) {
        let dMid = scratch.gradients[3]
        dMid.update(repeating: 0, count: context.rows * context.channels)
        FeedForwardBlock.backward(
            dInput: dMid, dOut: dOut, saved: saved, input: saved.selfAttention.output, tensors: tensors,
            parameters: parameters, gradients: gradients, context: context, layer: layer, scratch: scratch)
        AttentionBlock.backward(
            dInput: dInput, dKeyValues: nil, dOut: dMid, saved: saved.selfAttention, input: input,
            keyValues: nil,
            tensors: tensors.selfAttention, parameters: parameters, gradients: gradients, context: context,
            layer: layer, block: 0, scratch: scratch)
    }
}

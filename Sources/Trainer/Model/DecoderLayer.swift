// One decoder layer (docs/MODEL.md §4.3): causal self-attention block, cross-attention block over
// the encoder output, feed-forward block, optional swinv2 end norm, as a straight sequence.

enum DecoderLayer {
    /// saved.end.out = layer(input, encoderOutput); `keyMask` (B, S) masks padded text keys.
    static func forward(
        saved: LayerActivations, input: UnsafePointer<Float>, encoderOutput: UnsafePointer<Float>,
        keyMask: UnsafePointer<Float>, tensors: LayerTensors, parameters: UnsafeMutablePointer<Float>,
        context: StackContext, layer: Int, scratch: BackwardScratch
    ) {
        let (cross, crossTensors) = (saved.crossAttention!, tensors.crossAttention!)
        AttentionBlock.forward(
            saved: saved.selfAttention, input: input, keyValues: nil, keyMask: nil,
            tensors: tensors.selfAttention,
            parameters: parameters, context: context, layer: layer, block: 0, scratch: scratch)
        AttentionBlock.forward(
            saved: cross, input: saved.selfAttention.output, keyValues: encoderOutput, keyMask: keyMask,
            tensors: crossTensors, parameters: parameters, context: context, layer: layer, block: 1,
            scratch: scratch)
        FeedForwardBlock.forward(
            saved: saved, input: cross.output, tensors: tensors, parameters: parameters, context: context,
            layer: layer, scratch: scratch)
    }

    /// Accumulates into dInput, dEncoderOutput and the parameter gradients; dOut is the gradient of
    /// the layer output. Uses scratch.gradients[3] and [4] between the blocks.
    static func backward(
        dInput: UnsafeMutablePointer<Float>, dEncoderOutput: UnsafeMutablePointer<Float>,
        dOut: UnsafePointer<Float>,
        saved: LayerActivations, input: UnsafePointer<Float>, encoderOutput: UnsafePointer<Float>,
        tensors: LayerTensors, parameters: UnsafeMutablePointer<Float>,
        gradients: UnsafeMutablePointer<Float>,
        context: StackContext, layer: Int, scratch: BackwardScratch
    ) {
        let (cross, crossTensors) = (saved.crossAttention!, tensors.crossAttention!)
        let count = context.rows * context.channels
        let (dAfterCross, dAfterSelf) = (scratch.gradients[3], scratch.gradients[4])
        dAfterCross.update(repeating: 0, count: count)
        dAfterSelf.update(repeating: 0, count: count)
        FeedForwardBlock.backward(
            dInput: dAfterCross, dOut: dOut, saved: saved, input: cross.output, tensors: tensors,
            parameters: parameters, gradients: gradients, context: context, layer: layer, scratch: scratch)
        AttentionBlock.backward(
            dInput: dAfterSelf, dKeyValues: dEncoderOutput, dOut: dAfterCross, saved: cross,
            input: saved.selfAttention.output, keyValues: encoderOutput, tensors: crossTensors,
            parameters: parameters, gradients: gradients, context: context, layer: layer, block: 1,
            scratch: scratch)
        AttentionBlock.backward(
            dInput: dInput, dKeyValues: nil, dOut: dAfterSelf, saved: saved.selfAttention, input: input,
            keyValues: nil, tensors: tensors.selfAttention, parameters: parameters, gradients: gradients,
            context: context, layer: layer, block: 0, scratch: scratch)
    }
}

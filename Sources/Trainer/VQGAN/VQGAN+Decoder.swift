// The VQGAN decoder (vqgan-jax `Decoder`) after post_quant_conv: conv_in, the mid section, the
// up levels from the deepest to level 0 with nearest ×2 upsampling fused into their
// convolution, norm_out, swish, conv_out.

extension VQGAN {
    /// Decodes a latent grid (grid² × embed_dim) into `pixels` (resolution² × out_ch).
    func runDecoder(latents: UnsafePointer<Float>, pixels: UnsafeMutablePointer<Float>, trace: VQGANTrace?) {
        let c = config
        let layout = weights.layout
        var side = c.gridSide
        let deepest = c.levelChannels(c.levels - 1)
        let quantized = workspace.activations[2]
        convolutionMultiplyAdds += side * side * c.embeddingDimension * c.latentChannels
        SpatialAttention.pointwise(
            out: quantized, input: latents, conv: layout.postQuantConv, weights: weights, pixels: side * side)
        trace?.record("post_quant_conv", quantized, side * side * c.latentChannels)
        var (x, y) = (workspace.activations[0], workspace.activations[1])
        convolve(layout.decoderIn, input: quantized, out: x, side: side)
        trace?.record("decoder.conv_in", x, side * side * deepest)
        (x, y) = runMid(layout.decoderMid, x: x, y: y, side: side)
        trace?.record("decoder.mid", x, side * side * deepest)
        for i in stride(from: c.levels - 1, through: 0, by: -1) {
            let level = layout.decoderLevels[i]
            (x, y) = runBlocks(level, x: x, y: y, side: side)
            if level.resamples {
                if let conv = level.resampler {
                    convolve(conv, input: x, out: y, side: side, upsample: 2)
                } else {
                    Conv2D.upsample(out: y, input: x, height: side, width: side, channels: c.levelChannels(i))
                }
                swap(&x, &y)
                side *= 2
            }
            trace?.record("decoder.up_\(i)", x, side * side * c.levelChannels(i))
        }
        outputHead(
            "decoder", norm: layout.decoderNormOut, conv: layout.decoderOut, input: x, out: pixels,
            side: side,
            trace: trace)
    }
}

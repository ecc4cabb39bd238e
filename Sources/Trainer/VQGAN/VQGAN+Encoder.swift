// The VQGAN encoder (vqgan-jax `Encoder`): conv_in, the down levels with their asymmetric
// stride-2 downsampling, the mid section, norm_out, swish, conv_out.

extension VQGAN {
    /// Runs the encoder on one `resolution`² image; returns the buffer holding its output
    /// (grid² × encoder output channels).
    func runEncoder(pixels: UnsafePointer<Float>, trace: VQGANTrace?) -> UnsafeMutablePointer<Float> {
        let c = config
        let layout = weights.layout
        var side = c.resolution
        var (x, y) = (workspace.activations[0], workspace.activations[1])
        convolve(layout.encoderIn, input: pixels, out: x, side: side)
        trace?.record("encoder.conv_in", x, side * side * c.channels)
        for (i, level) in layout.encoderLevels.enumerated() {
            (x, y) = runBlocks(level, x: x, y: y, side: side)
            if level.resamples {
                if let conv = level.resampler {
                    // Taming's Downsample: pad one row at the bottom and one column at the right only.
                    convolve(conv, input: x, out: y, side: side, stride: 2, padBefore: 0, padAfter: 1)
                } else {
                    Conv2D.averagePool(
                        out: y, input: x, height: side, width: side, channels: c.levelChannels(i))
                }
                swap(&x, &y)
                side /= 2
            }
            trace?.record("encoder.down_\(i)", x, side * side * c.levelChannels(i))
        }
        (x, y) = runMid(layout.encoderMid, x: x, y: y, side: side)
        trace?.record("encoder.mid", x, side * side * c.levelChannels(c.levels - 1))
        outputHead(
            "encoder", norm: layout.encoderNormOut, conv: layout.encoderOut, input: x, out: y, side: side,
            trace: trace)
        return y
    }
}

// The VQGAN's building blocks over the workspace buffers: a convolution by its tensors, the
// ResnetBlock, the resamplers and the swish after an output norm.

extension VQGAN {
    /// Runs the convolution `t` on a `side`² image.
    func convolve(
        _ t: VQConvTensors, input: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, side: Int,
        stride: Int = 1, padBefore: Int? = nil, padAfter: Int? = nil, upsample: Int = 1,
        accumulate: Bool = false
    ) {
        var g = ConvGeometry.same(
            height: side, width: side, inputs: t.inputs, outputs: t.outputs, size: t.size)
        g.stride = stride
        g.upsample = upsample
        g.padBefore = padBefore ?? g.padBefore
        g.padAfter = padAfter ?? g.padAfter
        let scratch = workspace.convolution
        var algorithm = ConvAlgorithm.fastest(for: g, scratch: scratch)
        if let forced = convolutionAlgorithm, algorithm != .im2col, ConvAlgorithm.runs(forced, g) {
            algorithm = forced
        }
        convolutionMultiplyAdds += g.multiplyAdds
        winogradSavedMultiplyAdds += g.multiplyAdds - algorithm.multiplyAdds(g)
        Conv2D.forward(
            out: out, input: input, kernel: weights.pointer(t.kernel), bias: weights.pointer(t.bias),
            geometry: g, scratch: scratch, accumulate: accumulate, algorithm: algorithm)
    }

    /// GroupNorm `t` of a `pixels`-pixel image, optionally followed by swish.
    func normalize(
        _ t: VQNormTensors, input: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, pixels: Int,
        swish: Bool
    ) {
        GroupNorm.forward(
            out: out, input: input, scale: weights.pointer(t.scale), bias: weights.pointer(t.bias),
            statistics: workspace.statistics, pixels: pixels, channels: t.channels, swish: swish,
            pool: workspace.pool)
    }

    /// vqgan-jax `ResnetBlock`: out = conv2(swish(norm2(conv1(swish(norm1(x)))))) + shortcut(x).
    /// Uses activation buffers 2 and 3 as scratch.
    func resnet(
        _ t: VQResnetTensors, input x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, side: Int
    ) {
        let (a, b) = (workspace.activations[2], workspace.activations[3])
        let pixels = side * side
        normalize(t.norm1, input: x, out: a, pixels: pixels, swish: true)
        convolve(t.conv1, input: a, out: b, side: side)
        normalize(t.norm2, input: b, out: a, pixels: pixels, swish: true)
        convolve(t.conv2, input: a, out: out, side: side)
        if let shortcut = t.shortcut {
            convolve(shortcut, input: x, out: out, side: side, accumulate: true)
        } else {
            let channels = t.conv2.outputs
            workspace.pool.forEachRange(pixels, minimum: 1024) { range in
                let first = range.lowerBound * channels
                VectorMath.add(x + first, into: out + first, range.count * channels)
            }
        }
    }

    /// Residual blocks of one level, each followed by its attention block when it has one.
    /// Returns the buffer holding the result (`x` or `y`).
    func runBlocks(
        _ level: VQLevelTensors, x: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>, side: Int
    ) -> (result: UnsafeMutablePointer<Float>, free: UnsafeMutablePointer<Float>) {
        var (current, other) = (x, y)
        for (block, attention) in zip(level.blocks, level.attentions) {
            resnet(block, input: current, out: other, side: side)
            swap(&current, &other)
            if let attention { attend(attention, current, side: side) }
        }
        return (current, other)
    }

    /// The mid section (block_1, attn_1, block_2); returns the buffer holding the result.
    func runMid(
        _ mid: VQMidTensors, x: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>, side: Int
    ) -> (result: UnsafeMutablePointer<Float>, free: UnsafeMutablePointer<Float>) {
        resnet(mid.block1, input: x, out: y, side: side)
        attend(mid.attention, y, side: side)
        resnet(mid.block2, input: y, out: x, side: side)
        return (x, y)
    }

    /// An AttnBlock in place on a `side`² image.
    func attend(_ t: VQAttentionTensors, _ x: UnsafeMutablePointer<Float>, side: Int) {
        SpatialAttention.forward(
            x, weights: weights, tensors: t, pixels: side * side, scratch: workspace.attention)
    }

    /// norm_out, swish, conv_out of the encoder or decoder (`name`); the norm output is traced
    /// before the swish, as the reference captures it.
    func outputHead(
        _ name: String, norm: VQNormTensors, conv: VQConvTensors, input: UnsafePointer<Float>,
        out: UnsafeMutablePointer<Float>, side: Int, trace: VQGANTrace?
    ) {
        let normalized = workspace.activations[2]
        let count = side * side * norm.channels
        normalize(norm, input: input, out: normalized, pixels: side * side, swish: trace == nil)
        if let trace {
            trace.record(name + ".norm_out", normalized, count)
            for i in 0..<count { normalized[i] = normalized[i] / (1 + fastExp(-normalized[i])) }
        }
        convolve(conv, input: normalized, out: out, side: side)
        trace?.record(name, out, side * side * conv.outputs)
    }
}

// The VQGAN's single-head self-attention over the pixels of one NHWC image (vqgan-jax
// AttnBlock): GroupNorm, 1×1 q/k/v, softmax(q·kᵀ/√C)·v, 1×1 proj_out, residual add.

/// Scratch buffers of one AttnBlock call, each at least the size noted.
struct SpatialAttentionScratch {
    var normalized: UnsafeMutablePointer<Float>  // (N, C)
    var query: UnsafeMutablePointer<Float>  // (N, C)
    var key: UnsafeMutablePointer<Float>  // (N, C)
    var value: UnsafeMutablePointer<Float>  // (N, C)
    var scores: UnsafeMutablePointer<Float>  // (N, N)
    var statistics: UnsafeMutablePointer<Float>  // GroupNorm.statisticsCount(channels: C)
    /// The threads of the GroupNorm.
    var pool: WorkerPool
}

/// vqgan-jax `AttnBlock` on one image, in place.
enum SpatialAttention {
    /// x += proj_out(softmax(q·kᵀ · C^-0.5) · v) with q, k, v = 1×1 convs of GroupNorm(x);
    /// tokens are pixels in row-major order.
    static func forward(
        _ x: UnsafeMutablePointer<Float>,  // (N, C), updated in place
        weights: VQGANWeights, tensors t: VQAttentionTensors, pixels n: Int,
        scratch s: SpatialAttentionScratch
    ) {
        let c = t.norm.channels
        GroupNorm.forward(
            out: s.normalized, input: x, scale: weights.pointer(t.norm.scale),
            bias: weights.pointer(t.norm.bias),
            statistics: s.statistics, pixels: n, channels: c, swish: false, pool: s.pool)
        pointwise(out: s.query, input: s.normalized, conv: t.query, weights: weights, pixels: n)
        pointwise(out: s.key, input: s.normalized, conv: t.key, weights: weights, pixels: n)
        pointwise(out: s.value, input: s.normalized, conv: t.value, weights: weights, pixels: n)
        Linear.product(
            rows: n, columns: n, inner: c, a: s.query, lda: c, b: s.key, ldb: c, c: s.scores, ldc: n,
            transposeB: true, alpha: 1 / Float(c).squareRoot())
        for row in 0..<n { softmax(s.scores + row * n, count: n) }
        Linear.product(
            rows: n, columns: c, inner: n, a: s.scores, lda: n, b: s.value, ldb: c, c: s.normalized, ldc: c)
        pointwise(
            out: x, input: s.normalized, conv: t.projection, weights: weights, pixels: n, accumulate: true)
    }

    /// A 1×1 convolution: out (+)= input · kernel + bias.
    static func pointwise(
        out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, conv: VQConvTensors,
        weights: VQGANWeights,
        pixels: Int, accumulate: Bool = false
    ) {
        let g = ConvGeometry(height: pixels, width: 1, inputs: conv.inputs, outputs: conv.outputs, size: 1)
        Conv2D.forward(
            out: out, input: input, kernel: weights.pointer(conv.kernel), bias: weights.pointer(conv.bias),
            geometry: g, scratch: ConvScratch(columns: out, columnCount: 0), accumulate: accumulate)
    }

    /// Softmax of one row in place.
    private static func softmax(_ row: UnsafeMutablePointer<Float>, count: Int) {
        let maximum = VectorMath.maximum(row, count)
        var total: Float = 0
        for i in 0..<count {
            let e = fastExp(row[i] - maximum)
            row[i] = e
            total += e
        }
        VectorMath.scale(row, by: 1 / total, count)
    }
}

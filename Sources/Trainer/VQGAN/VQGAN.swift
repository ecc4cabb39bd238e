// The VQGAN of dalle-mini (vqgan-jax `VQModel`): images → codes (encoder, quant_conv, nearest
// codebook row) and codes → images (codebook lookup, post_quant_conv, decoder), one NHWC
// float32 image at a time; stage order and shapes in docs/FORMATS.md.

/// Records named stage outputs of one image (for comparisons with a reference).
public final class VQGANTrace {
    /// Stage name (`encoder.down_2`, `decoder.norm_out`, ...) → its values.
    public var stages: [String: [Float]] = [:]

    /// An empty trace.
    public init() {}

    func record(_ name: String, _ values: UnsafePointer<Float>, _ count: Int) {
        stages[name] = Array(UnsafeBufferPointer(start: values, count: count))
    }
}

/// A loaded VQGAN with its scratch memory; not safe for concurrent use (one per thread).
public final class VQGAN {
    /// The weights (and configuration) this model runs.
    public let weights: VQGANWeights
    let workspace: VQGANWorkspace
    /// Multiply-adds run so far in convolutions (including 1×1) and in the other matrix
    /// products (attention scores and mixing, quantizer distances), for benchmarks.
    public internal(set) var convolutionMultiplyAdds = 0
    public internal(set) var otherMultiplyAdds = 0
    /// Of `convolutionMultiplyAdds` (counted as direct convolutions), those the Winograd
    /// convolutions did not run.
    public internal(set) var winogradSavedMultiplyAdds = 0
    /// The 3×3 convolutions' algorithm where it runs them; nil (the default): the fastest. For
    /// benchmarks.
    public var convolutionAlgorithm: ConvAlgorithm?

    /// Allocates every buffer the model needs.
    public init(weights: VQGANWeights) {
        self.weights = weights
        workspace = VQGANWorkspace(config: weights.config)
        let c = weights.config
        VectorQuantizer.squaredNorms(
            workspace.codebookNorms, codebook: weights.pointer(weights.layout.codebook), size: c.codebookSize,
            dimension: c.embeddingDimension)
    }

    /// The configuration.
    public var config: VQGANConfig { weights.config }
    /// Bytes of scratch memory held.
    public var workspaceByteCount: Int { workspace.byteCount }

    /// Encodes one image of `resolution`² pixels (values in [0, 1], HWC) into `tokensPerImage`
    /// codes (row-major grid). `latents`, when given, receives the quantizer input z (N, embed_dim)
    /// and `distances` the squared distance to each chosen code (N).
    public func encode(
        pixels: UnsafePointer<Float>, codes: UnsafeMutablePointer<Int32>,
        latents: UnsafeMutablePointer<Float>? = nil, distances: UnsafeMutablePointer<Float>? = nil,
        trace: VQGANTrace? = nil
    ) {
        let c = config
        let w = workspace
        let z = runEncoder(pixels: pixels, trace: trace)
        let n = c.tokensPerImage
        convolutionMultiplyAdds += n * c.encoderOutputChannels * c.embeddingDimension
        SpatialAttention.pointwise(
            out: w.latents, input: z, conv: weights.layout.quantConv, weights: weights, pixels: n)
        trace?.record("quant_conv", w.latents, n * c.embeddingDimension)
        otherMultiplyAdds += n * c.codebookSize * c.embeddingDimension
        VectorQuantizer.nearest(
            codes: codes, distances: w.distances, latents: w.latents,
            codebook: weights.pointer(weights.layout.codebook), codebookNorms: w.codebookNorms,
            scratch: w.scores, scratchCount: w.scoreCount, count: n, size: c.codebookSize,
            dimension: c.embeddingDimension)
        latents?.update(from: w.latents, count: n * c.embeddingDimension)
        distances?.update(from: w.distances, count: n)
    }

    /// The quantizer's distance between latent `z` (embed_dim) and code `code`, computed as
    /// `encode` does.
    public func distance(latent z: UnsafePointer<Float>, code: Int) -> Float {
        let d = config.embeddingDimension
        let row = weights.pointer(weights.layout.codebook) + code * d
        return VectorQuantizer.distance(
            VectorMath.dot(z, z, d), workspace.codebookNorms[code], VectorMath.dot(z, row, d))
    }

    /// Copies codebook row `code` (embed_dim floats) into `out`.
    public func codebookRow(_ code: Int, into out: UnsafeMutablePointer<Float>) {
        let d = config.embeddingDimension
        out.update(from: weights.pointer(weights.layout.codebook) + code * d, count: d)
    }

    /// Decodes `tokensPerImage` codes (each in 0..<n_embed; checked by the caller) into one
    /// `resolution`² image with `out_ch` channels (unclipped floats, HWC).
    public func decode(
        codes: UnsafePointer<Int32>, pixels: UnsafeMutablePointer<Float>, trace: VQGANTrace? = nil
    ) {
        let c = config
        let n = c.tokensPerImage
        for i in 0..<n {
            precondition(
                (0..<c.codebookSize).contains(Int(codes[i])), "code \(codes[i]) outside the codebook")
            codebookRow(Int(codes[i]), into: workspace.latents + i * c.embeddingDimension)
        }
        runDecoder(latents: workspace.latents, pixels: pixels, trace: trace)
    }
}

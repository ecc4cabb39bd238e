// Every buffer one VQGAN encode or decode needs, sized once from the configuration so that
// images after the first allocate nothing.

/// Scratch memory of a `VQGAN`, sized for `resolution`×`resolution` images.
final class VQGANWorkspace {
    /// Four activation buffers, each the largest (H·W·C) of any stage.
    let activations: [UnsafeMutablePointer<Float>]
    let activationCount: Int
    /// im2col rows, or the packed (direct) or transformed (Winograd) kernel of a convolution.
    let columns: UnsafeMutablePointer<Float>
    let columnCount: Int
    /// Attention key, value and scores at the largest attention level.
    let key: UnsafeMutablePointer<Float>
    let value: UnsafeMutablePointer<Float>
    let scores: UnsafeMutablePointer<Float>
    /// Elements of `scores` (attention scores or quantizer dot products).
    let scoreCount: Int
    /// Zeros a direct or Winograd convolution reads outside its input (largest C).
    let zeros: UnsafeMutablePointer<Float>
    /// The threads of the direct and Winograd convolutions, GroupNorm and the residual additions:
    /// the current pool, or when it has one thread, as many as OpenBLAS runs per call (commands
    /// that leave the threads to OpenBLAS).
    let pool: WorkerPool
    /// One Winograd scratch area per thread of `pool`.
    let winograd: UnsafeMutablePointer<Float>
    /// GroupNorm statistics (`GroupNorm.statisticsCount` for the largest C).
    let statistics: UnsafeMutablePointer<Float>
    /// Latent grid (N · max(embed_dim, z_channels)), codebook norms (K), distances (N).
    let latents: UnsafeMutablePointer<Float>
    let codebookNorms: UnsafeMutablePointer<Float>
    let distances: UnsafeMutablePointer<Float>
    /// Bytes allocated.
    let byteCount: Int

    init(config c: VQGANConfig) {
        var largest = c.resolution * c.resolution * max(c.inputChannels, c.outputChannels)
        var widest = max(c.latentChannels, c.encoderOutputChannels)
        var rowNeed = 0
        var attentionPixels = 0
        var attentionChannels = 0
        for i in 0..<c.levels {
            let side = c.resolution >> i
            let channels = [
                c.levelChannels(i), c.encoderInputChannels(i), c.levelChannels(min(i + 1, c.levels - 1)),
            ]
            let most = channels.max() ?? 0
            largest = max(largest, side * side * most)
            widest = max(widest, most)
            rowNeed = max(rowNeed, side * 9 * most)
            if c.hasAttention(level: i) {
                attentionPixels = max(attentionPixels, side * side)
                attentionChannels = max(attentionChannels, c.levelChannels(i))
            }
        }
        if attentionPixels == 0 {
            attentionPixels = c.gridSide * c.gridSide
        }
        attentionChannels = max(attentionChannels, c.levelChannels(c.levels - 1))
        activationCount = largest
        columnCount = max(
            rowNeed, ConvScratch.winogradKernelCount(inputs: widest, outputs: widest), 1 << 21)
        let tokens = c.tokensPerImage
        let attentionCount = attentionPixels * attentionChannels
        var total = 0
        func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
            total += count * 4
            let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
            let pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
            pointer.initialize(repeating: 0, count: max(count, 1))
            return pointer
        }
        activations = (0..<4).map { _ in allocate(largest) }
        columns = allocate(columnCount)
        key = allocate(attentionCount)
        value = allocate(attentionCount)
        scoreCount = max(attentionPixels * attentionPixels, tokens * min(c.codebookSize, 4096))
        scores = allocate(scoreCount)
        zeros = allocate(widest)
        let current = WorkerPool.current
        pool =
            current.threadCount > 1 || BLASInfo.threadCount <= 1
            ? current : .shared(threads: BLASInfo.threadCount)
        winograd = allocate(pool.threadCount * ConvScratch.winogradSlotCount)
        statistics = allocate(GroupNorm.statisticsCount(channels: widest))
        latents = allocate(tokens * max(c.embeddingDimension, widest))
        codebookNorms = allocate(c.codebookSize)
        distances = allocate(tokens)
        byteCount = total
    }

    deinit {
        for buffer in activations + [
            columns, key, value, scores, zeros, winograd, statistics, latents, codebookNorms, distances,
        ] {
            buffer.deallocate()
        }
    }

    /// Scratch for the convolutions.
    var convolution: ConvScratch {
        ConvScratch(
            columns: columns, columnCount: columnCount, zeros: zeros, winograd: winograd, pool: pool)
    }

    /// Scratch for an attention block: normalized and query in activation buffers 2 and 3.
    var attention: SpatialAttentionScratch {
        SpatialAttentionScratch(
            normalized: activations[2], query: activations[3], key: key, value: value, scores: scores,
            statistics: statistics, pool: pool)
    }
}

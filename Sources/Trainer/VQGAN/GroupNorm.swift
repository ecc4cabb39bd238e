// GroupNorm over one NHWC image (flax nn.GroupNorm, 32 groups, eps 1e-6) with an optional
// fused swish, the pair every ResnetBlock and the output heads of the VQGAN run.
import Foundation

/// flax `nn.GroupNorm(num_groups=32, epsilon=1e-6)` on one image, statistics per group over
/// H, W and the group's contiguous channels.
enum GroupNorm {
    /// Groups, as vqgan-jax builds every GroupNorm.
    static let groups = 32
    /// Added to the variance.
    static let epsilon = 1e-6

    /// Pixel segments whose sums run as separate parts (fixed: the results do not depend on
    /// the number of threads).
    static let segments = 8

    /// Floats of the `statistics` scratch for `channels` channels.
    static func statisticsCount(channels: Int) -> Int { (2 + 3 * segments) * channels }

    /// out = (x − mean) · scale · rsqrt(var + eps) + bias, then swish(out) = out · sigmoid(out)
    /// when `swish`. `out` may equal `input`. `statistics` (8-byte aligned) holds
    /// `statisticsCount(channels:)` floats. The sums run in `segments` parts and the output in
    /// ranges of pixels, split over `pool`.
    /// NOTE(divergence): the mean and variance are two-pass sums in Double; the reference's
    /// one-pass float32 E[x²] − mean² loses digits on near-constant channels.
    static func forward(
        out: UnsafeMutablePointer<Float>,  // (H·W, C)
        input: UnsafePointer<Float>,  // (H·W, C)
        scale: UnsafePointer<Float>, bias: UnsafePointer<Float>,  // (C)
        statistics: UnsafeMutablePointer<Float>,  // statisticsCount(channels:)
        pixels: Int, channels: Int, swish: Bool, pool: WorkerPool
    ) {
        precondition(channels % groups == 0, "GroupNorm: \(channels) channels in \(groups) groups")
        let groupSize = channels / groups
        let sums = statistics
        let factors = statistics + channels
        let partials = statistics + 2 * channels
        func channelSums(center: UnsafePointer<Float>?) {
            GroupNorm.channelSums(
                sums, input: input, pixels: pixels, channels: channels, center: center, partials: partials,
                pool: pool)
        }
        channelSums(center: nil)
        let count = Double(pixels * groupSize)
        for g in 0..<groups {
            var total = 0.0
            for c in g * groupSize..<(g + 1) * groupSize { total += Double(sums[c]) }
            for c in g * groupSize..<(g + 1) * groupSize { factors[c] = Float(total / count) }
        }
        channelSums(center: factors)
        for g in 0..<groups {
            var total = 0.0
            for c in g * groupSize..<(g + 1) * groupSize { total += Double(sums[c]) }
            let rstd = 1 / (total / count + epsilon).squareRoot()
            for c in g * groupSize..<(g + 1) * groupSize {
                let a = Double(scale[c]) * rstd
                let mean = Double(factors[c])
                factors[c] = Float(a)
                sums[c] = Float(Double(bias[c]) - mean * a)
            }
        }
        pool.forEachRange(pixels, minimum: 1024) { range in
            apply(
                out: out + range.lowerBound * channels, input: input + range.lowerBound * channels,
                multiply: factors, add: sums, pixels: range.count, channels: channels, swish: swish)
        }
    }

    /// Per-channel Σx (center nil) or Σ(x − center)²: accumulated in Float over blocks of 64
    /// pixels, in Double across the blocks of each of `segments` fixed pixel ranges (one part
    /// each; `partials` holds 3 · channels floats per segment), then across the segments in order.
    private static func channelSums(
        _ sums: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, pixels: Int, channels: Int,
        center: UnsafePointer<Float>?, partials: UnsafeMutablePointer<Float>, pool: WorkerPool
    ) {
        let blocks = (pixels + 63) / 64
        let parts = max(1, min(segments, blocks))
        func total(_ part: Int) -> UnsafeMutablePointer<Double> {
            UnsafeMutableRawPointer(partials + 3 * channels * part).assumingMemoryBound(to: Double.self)
        }
        pool.run(parts: parts) { part, _ in
            let total = total(part)
            let block = partials + 3 * channels * part + 2 * channels
            total.update(repeating: 0, count: channels)
            for b in blocks * part / parts..<blocks * (part + 1) / parts {
                block.update(repeating: 0, count: channels)
                for p in b * 64..<min(b * 64 + 64, pixels) {
                    let x = input + p * channels
                    if let center {
                        for c in 0..<channels {
                            let d = x[c] - center[c]
                            block[c] += d * d
                        }
                    } else {
                        for c in 0..<channels { block[c] += x[c] }
                    }
                }
                for c in 0..<channels { total[c] += Double(block[c]) }
            }
        }
        for c in 0..<channels {
            var sum = 0.0
            for part in 0..<parts { sum += total(part)[c] }
            sums[c] = Float(sum)
        }
    }

    private static func apply(
        out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, multiply: UnsafePointer<Float>,
        add: UnsafePointer<Float>, pixels: Int, channels: Int, swish: Bool
    ) {
        for p in 0..<pixels {
            let x = input + p * channels
            let y = out + p * channels
            if swish {
                for c in 0..<channels {
                    let v = x[c] * multiply[c] + add[c]
                    y[c] = v / (1 + fastExp(-v))
                }
            } else {
                for c in 0..<channels { y[c] = x[c] * multiply[c] + add[c] }
            }
        }
    }
}

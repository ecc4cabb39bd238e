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

    /// out = (x − mean) · scale · rsqrt(var + eps) + bias, then swish(out) = out · sigmoid(out)
    /// when `swish`. `out` may equal `input`. `statistics` (8-byte aligned) holds 6 · channels floats.
    /// NOTE(divergence): the mean and variance are two-pass sums in Double; the reference's
    /// one-pass float32 E[x²] − mean² loses digits on near-constant channels.
    static func forward(
        out: UnsafeMutablePointer<Float>,  // (H·W, C)
        input: UnsafePointer<Float>,  // (H·W, C)
        scale: UnsafePointer<Float>, bias: UnsafePointer<Float>,  // (C)
        statistics: UnsafeMutablePointer<Float>,  // (6·C)
        pixels: Int, channels: Int, swish: Bool
    ) {
        precondition(channels % groups == 0, "GroupNorm: \(channels) channels in \(groups) groups")
        let groupSize = channels / groups
        let sums = statistics
        let factors = statistics + channels
        let block = statistics + 2 * channels
        let total = UnsafeMutableRawPointer(statistics + 4 * channels).assumingMemoryBound(to: Double.self)
        func channelSums(center: UnsafePointer<Float>?) {
            GroupNorm.channelSums(
                sums, input: input, pixels: pixels, channels: channels, center: center, block: block,
                total: total)
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
        apply(
            out: out, input: input, multiply: factors, add: sums, pixels: pixels, channels: channels,
            swish: swish)
    }

    /// Per-channel Σx (center nil) or Σ(x − center)², accumulated in Float over blocks of 64
    /// pixels and in Double across blocks.
    private static func channelSums(
        _ sums: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, pixels: Int, channels: Int,
        center: UnsafePointer<Float>?, block: UnsafeMutablePointer<Float>, total: UnsafeMutablePointer<Double>
    ) {
        total.update(repeating: 0, count: channels)
        var start = 0
        while start < pixels {
            let end = min(start + 64, pixels)
            block.update(repeating: 0, count: channels)
            for p in start..<end {
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
            start = end
        }
        for c in 0..<channels { sums[c] = Float(total[c]) }
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

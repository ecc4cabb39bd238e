// RMS normalisation over the last axis (dalle-mini's RMSNorm, eps 1e-5 as passed everywhere;
// no mean subtraction, never a bias; docs/MODEL.md §5.1).

/// RMSNorm with an optional scale (nil: the parameter-free norm that is absent from the layout).
enum RMSNorm {
    static let epsilon: Float = 1e-5

    /// out = x * rstd * scale, rstd = 1 / sqrt(mean(x²) + eps). Saves `rstd` for `backward`.
    static func forward(
        out: UnsafeMutablePointer<Float>,  // (N, D)
        rstd: UnsafeMutablePointer<Float>,  // (N)
        input: UnsafePointer<Float>,  // (N, D)
        scale: UnsafePointer<Float>?,  // (D)
        rows: Int, channels: Int
    ) {
        let invCount = 1 / Float(channels)
        for row in 0..<rows {
            let x = input + row * channels
            let y = out + row * channels
            let r = 1 / (VectorMath.dot(x, x, channels) * invCount + epsilon).squareRoot()
            rstd[row] = r
            normalizeRow(out: y, input: x, rstd: r, scale: scale, channels: channels)
        }
    }

    /// out = x * rstd * scale with the statistics `forward` saved: the same values it wrote (for
    /// outputs recomputed in backward instead of kept).
    static func normalize(
        out: UnsafeMutablePointer<Float>,  // (N, D)
        input: UnsafePointer<Float>,  // (N, D)
        rstd: UnsafePointer<Float>,  // (N)
        scale: UnsafePointer<Float>?,  // (D)
        rows: Int, channels: Int
    ) {
        for row in 0..<rows {
            normalizeRow(
                out: out + row * channels, input: input + row * channels, rstd: rstd[row], scale: scale,
                channels: channels)
        }
    }

    @inline(__always) private static func normalizeRow(
        out y: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>, rstd r: Float,
        scale: UnsafePointer<Float>?, channels: Int
    ) {
        if let scale {
            for c in 0..<channels { y[c] = x[c] * r * scale[c] }
        } else {
            for c in 0..<channels { y[c] = x[c] * r }
        }
    }

    /// Accumulates into dInput and dScale: dInput = rstd * (g - xhat * mean(g * xhat)), g = dOut * scale.
    static func backward(
        dInput: UnsafeMutablePointer<Float>,  // (N, D)
        dScale: UnsafeMutablePointer<Float>?,  // (D)
        dOut: UnsafePointer<Float>,  // (N, D)
        input: UnsafePointer<Float>,  // (N, D)
        scale: UnsafePointer<Float>?,  // (D)
        rstd: UnsafePointer<Float>,  // (N)
        rows: Int, channels: Int
    ) {
        let invCount = 1 / Float(channels)
        for row in 0..<rows {
            let x = input + row * channels
            let dy = dOut + row * channels
            let dx = dInput + row * channels
            let r = rstd[row]
            var sumGX: Float = 0
            for c in 0..<channels {
                let xhat = x[c] * r
                let g = dy[c] * (scale?[c] ?? 1)
                sumGX += g * xhat
                dScale?[c] += dy[c] * xhat
            }
            let meanGX = sumGX * invCount
            for c in 0..<channels {
                let g = dy[c] * (scale?[c] ?? 1)
                dx[c] += r * (g - x[c] * r * meanGX)
            }
        }
    }
}

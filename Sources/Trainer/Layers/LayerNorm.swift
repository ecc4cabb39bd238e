// Layer normalisation over the last axis (flax nn.LayerNorm as dalle-mini uses it, eps 1e-5,
// single-pass variance E[x²] - E[x]² clamped at 0; docs/MODEL.md §5.1). Rows run 16 channels at a
// time (SIMD16 loads and sums, which vectorize) with a scalar tail.

/// LayerNorm with optional scale and bias (nil where the reference builds the norm without them).
enum LayerNorm {
    static let epsilon: Float = 1e-5

    /// out = (x - mean) * rstd * scale + bias, row by row. Saves `mean` and `rstd` for `backward`.
    static func forward(
        out: UnsafeMutablePointer<Float>,  // (N, D)
        mean: UnsafeMutablePointer<Float>,  // (N)
        rstd: UnsafeMutablePointer<Float>,  // (N)
        input: UnsafePointer<Float>,  // (N, D)
        scale: UnsafePointer<Float>?,  // (D)
        bias: UnsafePointer<Float>?,  // (D)
        rows: Int, channels: Int
    ) {
        let invCount = 1 / Float(channels)
        WorkerPool.current.forEachRange(rows, minimum: 64) { rows in
            for row in rows { forwardRow(row) }
        }
        @inline(__always) func forwardRow(_ row: Int) {
            let x = input + row * channels
            let y = out + row * channels
            let m = VectorMath.sum(x, channels) * invCount
            let variance = max(0, VectorMath.dot(x, x, channels) * invCount - m * m)
            let r = 1 / (variance + epsilon).squareRoot()
            mean[row] = m
            rstd[row] = r
            normalizeRow(out: y, input: x, mean: m, rstd: r, scale: scale, bias: bias, channels: channels)
        }
    }

    /// out = (x - mean) * rstd * scale + bias with the statistics `forward` saved: the same values
    /// it wrote (for outputs recomputed in backward instead of kept).
    static func normalize(
        out: UnsafeMutablePointer<Float>,  // (N, D)
        input: UnsafePointer<Float>,  // (N, D)
        mean: UnsafePointer<Float>,  // (N)
        rstd: UnsafePointer<Float>,  // (N)
        scale: UnsafePointer<Float>?,  // (D)
        bias: UnsafePointer<Float>?,  // (D)
        rows: Int, channels: Int
    ) {
        WorkerPool.current.forEachRange(rows, minimum: 64) { rows in
            for row in rows {
                normalizeRow(
                    out: out + row * channels, input: input + row * channels, mean: mean[row],
                    rstd: rstd[row],
                    scale: scale, bias: bias, channels: channels)
            }
        }
    }

    /// One row of the normalisation, 16 channels at a time with a scalar tail.
    @inline(__always) private static func normalizeRow(
        out y: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>, mean m: Float, rstd r: Float,
        scale: UnsafePointer<Float>?, bias: UnsafePointer<Float>?, channels: Int
    ) {
        var c = 0
        while c + 16 <= channels {
            var value = (load16(x + c) - m) * r
            if let scale { value *= load16(scale + c) }
            if let bias { value += load16(bias + c) }
            store16(value, y + c)
            c += 16
        }
        while c < channels {
            var value = (x[c] - m) * r
            if let scale { value *= scale[c] }
            if let bias { value += bias[c] }
            y[c] = value
            c += 1
        }
    }

    /// Accumulates into dInput, dScale and dBias (never overwrites: callers zero once per step).
    /// dInput = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dOut * scale.
    static func backward(
        dInput: UnsafeMutablePointer<Float>,  // (N, D)
        dScale: UnsafeMutablePointer<Float>?,  // (D)
        dBias: UnsafeMutablePointer<Float>?,  // (D)
        dOut: UnsafePointer<Float>,  // (N, D)
        input: UnsafePointer<Float>,  // (N, D)
        scale: UnsafePointer<Float>?,  // (D)
        mean: UnsafePointer<Float>,  // (N)
        rstd: UnsafePointer<Float>,  // (N)
        rows: Int, channels: Int
    ) {
        let invCount = 1 / Float(channels)
        let body = channels - channels % 16
        // Rows are independent for dInput; dScale and dBias sum over rows, so they are split by
        // channels and each channel adds its rows in order (the same bits for any split).
        WorkerPool.current.forEachRange(rows, minimum: 64) { rows in
            for row in rows { inputGradient(row) }
        }
        if dScale != nil || dBias != nil {
            let groups = (channels + 15) / 16
            WorkerPool.current.forEachRange(groups, minimum: 4) { range in
                parameterGradients(channels: range.lowerBound * 16..<min(channels, range.upperBound * 16))
            }
        }

        @inline(__always) func inputGradient(_ row: Int) {
            let x = input + row * channels
            let dy = dOut + row * channels
            let dx = dInput + row * channels
            let (m, r) = (mean[row], rstd[row])
            var (sumG, sumGX) = (SIMD16<Float>(), SIMD16<Float>())
            for c in stride(from: 0, to: body, by: 16) {
                let xhat = (load16(x + c) - m) * r
                let d = load16(dy + c)
                let g = scale.map { d * load16($0 + c) } ?? d
                sumG += g
                sumGX += g * xhat
            }
            var (tailG, tailGX): (Float, Float) = (0, 0)
            for c in body..<channels {
                let xhat = (x[c] - m) * r
                let g = dy[c] * (scale?[c] ?? 1)
                tailG += g
                tailGX += g * xhat
            }
            let meanG = (sumG.sum() + tailG) * invCount
            let meanGX = (sumGX.sum() + tailGX) * invCount
            for c in stride(from: 0, to: body, by: 16) {
                let xhat = (load16(x + c) - m) * r
                let d = load16(dy + c)
                let g = scale.map { d * load16($0 + c) } ?? d
                store16(load16(dx + c) + r * (g - meanG - xhat * meanGX), dx + c)
            }
            for c in body..<channels {
                let xhat = (x[c] - m) * r
                let g = dy[c] * (scale?[c] ?? 1)
                dx[c] += r * (g - meanG - xhat * meanGX)
            }
        }

        func parameterGradients(channels range: Range<Int>) {
            let wide = range.lowerBound + (range.count - range.count % 16)
            for row in 0..<rows {
                let x = input + row * channels
                let dy = dOut + row * channels
                let (m, r) = (mean[row], rstd[row])
                for c in stride(from: range.lowerBound, to: wide, by: 16) {
                    let xhat = (load16(x + c) - m) * r
                    let d = load16(dy + c)
                    if let dBias { store16(load16(dBias + c) + d, dBias + c) }
                    if let dScale { store16(load16(dScale + c) + d * xhat, dScale + c) }
                }
                for c in wide..<range.upperBound {
                    let xhat = (x[c] - m) * r
                    dBias?[c] += dy[c]
                    dScale?[c] += dy[c] * xhat
                }
            }
        }
    }
}

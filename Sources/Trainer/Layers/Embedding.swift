// Token plus absolute position embeddings (flax nn.Embed row gathers; docs/MODEL.md §4.1),
// forward as a gather and backward as a scatter-add.

enum Embedding {
    /// out[r] = table[ids[r]] * tokenScale + positions[r % length] (positions optional).
    /// `roundsToFloat16`: the product and the sum are each rounded to float16 (nearest even), as
    /// flax computes them for float16 tables (docs/FORMATS.md, "float16 weights").
    static func forward(
        out: UnsafeMutablePointer<Float>,  // (N, D)
        ids: UnsafePointer<Int32>,  // (N)
        table: UnsafePointer<Float>,  // (V, D)
        positions: UnsafePointer<Float>?,  // (length, D)
        tokenScale: Float, rows: Int, length: Int, channels: Int, roundsToFloat16: Bool = false
    ) {
        for row in 0..<rows {
            let y = out + row * channels
            let token = table + Int(ids[row]) * channels
            if roundsToFloat16 {
                let position = positions.map { $0 + (row % length) * channels }
                for c in 0..<channels {
                    let scaled = Float(Float16(token[c] * tokenScale))
                    y[c] = position.map { Float(Float16(scaled + $0[c])) } ?? scaled
                }
            } else if let positions {
                VectorMath.scaledAdd(
                    out: y, token, alpha: tokenScale, positions + (row % length) * channels, channels)
            } else {
                for c in 0..<channels { y[c] = token[c] * tokenScale }
            }
        }
    }

    /// Accumulates dTable[ids[r]] += dOut[r] * tokenScale and dPositions[r % length] += dOut[r].
    static func backward(
        dTable: UnsafeMutablePointer<Float>,  // (V, D)
        dPositions: UnsafeMutablePointer<Float>?,  // (length, D)
        dOut: UnsafePointer<Float>,  // (N, D)
        ids: UnsafePointer<Int32>,  // (N)
        tokenScale: Float, rows: Int, length: Int, channels: Int
    ) {
        for row in 0..<rows {
            let dy = dOut + row * channels
            VectorMath.scaledAdd(
                out: dTable + Int(ids[row]) * channels, dy, alpha: tokenScale,
                dTable + Int(ids[row]) * channels,
                channels)
            if let dPositions { VectorMath.add(dy, into: dPositions + (row % length) * channels, channels) }
        }
    }
}

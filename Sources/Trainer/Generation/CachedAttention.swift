// Attention of one new query per row against cached keys and values (docs/MODEL.md §4.4): the
// training kernel's math (scale after the product, masked softmax, head scale, mid norm, out_proj)
// for a single decoding step. Keys are stored already unit-normalised under cosine attention.

/// Where a step's keys and values live: `count` keys per row, row r reading block `sources[r]`
/// (each block `blockCount` Floats apart, keys D apart inside a block).
struct CachedKeyValues {
    var keys: UnsafePointer<Float>
    var values: UnsafePointer<Float>
    var blockCount: Int
    var sources: [Int]
    var count: Int
    /// (blocks, count) 1 for keys that may be attended to (nil: all); blocks `maskStride` apart.
    var mask: UnsafePointer<Float>?
    var maskStride: Int
}

enum CachedAttention {
    /// out = out_proj(mid(headScale · softmax(mask(q·kᵀ · scale)) · v)), q from `queryInput`.
    static func forward(
        out: UnsafeMutablePointer<Float>,  // (R, D)
        saved: AttentionActivations,
        queryInput: UnsafePointer<Float>,  // (R, D)
        cache: CachedKeyValues,
        probabilities: UnsafeMutablePointer<Float>,  // (count)
        weights: AttentionWeights, rows: Int, heads: Int, channels: Int, cosineTau: Float?
    ) {
        let (D, H) = (channels, heads)
        let K = D / H
        let shape = AttentionShape(
            batch: 1, queryLength: 1, keyLength: cache.count, heads: H, channels: D, isCausal: false,
            cosineTau: cosineTau)
        Linear.forward(
            out: saved.query, input: queryInput, kernel: weights.query.kernel, bias: weights.query.bias,
            rows: rows, inputs: D, outputs: D)
        if cosineTau != nil {
            Attention.normalizeHeads(
                out: saved.queryUnit, norms: saved.queryNorm, input: saved.query, rows: rows, heads: H,
                headSize: K)
        }
        for r in 0..<rows {
            let block = cache.sources[r]
            let keys = cache.keys + block * cache.blockCount
            let values = cache.values + block * cache.blockCount
            let mask = cache.mask.map { $0 + block * cache.maskStride }
            for h in 0..<H {
                let query = UnsafePointer(saved.queryUnit + r * D + h * K)
                for j in 0..<cache.count {
                    probabilities[j] = VectorMath.dot(query, keys + j * D + h * K, K) * shape.scoreScale
                }
                Attention.softmax(probabilities, keyMask: mask, shape: shape)
                let context = saved.context + r * D + h * K
                context.update(repeating: 0, count: K)
                for j in 0..<cache.count where probabilities[j] != 0 {
                    VectorMath.scaledAdd(
                        out: context, values + j * D + h * K, alpha: probabilities[j], context, K)
                }
            }
        }
        if let headScale = weights.headScale {
            for row in 0..<rows {
                for c in 0..<D { saved.scaled[row * D + c] = saved.context[row * D + c] * headScale[c / K] }
            }
        }
        Normalization.forward(saved.mid, input: saved.scaled, weights: weights.mid, rows: rows, channels: D)
        Linear.forward(
            out: out, input: saved.mid.out, kernel: weights.output.kernel, bias: weights.output.bias,
            rows: rows, inputs: D, outputs: D)
    }
}

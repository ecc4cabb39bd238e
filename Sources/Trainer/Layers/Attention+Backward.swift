// Backward of FlaxBartAttention: out_proj, mid norm, head scale, per-head products, masked softmax,
// cosine normalisation and the q/k/v projections.

/// Scratch buffers the attention backward overwrites.
struct AttentionScratch {
    var dQuery: UnsafeMutablePointer<Float>  // (B*Tq, D)
    var dKey: UnsafeMutablePointer<Float>  // (B*Tk, D)
    var dValue: UnsafeMutablePointer<Float>  // (B*Tk, D)
    var dProjection: UnsafeMutablePointer<Float>  // (B*Tq, D)
    var dScaled: UnsafeMutablePointer<Float>  // (B*Tq, D)
    var dScores: HeadScratch  // (Tq, Tk) per thread
}

extension Attention {
    /// Accumulates into dQueryInput, dKeyValueInput (may be the same buffer for self-attention)
    /// and every weight gradient in `gradients`.
    static func backward(
        dQueryInput: UnsafeMutablePointer<Float>,  // (B*Tq, D)
        dKeyValueInput: UnsafeMutablePointer<Float>,  // (B*Tk, D)
        gradients: AttentionWeights,
        dOut: UnsafePointer<Float>,  // (B*Tq, D)
        queryInput: UnsafePointer<Float>,  // (B*Tq, D)
        keyValueInput: UnsafePointer<Float>,  // (B*Tk, D)
        weights: AttentionWeights, saved: AttentionActivations, scratch: AttentionScratch,
        shape: AttentionShape, dropout: DropoutMask?
    ) {
        let (D, K, H) = (shape.channels, shape.headSize, shape.heads)
        let (Tq, Tk, Nq) = (shape.queryLength, shape.keyLength, shape.queryRows)
        Linear.backward(
            dInput: scratch.dProjection, dKernel: gradients.output.kernel, dBias: gradients.output.bias,
            dOut: dOut,
            input: saved.mid.out, kernel: weights.output.kernel, rows: Nq, inputs: D, outputs: D,
            inputMode: .overwrite)
        var dContext = scratch.dProjection
        if weights.mid.isApplied {
            scratch.dScaled.update(repeating: 0, count: Nq * D)
            Normalization.backward(
                dInput: scratch.dScaled, gradients: gradients.mid, dOut: scratch.dProjection,
                input: saved.scaled,
                weights: weights.mid, saved: saved.mid, rows: Nq, channels: D)
            dContext = scratch.dScaled
        }
        if let headScale = weights.headScale, let dHeadScale = gradients.headScale {
            for row in 0..<Nq {
                for c in 0..<D {
                    let index = row * D + c
                    dHeadScale[c / K] += dContext[index] * saved.context[index]
                    dContext[index] *= headScale[c / K]
                }
            }
        }
        precondition(!shape.isCausal || Tq == Tk, "causal attention needs as many queries as keys")
        let block = shape.queryBlock
        // Query blocks run last to first: the last block sees every key, so its dV and dK products
        // overwrite (beta 0) and the earlier blocks, which see fewer keys, accumulate.
        let last = (Tq - 1) / block * block
        let blocks = stride(from: last, through: 0, by: -block)
        HeadScratch.forEachHead(batch: shape.batch, heads: H, threads: scratch.dScores.threads) {
            b, h, thread in
            let dScores = scratch.dScores.of(thread: thread)
            let probabilities = saved.probabilities + (b * H + h) * Tq * Tk
            let (dC, v) = (dContext + b * Tq * D + h * K, saved.value + b * Tk * D + h * K)
            let (q, k) = (saved.queryUnit + b * Tq * D + h * K, saved.keyUnit + b * Tk * D + h * K)
            let (dQ, dK, dV) = (
                scratch.dQuery + b * Tq * D + h * K, scratch.dKey + b * Tk * D + h * K,
                scratch.dValue + b * Tk * D + h * K
            )
            var used = UnsafePointer(probabilities)
            if let dropout {
                let dropped = saved.dropped.of(thread: thread)
                dropout.apply(out: dropped, input: probabilities, count: Tq * Tk)
                used = UnsafePointer(dropped)
            }
            // dV = P'ᵀ dC, dP' = dC Vᵀ (masked keys: never computed, zeroed by softmaxBackward).
            for first in blocks {
                let rows = min(block, Tq - first)
                let keys = shape.visibleKeys(queriesBelow: first + rows)
                Linear.product(
                    rows: keys, columns: K, inner: rows, a: used + first * Tk, lda: Tk, b: dC + first * D,
                    ldb: D, c: dV, ldc: D, transposeA: true, beta: first == last ? 0 : 1)
                Linear.product(
                    rows: rows, columns: keys, inner: K, a: dC + first * D, lda: D, b: v, ldb: D,
                    c: dScores + first * Tk, ldc: Tk, transposeB: true)
            }
            if let dropout { dropout.apply(out: dScores, input: dScores, count: Tq * Tk) }
            softmaxBackward(dScores, probabilities: probabilities, shape: shape)
            for first in blocks {
                let rows = min(block, Tq - first)
                let keys = shape.visibleKeys(queriesBelow: first + rows)
                let dS = dScores + first * Tk
                Linear.product(
                    rows: rows, columns: K, inner: keys, a: dS, lda: Tk, b: k, ldb: D, c: dQ + first * D,
                    ldc: D, alpha: shape.scoreScale)
                Linear.product(
                    rows: keys, columns: K, inner: rows, a: dS, lda: Tk, b: q + first * D, ldb: D, c: dK,
                    ldc: D, transposeA: true, alpha: shape.scoreScale, beta: first == last ? 0 : 1)
            }
        }
        if shape.cosineTau != nil {
            normalizeHeadsBackward(
                scratch.dQuery, input: saved.query, norms: saved.queryNorm, rows: Nq, heads: H, headSize: K)
            normalizeHeadsBackward(
                scratch.dKey, input: saved.key, norms: saved.keyNorm, rows: shape.keyRows, heads: H,
                headSize: K)
        }
        Linear.backward(
            dInput: dQueryInput, dKernel: gradients.query.kernel, dBias: gradients.query.bias,
            dOut: scratch.dQuery,
            input: queryInput, kernel: weights.query.kernel, rows: Nq, inputs: D, outputs: D)
        Linear.backward(
            dInput: dKeyValueInput, dKernel: gradients.key.kernel, dBias: gradients.key.bias,
            dOut: scratch.dKey,
            input: keyValueInput, kernel: weights.key.kernel, rows: shape.keyRows, inputs: D, outputs: D)
        Linear.backward(
            dInput: dKeyValueInput, dKernel: gradients.value.kernel, dBias: gradients.value.bias,
            dOut: scratch.dValue, input: keyValueInput, kernel: weights.value.kernel, rows: shape.keyRows,
            inputs: D, outputs: D)
    }

    /// dScores = P * (dP - Σ_j P dP) in place (masked entries have P = 0 and get 0).
    static func softmaxBackward(
        _ dScores: UnsafeMutablePointer<Float>,  // (Tq, Tk): dP in, dS out
        probabilities: UnsafePointer<Float>,  // (Tq, Tk)
        shape: AttentionShape
    ) {
        let Tk = shape.keyLength
        for i in 0..<shape.queryLength {
            let p = probabilities + i * Tk
            let d = dScores + i * Tk
            let limit = shape.isCausal ? min(i + 1, Tk) : Tk
            let inner = VectorMath.dot(p, d, limit)
            var j = 0
            while j + 16 <= limit {
                store16(load16(p + j) * (load16(d + j) - inner), d + j)
                j += 16
            }
            while j < limit {
                d[j] = p[j] * (d[j] - inner)
                j += 1
            }
            for j in limit..<Tk { d[j] = 0 }
        }
    }

    /// In place: d(unit) -> d(x) for unit = x / (|x| + eps) per head:
    /// dx = inv * du - x * inv² / |x| * (du · x), inv = 1 / (|x| + eps).
    static func normalizeHeadsBackward(
        _ gradient: UnsafeMutablePointer<Float>,  // (N, H*K)
        input: UnsafePointer<Float>,  // (N, H*K)
        norms: UnsafePointer<Float>,  // (N, H)
        rows: Int, heads: Int, headSize: Int
    ) {
        for index in 0..<rows * heads {
            let x = input + index * headSize
            let g = gradient + index * headSize
            let norm = norms[index]
            let inverse = 1 / (norm + cosineEpsilon)
            let projection = norm > 0 ? VectorMath.dot(g, x, headSize) * inverse * inverse / norm : 0
            for c in 0..<headSize { g[c] = inverse * g[c] - x[c] * projection }
        }
    }
}

// Multi-head self and cross attention (dalle-mini FlaxBartAttention; docs/MODEL.md §4.4): q/k/v
// projections, scores divided by sqrt(K) (or cosine attention over tau), key padding and causal
// masks, softmax, attention dropout shared over batch and heads, head scale, subln mid norm, out_proj.

/// Parameter (or gradient) pointers of one Dense.
struct LinearWeights {
    var kernel: UnsafeMutablePointer<Float>  // (in, out)
    var bias: UnsafeMutablePointer<Float>?  // (out)

    init(_ tensors: LinearTensors, in base: UnsafeMutablePointer<Float>) {
        kernel = base + tensors.kernel
        bias = tensors.bias.map { base + $0 }
    }
}

/// Parameter (or gradient) pointers of one FlaxBartAttention.
struct AttentionWeights {
    var query, key, value, output: LinearWeights
    var headScale: UnsafeMutablePointer<Float>?  // (H)
    var mid: NormWeights

    init(_ tensors: AttentionTensors, kind: NormKind, in base: UnsafeMutablePointer<Float>) {
        query = LinearWeights(tensors.query, in: base)
        key = LinearWeights(tensors.key, in: base)
        value = LinearWeights(tensors.value, in: base)
        output = LinearWeights(tensors.output, in: base)
        headScale = tensors.headScale.map { base + $0 }
        mid = NormWeights(tensors.mid, kind: kind, in: base)
    }
}

/// Sizes and options of one attention call.
struct AttentionShape {
    var batch: Int
    var queryLength: Int
    var keyLength: Int
    var heads: Int
    var channels: Int
    var isCausal: Bool
    /// Cosine attention with scores divided by tau (nil: dot-product attention over sqrt(K)).
    var cosineTau: Float?

    var headSize: Int { channels / heads }
    var queryRows: Int { batch * queryLength }
    var keyRows: Int { batch * keyLength }
    /// The factor applied to q·k.
    var scoreScale: Float { cosineTau.map { 1 / $0 } ?? 1 / Float(headSize).squareRoot() }

    /// Query rows per block of the per-head products: causal attention runs blocks of 64 queries
    /// against only the keys they can see (62.5 % of the products at T = 256); else one block.
    var queryBlock: Int { isCausal ? min(64, queryLength) : queryLength }

    /// How many leading keys queries [0, end) may attend to.
    func visibleKeys(queriesBelow end: Int) -> Int { isCausal ? min(end, keyLength) : keyLength }
}

/// What attention saves for backward.
struct AttentionActivations {
    var query: UnsafeMutablePointer<Float>  // (B*Tq, D) raw projection
    var key: UnsafeMutablePointer<Float>  // (B*Tk, D)
    var value: UnsafeMutablePointer<Float>  // (B*Tk, D)
    var queryUnit: UnsafeMutablePointer<Float>  // (B*Tq, D) cosine: q / (|q| + 1e-8) per head; else query
    var keyUnit: UnsafeMutablePointer<Float>  // (B*Tk, D) cosine only; else key
    var queryNorm: UnsafeMutablePointer<Float>  // (B*Tq, H) cosine only: |q| per head
    var keyNorm: UnsafeMutablePointer<Float>  // (B*Tk, H)
    var probabilities: UnsafeMutablePointer<Float>  // (B, H, Tq, Tk) before attention dropout
    var context: UnsafeMutablePointer<Float>  // (B*Tq, D) merged heads
    var scaled: UnsafeMutablePointer<Float>  // (B*Tq, D) context * head_scale; else context
    var mid: NormActivations  // mid_layernorm of `scaled`; out aliases `scaled` when absent
    var dropped: HeadScratch  // (Tq, Tk) per thread: probabilities after dropout
}

/// One (Tq, Tk) scratch matrix per thread for the per-head loops, which run one (batch, head)
/// pair per part on the rank's threads.
struct HeadScratch {
    let base: UnsafeMutablePointer<Float>
    /// Floats per thread.
    let stride: Int
    let threads: Int

    func of(thread: Int) -> UnsafeMutablePointer<Float> { base + thread * stride }

    /// Runs `body(b, h, thread)` for every (batch row, head) pair: on the current pool when it
    /// has no more threads than this scratch, else here in order (the same results either way).
    static func forEachHead(
        batch: Int, heads: Int, threads: Int, _ body: (_ b: Int, _ h: Int, _ thread: Int) -> Void
    ) {
        let pool = WorkerPool.current
        guard pool.threadCount <= threads else {
            for index in 0..<batch * heads { body(index / heads, index % heads, 0) }
            return
        }
        pool.run(parts: batch * heads) { index, thread in body(index / heads, index % heads, thread) }
    }
}

enum Attention {
    static let cosineEpsilon: Float = 1e-8

    /// out = out_proj(mid(headScale * softmax(mask(q kᵀ scale)) v)), keys/values from `keyValueInput`.
    /// `keyMask` (B, Tk) holds 1 for keys that may be attended to (nil: all).
    static func forward(
        out: UnsafeMutablePointer<Float>,  // (B*Tq, D)
        saved: AttentionActivations,
        queryInput: UnsafePointer<Float>,  // (B*Tq, D)
        keyValueInput: UnsafePointer<Float>,  // (B*Tk, D)
        keyMask: UnsafePointer<Float>?,  // (B, Tk)
        weights: AttentionWeights, shape: AttentionShape, dropout: DropoutMask?
    ) {
        let (D, K, H) = (shape.channels, shape.headSize, shape.heads)
        let (Tq, Tk) = (shape.queryLength, shape.keyLength)
        Linear.forward(
            out: saved.query, input: queryInput, kernel: weights.query.kernel, bias: weights.query.bias,
            rows: shape.queryRows, inputs: D, outputs: D)
        Linear.forward(
            out: saved.key, input: keyValueInput, kernel: weights.key.kernel, bias: weights.key.bias,
            rows: shape.keyRows, inputs: D, outputs: D)
        Linear.forward(
            out: saved.value, input: keyValueInput, kernel: weights.value.kernel, bias: weights.value.bias,
            rows: shape.keyRows, inputs: D, outputs: D)
        if shape.cosineTau != nil {
            normalizeHeads(
                out: saved.queryUnit, norms: saved.queryNorm, input: saved.query, rows: shape.queryRows,
                heads: H, headSize: K)
            normalizeHeads(
                out: saved.keyUnit, norms: saved.keyNorm, input: saved.key, rows: shape.keyRows, heads: H,
                headSize: K)
        }
        precondition(!shape.isCausal || Tq == Tk, "causal attention needs as many queries as keys")
        let block = shape.queryBlock
        HeadScratch.forEachHead(batch: shape.batch, heads: H, threads: saved.dropped.threads) {
            b, h, thread in
            // Scores of masked keys are never computed: softmax writes their 0.
            let scores = saved.probabilities + (b * H + h) * Tq * Tk
            for first in stride(from: 0, to: Tq, by: block) {
                let rows = min(block, Tq - first)
                Linear.product(
                    rows: rows, columns: shape.visibleKeys(queriesBelow: first + rows), inner: K,
                    a: saved.queryUnit + (b * Tq + first) * D + h * K, lda: D,
                    b: saved.keyUnit + b * Tk * D + h * K, ldb: D, c: scores + first * Tk, ldc: Tk,
                    transposeB: true, alpha: shape.scoreScale)
            }
            softmax(scores, keyMask: keyMask.map { $0 + b * Tk }, shape: shape)
            var used = UnsafePointer(scores)
            if let dropout {
                let dropped = saved.dropped.of(thread: thread)
                dropout.apply(out: dropped, input: scores, count: Tq * Tk)
                used = UnsafePointer(dropped)
            }
            for first in stride(from: 0, to: Tq, by: block) {
                let rows = min(block, Tq - first)
                Linear.product(
                    rows: rows, columns: K, inner: shape.visibleKeys(queriesBelow: first + rows),
                    a: used + first * Tk, lda: Tk, b: saved.value + b * Tk * D + h * K, ldb: D,
                    c: saved.context + (b * Tq + first) * D + h * K, ldc: D)
            }
        }
        if let headScale = weights.headScale {
            for row in 0..<shape.queryRows {
                for c in 0..<D { saved.scaled[row * D + c] = saved.context[row * D + c] * headScale[c / K] }
            }
        }
        Normalization.forward(
            saved.mid, input: saved.scaled, weights: weights.mid, rows: shape.queryRows, channels: D)
        Linear.forward(
            out: out, input: saved.mid.out, kernel: weights.output.kernel, bias: weights.output.bias,
            rows: shape.queryRows, inputs: D, outputs: D)
    }

    /// Row-wise masked softmax of one head's scores (Tq, Tk) in place; masked entries become 0.
    static func softmax(
        _ scores: UnsafeMutablePointer<Float>, keyMask: UnsafePointer<Float>?, shape: AttentionShape
    ) {
        let Tk = shape.keyLength
        for i in 0..<shape.queryLength {
            let row = scores + i * Tk
            let limit = shape.isCausal ? min(i + 1, Tk) : Tk
            let peak =
                keyMask.map { VectorMath.maskedMaximum(row, mask: $0, limit) }
                ?? VectorMath.maximum(row, limit)
            if let keyMask {
                for j in 0..<limit { row[j] = keyMask[j] == 0 ? 0 : fastExp(row[j] - peak) }
            } else {
                for j in 0..<limit { row[j] = fastExp(row[j] - peak) }
            }
            VectorMath.scale(row, by: 1 / VectorMath.sum(row, limit), limit)
            for j in limit..<Tk { row[j] = 0 }
        }
    }

    /// out = x / (|x| + 1e-8) per head of K channels; saves |x| per (row, head).
    static func normalizeHeads(
        out: UnsafeMutablePointer<Float>,  // (N, H*K)
        norms: UnsafeMutablePointer<Float>,  // (N, H)
        input: UnsafePointer<Float>,  // (N, H*K)
        rows: Int, heads: Int, headSize: Int
    ) {
        for index in 0..<rows * heads {
            let x = input + index * headSize
            let norm = VectorMath.dot(x, x, headSize).squareRoot()
            norms[index] = norm
            let inverse = 1 / (norm + cosineEpsilon)
            for c in 0..<headSize { out[index * headSize + c] = x[c] * inverse }
        }
    }
}

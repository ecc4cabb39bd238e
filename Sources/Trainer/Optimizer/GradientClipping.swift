// Global L2 norm of the flat gradients and optax `clip_by_global_norm`. Not here: averaging
// over ranks (Training/DataParallel) or the update (AdamW).

/// Gradient norm and clipping over one flat gradient buffer (after averaging over ranks).
/// Clipping is off unless `max_grad_norm` is set, as in dalle-mini's Adam path.
public enum GradientClipping {
    /// Σ g² over `count` floats, accumulated in Double. In the sharded-optimizer mode each rank
    /// sums its slice and the partial sums are all-reduced before taking the square root.
    public static func sumOfSquares(_ gradients: UnsafePointer<Float>, count: Int) -> Double {
        // Four independent accumulators: shorter dependency chains, the same Double precision.
        var s0 = 0.0
        var s1 = 0.0
        var s2 = 0.0
        var s3 = 0.0
        var i = 0
        while i + 4 <= count {
            let a = Double(gradients[i])
            let b = Double(gradients[i + 1])
            let c = Double(gradients[i + 2])
            let d = Double(gradients[i + 3])
            s0 += a * a
            s1 += b * b
            s2 += c * c
            s3 += d * d
            i += 4
        }
        while i < count {
            let a = Double(gradients[i])
            s0 += a * a
            i += 1
        }
        return (s0 + s1) + (s2 + s3)
    }

    /// ‖g‖₂ over the whole buffer (optax `global_norm`, accumulated in Double).
    public static func globalNorm(_ gradients: FlatBuffer) -> Double {
        sumOfSquares(gradients.pointer, count: gradients.count).squareRoot()
    }

    /// optax `clip_by_global_norm(maxNorm)`: when `globalNorm < maxNorm` nothing changes;
    /// otherwise every element becomes `(g / globalNorm) · maxNorm` (float32, in that order).
    /// Scales `gradients[range]` (the whole buffer when nil) in place; returns whether it clipped.
    @discardableResult
    public static func clip(
        _ gradients: FlatBuffer, globalNorm: Double, maxNorm: Double, range: Range<Int>? = nil
    ) -> Bool {
        precondition(maxNorm > 0, "max_grad_norm \(maxNorm) must be positive")
        guard !(globalNorm < maxNorm) else { return false }
        let slice = range ?? 0..<gradients.count
        precondition(
            slice.lowerBound >= 0 && slice.upperBound <= gradients.count,
            "clip: slice \(slice) outside 0..<\(gradients.count)")
        let norm = Float(globalNorm)
        let limit = Float(maxNorm)
        let g = gradients.pointer
        for i in slice { g[i] = (g[i] / norm) * limit }
        return true
    }
}

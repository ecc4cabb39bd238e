// AdamW over flat buffers with optax `adamw` / `adam` semantics, for the whole buffer or one
// rank's slice. Not here: the learning-rate schedule (LearningRateSchedule) or clipping.
import Foundation

/// The constant hyperparameters of Adam/AdamW (optax `adamw(lr, b1, b2, eps, weight_decay)`).
public struct AdamWHyperparameters: Equatable, Sendable {
    /// Exponential decay of the first moment (`b1`).
    public var beta1: Double
    /// Exponential decay of the second moment (`b2`).
    public var beta2: Double
    /// Added to `sqrt(v̂)` outside the square root (`eps`; optax's `eps_root` is 0).
    public var epsilon: Double
    /// Decoupled weight decay, multiplied by the learning rate; 0 gives `optax.adam`.
    public var weightDecay: Double

    public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }
}

/// AdamW state over one flat parameter buffer: moments `m`, `v` (same count as the parameters)
/// and the update count `step` (optax's `count`), all three saved in checkpoints.
///
/// One update with c = `step` before it (optax `chain(scale_by_adam, add_decayed_weights,
/// scale_by_learning_rate)`, in float32 and in this order):
/// ```
/// m = (1-b1)·g + b1·m              v = (1-b2)·g² + b2·v
/// m̂ = m / (1 - b1^(c+1))            v̂ = v / (1 - b2^(c+1))
/// u = m̂ / (sqrt(v̂) + eps) + wd·p    p = p + (-lr)·u
/// ```
/// Decay applies to every parameter (no mask, as dalle-mini). NOTE(divergence): none from optax;
/// unlike PyTorch's Adam with `weight_decay`, the decay is decoupled (not added to g), and unlike
/// mlx's Adam the bias correction is always on.
public final class AdamW {
    /// The constant hyperparameters.
    public let hyperparameters: AdamWHyperparameters
    /// First moment, (count).
    public let m: FlatBuffer
    /// Second moment, (count).
    public let v: FlatBuffer
    /// Updates applied so far (optax `count`); the next update's bias correction uses `step + 1`.
    public var step: Int

    /// Zero moments and count for `parameterCount` parameters.
    public init(parameterCount: Int, hyperparameters: AdamWHyperparameters) {
        self.hyperparameters = hyperparameters
        m = FlatBuffer(count: parameterCount)
        v = FlatBuffer(count: parameterCount)
        step = 0
    }

    /// Applies one update to `parameters[range]` from `gradients[range]` with rate `learningRate`
    /// (the schedule's value at count `step`), then advances `step`. In the sharded-optimizer mode
    /// each rank passes its own slice; every rank advances `step` once, so the count stays shared.
    /// Elements outside `range` (parameters and moments) are untouched.
    public func update(
        parameters: FlatBuffer, gradients: FlatBuffer, learningRate: Float, range: Range<Int>? = nil
    ) {
        update(
            parameters: parameters, gradients: gradients, learningRate: learningRate,
            ranges: [range ?? 0..<m.count])
    }

    /// One update over several disjoint ranges (a rank's slice and the shared tail in the
    /// sharded mode); `step` advances once.
    public func update(
        parameters: FlatBuffer, gradients: FlatBuffer, learningRate: Float, ranges: [Range<Int>]
    ) {
        precondition(
            parameters.count == m.count && gradients.count == m.count,
            "AdamW: parameters \(parameters.count), gradients \(gradients.count), moments \(m.count)")
        for slice in ranges {
            precondition(
                slice.lowerBound >= 0 && slice.upperBound <= m.count,
                "AdamW: slice \(slice) outside 0..<\(m.count)")
            let start = slice.lowerBound
            Self.update(
                parameters: parameters.pointer + start, m: m.pointer + start, v: v.pointer + start,
                gradients: gradients.pointer + start, count: slice.count, step: step + 1,
                learningRate: learningRate, hyperparameters: hyperparameters)
        }
        step += 1
    }

    /// The update kernel over raw pointers; `step` is the 1-based count used in the bias
    /// corrections. Overwrites `parameters`, `m`, `v` (count); reads `gradients` (count).
    /// Allocation-free; every operation is a float32 operation in optax's order, so the result
    /// matches optax up to the rounding of `b^step` (exact for the first update).
    public static func update(
        parameters: UnsafeMutablePointer<Float>,  // (count)
        m: UnsafeMutablePointer<Float>,  // (count)
        v: UnsafeMutablePointer<Float>,  // (count)
        gradients: UnsafePointer<Float>,  // (count)
        count: Int, step: Int, learningRate: Float, hyperparameters: AdamWHyperparameters
    ) {
        precondition(step >= 1, "AdamW step \(step) must be at least 1")
        // Python-float constants become float32 in jax: `1 - b1` is rounded from the double.
        let b1 = Float(hyperparameters.beta1)
        let b2 = Float(hyperparameters.beta2)
        let oneMinusB1 = Float(1 - hyperparameters.beta1)
        let oneMinusB2 = Float(1 - hyperparameters.beta2)
        // optax: `1 - b ** count` with b and count promoted to float32.
        let correction1 = 1 - powFloat(b1, step)
        let correction2 = 1 - powFloat(b2, step)
        let epsilon = Float(hyperparameters.epsilon)
        let decay = Float(hyperparameters.weightDecay)
        let scale = -learningRate
        if decay == 0 {
            for i in 0..<count {
                let g = gradients[i]
                let mi = oneMinusB1 * g + b1 * m[i]
                let vi = oneMinusB2 * (g * g) + b2 * v[i]
                m[i] = mi
                v[i] = vi
                let direction = (mi / correction1) / ((vi / correction2).squareRoot() + epsilon)
                parameters[i] = parameters[i] + scale * direction
            }
        } else {
            for i in 0..<count {
                let g = gradients[i]
                let p = parameters[i]
                let mi = oneMinusB1 * g + b1 * m[i]
                let vi = oneMinusB2 * (g * g) + b2 * v[i]
                m[i] = mi
                v[i] = vi
                let direction = (mi / correction1) / ((vi / correction2).squareRoot() + epsilon)
                parameters[i] = p + scale * (direction + decay * p)
            }
        }
    }

    /// `base ** exponent` as float32 (optax evaluates `b ** count` in float32).
    private static func powFloat(_ base: Float, _ exponent: Int) -> Float {
        Float(pow(Double(base), Double(exponent)))
    }
}

// AdamW over flat buffers with optax `adamw` / `adam` semantics, for the whole buffer or one
// rank's slice. Not here: the learning-rate schedule (LearningRateSchedule) or clipping.
import CVectorMath
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
    /// First moment: the owned ranges' elements back to back.
    public let m: FlatBuffer
    /// Second moment, laid out like `m`.
    public let v: FlatBuffer
    /// Updates applied so far (optax `count`); the next update's bias correction uses `step + 1`.
    public var step: Int
    /// Number of parameters of the whole model.
    public let parameterCount: Int
    /// The ranges of the parameter buffer whose moments this instance holds (all of it, or a
    /// rank's slice plus the shared tail in the sharded-optimizer mode), in storage order.
    public let ownedRanges: [Range<Int>]
    /// True when the moments cover only part of the parameters (ZeRO-1).
    public var isSharded: Bool { m.count != parameterCount }

    /// Zero moments and count for `parameterCount` parameters, holding moments only for
    /// `ownedRanges` (default: every parameter).
    public init(parameterCount: Int, hyperparameters: AdamWHyperparameters, ownedRanges: [Range<Int>]? = nil)
    {
        self.hyperparameters = hyperparameters
        self.parameterCount = parameterCount
        self.ownedRanges = ownedRanges ?? [0..<parameterCount]
        precondition(
            self.ownedRanges.allSatisfy { $0.lowerBound >= 0 && $0.upperBound <= parameterCount },
            "AdamW: owned ranges \(self.ownedRanges) outside 0..<\(parameterCount)")
        let localCount = self.ownedRanges.map(\.count).reduce(0, +)
        m = FlatBuffer(count: localCount)
        v = FlatBuffer(count: localCount)
        step = 0
    }

    /// One update of every owned range of `parameters` from `gradients` (full-size buffers) with
    /// rate `learningRate` (the schedule's value at count `step`); `step` advances once.
    public func update(parameters: FlatBuffer, gradients: FlatBuffer, learningRate: Float) {
        precondition(
            parameters.count == parameterCount && gradients.count == parameterCount,
            "AdamW: parameters \(parameters.count), gradients \(gradients.count), expected \(parameterCount)")
        var local = 0
        for range in ownedRanges {
            let start = range.lowerBound
            Self.update(
                parameters: parameters.pointer + start, m: m.pointer + local, v: v.pointer + local,
                gradients: gradients.pointer + start, count: range.count, step: step + 1,
                learningRate: learningRate, hyperparameters: hyperparameters)
            local += range.count
        }
        step += 1
    }

    /// Applies one update to `parameters[range]` only, then advances `step` (moments must cover
    /// every parameter). Elements outside `range` (parameters and moments) are untouched.
    public func update(
        parameters: FlatBuffer, gradients: FlatBuffer, learningRate: Float, range: Range<Int>
    ) {
        precondition(!isSharded, "AdamW.update(range:) needs moments for every parameter")
        precondition(
            parameters.count == m.count && gradients.count == m.count,
            "AdamW: parameters \(parameters.count), gradients \(gradients.count), moments \(m.count)")
        precondition(
            range.lowerBound >= 0 && range.upperBound <= m.count,
            "AdamW: slice \(range) outside 0..<\(m.count)")
        let start = range.lowerBound
        Self.update(
            parameters: parameters.pointer + start, m: m.pointer + start, v: v.pointer + start,
            gradients: gradients.pointer + start, count: range.count, step: step + 1,
            learningRate: learningRate, hyperparameters: hyperparameters)
        step += 1
    }

    /// The update kernel over raw pointers; `step` is the 1-based count used in the bias
    /// corrections. Overwrites `parameters`, `m`, `v` (count); reads `gradients` (count).
    /// Allocation-free; every operation is a float32 operation in optax's order, so the result
    /// matches optax up to the rounding of `b^step` (exact for the first update).
    /// The elements are spread over the rank's threads in groups of 8 (each element's result is
    /// the same wherever a split falls).
    public static func update(
        parameters: UnsafeMutablePointer<Float>,  // (count)
        m: UnsafeMutablePointer<Float>,  // (count)
        v: UnsafeMutablePointer<Float>,  // (count)
        gradients: UnsafePointer<Float>,  // (count)
        count: Int, step: Int, learningRate: Float, hyperparameters: AdamWHyperparameters
    ) {
        precondition(step >= 1, "AdamW step \(step) must be at least 1")
        let groups = count / 8
        WorkerPool.current.forEachRange(groups, minimum: 8_192) { range in
            let start = range.lowerBound * 8
            let end = range.upperBound == groups ? count : range.upperBound * 8
            updateSlice(
                parameters: parameters + start, m: m + start, v: v + start, gradients: gradients + start,
                count: end - start, step: step, learningRate: learningRate, hyperparameters: hyperparameters)
        }
    }

    /// `update` over one slice, on the calling thread.
    private static func updateSlice(
        parameters: UnsafeMutablePointer<Float>,  // (count)
        m: UnsafeMutablePointer<Float>,  // (count)
        v: UnsafeMutablePointer<Float>,  // (count)
        gradients: UnsafePointer<Float>,  // (count)
        count: Int, step: Int, learningRate: Float, hyperparameters: AdamWHyperparameters
    ) {
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
        // Blocks of SIMD8 lanes: the same IEEE float32 operations per element as the scalar
        // tail (no contraction into FMAs), so results are bit-identical. The square roots run
        // packed over one stack block (`CVectorMath`, `sqrtps`): Swift's squareRoot() is a libm
        // call that stays scalar. The compiler could not vectorize the scalar loop itself
        // because the four buffers might alias.
        typealias Lanes = SIMD8<Float>
        let vectorCount = count / 8 * 8
        withUnsafeTemporaryAllocation(of: Float.self, capacity: Self.blockCount) { block in
            let roots = block.baseAddress!
            var blockStart = 0
            while blockStart < vectorCount {
                let blockEnd = min(blockStart + Self.blockCount, vectorCount)
                var i = blockStart
                while i < blockEnd {
                    let g = UnsafeRawPointer(gradients + i).loadUnaligned(as: Lanes.self)
                    let mi = oneMinusB1 * g + b1 * UnsafeRawPointer(m + i).loadUnaligned(as: Lanes.self)
                    let vi = oneMinusB2 * (g * g) + b2 * UnsafeRawPointer(v + i).loadUnaligned(as: Lanes.self)
                    UnsafeMutableRawPointer(m + i).storeBytes(of: mi, as: Lanes.self)
                    UnsafeMutableRawPointer(v + i).storeBytes(of: vi, as: Lanes.self)
                    UnsafeMutableRawPointer(roots + (i - blockStart)).storeBytes(
                        of: vi / correction2, as: Lanes.self)
                    i += 8
                }
                cvm_square_root_in_place(roots, blockEnd - blockStart)
                i = blockStart
                while i < blockEnd {
                    let p = UnsafeRawPointer(parameters + i).loadUnaligned(as: Lanes.self)
                    let mi = UnsafeRawPointer(m + i).loadUnaligned(as: Lanes.self)
                    let root = UnsafeRawPointer(roots + (i - blockStart)).loadUnaligned(as: Lanes.self)
                    let direction = (mi / correction1) / (root + epsilon)
                    let updated = decay == 0 ? p + scale * direction : p + scale * (direction + decay * p)
                    UnsafeMutableRawPointer(parameters + i).storeBytes(of: updated, as: Lanes.self)
                    i += 8
                }
                blockStart = blockEnd
            }
        }
        for i in vectorCount..<count {
            let g = gradients[i]
            let p = parameters[i]
            let mi = oneMinusB1 * g + b1 * m[i]
            let vi = oneMinusB2 * (g * g) + b2 * v[i]
            m[i] = mi
            v[i] = vi
            let direction = (mi / correction1) / ((vi / correction2).squareRoot() + epsilon)
            parameters[i] = decay == 0 ? p + scale * direction : p + scale * (direction + decay * p)
        }
    }

    /// Elements per block of the update kernel: its square roots (4 KiB) stay in L1, and so do
    /// the block's moments between the two passes.
    public static let blockCount = 1024

    /// `base ** exponent` as float32 (optax evaluates `b ** count` in float32).
    private static func powFloat(_ base: Float, _ exponent: Int) -> Float {
        Float(pow(Double(base), Double(exponent)))
    }
}

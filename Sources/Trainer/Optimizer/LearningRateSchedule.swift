// The learning-rate schedule of dalle-mini's tools/train/train.py (`create_learning_rate_fn`),
// evaluated the way optax does. Not here: the optimizer update (AdamW) or option parsing.
import Foundation

/// dalle-mini's schedule: a linear warm-up from 0 over `warmupSteps + 1` steps, joined at
/// boundary `warmupSteps` (not `+ 1`) to a constant, linear or exponential decay; `offset`
/// keeps the rate at 0 for the first `offset` counts and shifts everything after it.
///
/// ```python
/// warmup = optax.linear_schedule(0.0, lr, transition_steps=warmup_steps + 1)
/// if lr_offset: warmup = optax.join_schedules([optax.constant_schedule(0.0), warmup], [lr_offset])
/// decay = optax.linear_schedule(lr, 0, num_train_steps - warmup_steps)            # "linear"
///       | optax.exponential_decay(lr, lr_transition_steps, lr_decay_rate, staircase=lr_staircase)
/// schedule = warmup if lr_decay is None else optax.join_schedules([warmup, decay], [warmup_steps + lr_offset])
/// ```
/// optax reads the schedule at its count *before* incrementing it, so update k (1-based) uses
/// `rate(atCount: k - 1)`. Hence the first update has rate 0, except with a decay and
/// `warmupSteps = 0` (the boundary is then 0 and the decay starts at the full rate); and with a
/// decay the ramp stops at `lr·(W-1)/(W+1)`, then jumps to `lr` at count W.
public struct LearningRateSchedule: Equatable, Sendable {
    /// What follows the warm-up.
    public enum Decay: Equatable, Sendable {
        /// `lr_decay = None`: the warm-up ramp alone (it reaches `lr` at count `W + 1` and stays).
        case none
        /// `lr_decay = "linear"`: from `lr` to 0 over `totalSteps - warmupSteps` counts;
        /// `totalSteps` is train.py's `num_train_steps`. The rate reaches 0 only at count
        /// `totalSteps`, after the last update; if `totalSteps <= warmupSteps` optax keeps `lr`.
        case linear(totalSteps: Int)
        /// `lr_decay = "exponential"`: `lr · rate^((c - W) / transitionSteps)`, floored exponent
        /// when `staircase`. optax keeps `lr` constant when `transitionSteps <= 0` or `rate == 0`.
        case exponential(transitionSteps: Int, rate: Double, staircase: Bool)
    }

    /// Peak rate (`learning_rate`).
    public var learningRate: Double
    /// `warmup_steps` (W).
    public var warmupSteps: Int
    /// The decay after the warm-up.
    public var decay: Decay
    /// `lr_offset`: counts kept at rate 0 before the warm-up starts (for resumed runs).
    public var offset: Int

    public init(learningRate: Double, warmupSteps: Int, decay: Decay = .none, offset: Int = 0) {
        precondition(warmupSteps >= 0 && offset >= 0, "warmup_steps and lr_offset must not be negative")
        self.learningRate = learningRate
        self.warmupSteps = warmupSteps
        self.decay = decay
        self.offset = offset
    }

    /// The float32 rate that optax applies at optimizer count `count` (the update numbered
    /// `count + 1`): every operation rounded to float32 in optax's order, so this equals the
    /// rates recorded in `fixtures/trajectory` bit for bit.
    public func rate(atCount count: Int) -> Float {
        precondition(count >= 0, "optimizer count \(count) must not be negative")
        let lastBoundary = warmupSteps + offset
        if case .none = decay {
            return warmupWithOffset(count)
        }
        if count < lastBoundary { return warmupWithOffset(count) }
        return decayed(count - lastBoundary)
    }

    /// The rate of update `update` (1-based): `rate(atCount: update - 1)`.
    public func rate(forUpdate update: Int) -> Float { rate(atCount: update - 1) }

    /// The closed form in Double, without float32 rounding (the `lr_exact` of the fixtures):
    /// `lr·c/(W+1)` for `c < W` (`c ≤ W` and capped at `lr` without decay), then the decay at
    /// `c - W`, all after subtracting `offset` (rate 0 before it).
    public func exactRate(atCount count: Int) -> Double {
        precondition(count >= 0, "optimizer count \(count) must not be negative")
        if count < offset { return 0 }
        let c = count - offset
        let ramp = learningRate * Double(min(c, warmupSteps + 1)) / Double(warmupSteps + 1)
        if case .none = decay { return ramp }
        if c < warmupSteps { return ramp }
        let after = c - warmupSteps
        switch decay {
        case .none:
            return ramp
        case .linear(let totalSteps):
            let span = totalSteps - warmupSteps
            guard span > 0 else { return learningRate }
            return learningRate * (1 - Double(min(after, span)) / Double(span))
        case .exponential(let transitionSteps, let rate, let staircase):
            guard transitionSteps > 0, rate != 0, after > 0 else { return learningRate }
            let ratio = Double(after) / Double(transitionSteps)
            return learningRate * pow(rate, staircase ? ratio.rounded(.down) : ratio)
        }
    }

    /// optax `join_schedules([constant_schedule(0.0), warmup], [offset])` (or just `warmup`).
    private func warmupWithOffset(_ count: Int) -> Float {
        if count < offset { return 0 }
        return Self.linear(
            from: 0, to: learningRate, transitionSteps: warmupSteps + 1, count: count - offset)
    }

    private func decayed(_ count: Int) -> Float {
        switch decay {
        case .none:
            return warmupWithOffset(count)
        case .linear(let totalSteps):
            return Self.linear(
                from: learningRate, to: 0, transitionSteps: totalSteps - warmupSteps, count: count)
        case .exponential(let transitionSteps, let rate, let staircase):
            return Self.exponential(
                from: learningRate, transitionSteps: transitionSteps, rate: rate, staircase: staircase,
                count: count)
        }
    }

    /// optax `polynomial_schedule(power=1)` in float32:
    /// `(init - end)·(1 - clip(count, 0, steps)/steps) + end`, constant `init` when `steps <= 0`.
    static func linear(from initial: Double, to end: Double, transitionSteps: Int, count: Int) -> Float {
        guard transitionSteps > 0 else { return Float(initial) }
        let clipped = Float(min(max(count, 0), transitionSteps))
        let fraction = 1 - clipped / Float(transitionSteps)
        // `init_value - end_value` is a Python float subtraction, rounded once to float32.
        return Float(initial - end) * fraction + Float(end)
    }

    /// optax `exponential_decay` in float32: `init·rate^(count/steps)` (exponent floored when
    /// `staircase`), `init` for `count <= 0`; constant `init` when `steps <= 0` or `rate == 0`.
    static func exponential(
        from initial: Double, transitionSteps: Int, rate: Double, staircase: Bool, count: Int
    ) -> Float {
        guard transitionSteps > 0, rate != 0, count > 0 else { return Float(initial) }
        var exponent = Float(count) / Float(transitionSteps)
        if staircase { exponent = exponent.rounded(.down) }
        return Float(initial) * Float(pow(Double(Float(rate)), Double(exponent)))
    }
}

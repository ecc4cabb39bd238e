// Adafactor exactly as optax 0.1.7's `adafactor` (the chain train.py builds with --optim adafactor),
// each tensor of the flat buffer updated on its own, second moments factored for large matrices.
import CVectorMath
import Foundation

/// The constants of optax `adafactor` (train.py passes `clipping_threshold=max_grad_norm` and
/// `weight_decay_rate=weight_decay or None`; the rest are optax's defaults).
public struct AdafactorHyperparameters: Equatable, Sendable {
    /// A matrix is factored when its second-largest dim reaches this.
    public var minDimSizeToFactor = 128
    /// Exponent of the second-moment decay `β = 1 − (c + 1)^(−decayRate)`.
    public var decayRate = 0.8
    /// Subtracted from the count in the decay.
    public var decayOffset = 0
    /// Added to g² (`eps`).
    public var epsilon = 1e-30
    /// Each tensor's update is divided by max(1, rms(u) / threshold); nil: no clipping.
    public var clippingThreshold: Double? = 1.0
    /// Scale the update by max(rms(p), `parameterScaleFloor`).
    public var multiplyByParameterScale = true
    /// The floor of the parameter scale (optax's `min_scale`).
    public var parameterScaleFloor = 1e-3
    /// Added as `rate · p` after the learning-rate scaling (not multiplied by lr); nil: none.
    public var weightDecayRate: Double?

    /// optax's defaults with train.py's clipping threshold 1.
    public init() {}
}

/// optax 0.1.7 `adafactor` over a flat buffer. One update, with c the count before it:
/// ```
/// β = 1 − (c + 1 − offset)^(−0.8)       G = g² + eps
/// unfactored: v = β·v + (1 − β)·G;  u = g · v^(−½)
/// factored (d₁ = the smaller dim, d₀ = the larger; equal dims: d₁ = 0):
///     v_row = β·v_row + (1 − β)·mean(G over d₀)      (indexed by d₁)
///     v_col = β·v_col + (1 − β)·mean(G over d₁)      (indexed by d₀)
///     u = g · (v_row / mean(v_row))^(−½) · v_col^(−½)
/// u = u / max(1, rms(u) / threshold)    u = lr · u    u = u · sqrt(max(mean(p²), floor²))
/// u = u + wd · p                        p = p − u
/// ```
/// NOTE(divergence): none from optax; momentum (optax's `momentum=None` in train.py) is not offered.
public final class Adafactor: ParameterOptimizer {
    /// How one tensor's second moment is kept.
    public struct TensorPlan: Equatable, Sendable {
        /// The parameter's name, offset and count.
        public var entry: ParameterEntry
        /// Rows and columns of the tensor seen as a matrix (a vector is one row).
        public var rows: Int
        public var columns: Int
        /// True when the second moment is factored.
        public var isFactored: Bool
        /// True when `v_row` runs along the rows (the rows are the smaller dim, d₁ = 0).
        public var rowStatisticIsPerRow: Bool
        /// Offset of `v` (count elements) or of `v_row` then `v_col` in `secondMoments`.
        public var stateOffset: Int
        /// Floats of state: `count`, or the two factor lengths.
        public var stateCount: Int
    }

    /// The constants.
    public let hyperparameters: AdafactorHyperparameters
    /// One plan per tensor this instance updates, in layout order.
    public let plans: [TensorPlan]
    /// Every tensor's `v`, or `v_row` followed by `v_col`, back to back.
    public let secondMoments: FlatBuffer
    public var step = 0
    private let parameterCount: Int
    private let direction: FlatBuffer
    private let factors: FlatBuffer
    private let factorSums: UnsafeMutablePointer<Double>

    /// Zero state for the tensors of `layout`, or only for the entries `tensors` (the sharded mode:
    /// this rank updates and keeps state for those alone).
    public init(
        layout: ParameterLayout, hyperparameters: AdafactorHyperparameters, tensors: Range<Int>? = nil
    ) {
        self.hyperparameters = hyperparameters
        parameterCount = layout.count
        var plans: [TensorPlan] = []
        var stateCount = 0
        var largestTensor = 1
        var largestDims = 1
        for entry in layout.entries[tensors ?? layout.entries.indices] {
            let plan = Self.plan(entry, stateOffset: stateCount, hyperparameters: hyperparameters)
            plans.append(plan)
            stateCount += plan.stateCount
            largestTensor = max(largestTensor, entry.count)
            largestDims = max(largestDims, plan.rows + plan.columns)
        }
        self.plans = plans
        secondMoments = FlatBuffer(count: stateCount)
        direction = FlatBuffer(count: largestTensor)
        factors = FlatBuffer(count: largestDims)
        factorSums = .allocate(capacity: largestDims)
        factorSums.initialize(repeating: 0, count: largestDims)
    }

    deinit { factorSums.deallocate() }

    /// How `entry`'s second moment is kept (optax's `_factored_dims`).
    static func plan(
        _ entry: ParameterEntry, stateOffset: Int, hyperparameters: AdafactorHyperparameters
    ) -> TensorPlan {
        precondition(entry.shape.count <= 2, "Adafactor: \(entry.name) has rank \(entry.shape.count) > 2")
        let rows = entry.shape.count == 2 ? entry.shape[0] : 1
        let columns = entry.shape.last ?? 1
        // numpy.argsort of two dims: ties keep axis 0 as the smaller (d₁).
        let isFactored = entry.shape.count == 2 && min(rows, columns) >= hyperparameters.minDimSizeToFactor
        return TensorPlan(
            entry: entry, rows: rows, columns: columns, isFactored: isFactored,
            rowStatisticIsPerRow: rows <= columns, stateOffset: stateOffset,
            stateCount: isFactored ? rows + columns : entry.count)
    }

    /// Floats of state of each entry of `layout` (without allocating it).
    public static func stateCounts(layout: ParameterLayout, hyperparameters: AdafactorHyperparameters)
        -> [Int]
    {
        layout.entries.map { plan($0, stateOffset: 0, hyperparameters: hyperparameters).stateCount }
    }

    /// One update of every planned tensor; `step` advances once.
    public func update(parameters: FlatBuffer, gradients: FlatBuffer, learningRate: Float) {
        precondition(
            parameters.count == parameterCount && gradients.count == parameterCount,
            "Adafactor: parameters \(parameters.count), gradients \(gradients.count), expected \(parameterCount)"
        )
        let t = Float(step - hyperparameters.decayOffset) + 1
        let beta = 1 - powf(t, -Float(hyperparameters.decayRate))
        for plan in plans {
            update(
                plan, parameters: parameters.pointer, gradients: gradients.pointer, beta: beta,
                rate: learningRate)
        }
        step += 1
    }

    /// `v.<parameter>`, or `v_row.<parameter>` and `v_col.<parameter>` (optax's names), per planned
    /// tensor.
    public func stateTensors(layout: ParameterLayout) -> [OptimizerStateTensor] {
        plans.flatMap { plan -> [OptimizerStateTensor] in
            let state = secondMoments.pointer + plan.stateOffset
            let name = plan.entry.name
            guard plan.isFactored else {
                return [OptimizerStateTensor(name: "v.\(name)", shape: plan.entry.shape, pointer: state)]
            }
            let rowCount = plan.rowStatisticIsPerRow ? plan.rows : plan.columns
            return [
                OptimizerStateTensor(name: "v_row.\(name)", shape: [rowCount], pointer: state),
                OptimizerStateTensor(
                    name: "v_col.\(name)", shape: [plan.stateCount - rowCount], pointer: state + rowCount),
            ]
        }
    }

    public var stateFormat: String { "optax.adafactor" }

    /// The decay β of the next update.
    public var nextDecay: Float {
        1 - powf(Float(step - hyperparameters.decayOffset) + 1, -Float(hyperparameters.decayRate))
    }

    private func update(
        _ plan: TensorPlan, parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
        beta: Float, rate: Float
    ) {
        let count = plan.entry.count
        let p = parameters + plan.entry.offset
        let g = gradients + plan.entry.offset
        let u = direction.pointer
        let state = secondMoments.pointer + plan.stateOffset
        let epsilon = Float(hyperparameters.epsilon)
        let oneMinusBeta = 1 - beta
        if plan.isFactored {
            factoredDirection(plan, u: u, g: g, state: state, beta: beta, epsilon: epsilon)
        } else {
            for i in 0..<count {
                let v = beta * state[i] + oneMinusBeta * (g[i] * g[i] + epsilon)
                state[i] = v
                u[i] = v
            }
            cvm_square_root_in_place(u, count)
            for i in 0..<count { u[i] = g[i] * (1 / u[i]) }
        }
        // One pass in optax's order: clip, × lr, × parameter scale, + decay · p, p − u.
        let threshold = hyperparameters.clippingThreshold.map(Float.init)
        var denominator: Float = 1
        if let threshold {
            let rms = Float((sumOfSquares(u, count) / Double(count)).squareRoot())
            denominator = max(1, rms / threshold)
        }
        let floor = Float(hyperparameters.parameterScaleFloor)
        let scale =
            hyperparameters.multiplyByParameterScale
            ? max(Float(sumOfSquares(p, count) / Double(count)), floor * floor).squareRoot() : 1
        let decay = hyperparameters.weightDecayRate.map(Float.init) ?? 0
        let clips = threshold != nil
        let scales = hyperparameters.multiplyByParameterScale
        let decays = hyperparameters.weightDecayRate != nil
        for i in 0..<count {
            var x = u[i]
            if clips { x = x / denominator }
            x = x * rate
            if scales { x = x * scale }
            if decays { x = x + decay * p[i] }
            p[i] = p[i] + -x
        }
    }

    /// The factored direction of one matrix: running means of G along each dim, then
    /// u = g · (v_row / mean(v_row))^(−½) · v_col^(−½).
    private func factoredDirection(
        _ plan: TensorPlan, u: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>,
        state: UnsafeMutablePointer<Float>, beta: Float, epsilon: Float
    ) {
        let (rows, columns) = (plan.rows, plan.columns)
        let rowSums = factorSums
        let columnSums = factorSums + rows
        rowSums.update(repeating: 0, count: rows + columns)
        for r in 0..<rows {
            for c in 0..<columns {
                let square = Double(g[r * columns + c] * g[r * columns + c] + epsilon)
                rowSums[r] += square
                columnSums[c] += square
            }
        }
        // v_row is indexed by the smaller dim d₁ (a mean over d₀), v_col by d₀.
        let (perRow, rowCount, perColumn, columnCount) =
            plan.rowStatisticIsPerRow
            ? (rowSums, rows, columnSums, columns) : (columnSums, columns, rowSums, rows)
        let vRow = state
        let vCol = state + rowCount
        let oneMinusBeta = 1 - beta
        for i in 0..<rowCount {
            vRow[i] = beta * vRow[i] + oneMinusBeta * Float(perRow[i] / Double(columnCount))
        }
        for i in 0..<columnCount {
            vCol[i] = beta * vCol[i] + oneMinusBeta * Float(perColumn[i] / Double(rowCount))
        }
        var rowTotal = 0.0
        for i in 0..<rowCount { rowTotal += Double(vRow[i]) }
        let rowMean = Float(rowTotal / Double(rowCount))
        let rowFactors = factors.pointer
        let columnFactors = factors.pointer + rowCount
        for i in 0..<rowCount { rowFactors[i] = vRow[i] / rowMean }
        for i in 0..<columnCount { columnFactors[i] = vCol[i] }
        cvm_square_root_in_place(factors.pointer, rowCount + columnCount)
        for i in 0..<rowCount + columnCount { factors.pointer[i] = 1 / factors.pointer[i] }
        for r in 0..<rows {
            for c in 0..<columns {
                let (i, j) = plan.rowStatisticIsPerRow ? (r, c) : (c, r)
                u[r * columns + c] = g[r * columns + c] * rowFactors[i] * columnFactors[j]
            }
        }
    }

    private func sumOfSquares(_ x: UnsafePointer<Float>, _ count: Int) -> Double {
        var sum = 0.0
        for i in 0..<count { sum += Double(x[i]) * Double(x[i]) }
        return sum
    }
}

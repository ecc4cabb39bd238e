// Distributed Shampoo (dalle-mini's scalable_shampoo in train.py's sharded "pjit" mode) over the
// flat buffer: statistics every step, grafted and momentum-smoothed updates, and inverse p-th roots
// every `preconditioning_compute_steps`, computed after the update and first used one step later.

/// Distributed Shampoo's state and update. One update, with c the count before it:
/// ```
/// 1. every block X, every axis: S = β₂·S + (1 − β₂)·(X contracted with itself over the other axis)
/// 2. grafting r (per tensor): rmsprop_normalized: ĝ = g/(‖g‖ + 1e-16), d = β₂·d + (1 − β₂)·ĝ²,
///    r = ĝ/(sqrt(d) + eps); adagrad: d = d + g², r = g/(sqrt(d) + eps); sgd: r = g
/// 3. Y = blocks preconditioned with the stored roots (P₀ᵀ·X·P₁; a vector: xᵀ·P₀), or Y = r for a
///    skipped tensor; s = Y·‖r‖/(‖Y‖ + 1e-16)
/// 4. s = s + wd·p, r = r + wd·p
/// 5. m = β₁·m + (1 − β₁)·s, m_r = β₁·m_r + (1 − β₁)·r
/// 6. (M, U) = (m, s) if c ≥ start_preconditioning_step else (m_r, r); Nesterov: M = (1 − β₁)·U + β₁·M;
///    p = p − lr·M
/// 7. if c % preconditioning_compute_steps == 0: new roots of every statistic (InversePthRoot); a
///    root with a NaN error or an error ≥ the failure threshold keeps the old preconditioner.
/// ```
/// The statistics start at 1e-6·I, the preconditioners at I, everything else at 0.
public final class Shampoo: ParameterOptimizer {
    /// The constants.
    public let hyperparameters: ShampooHyperparameters
    /// Where every tensor's state lives.
    public let layout: ShampooLayout
    /// The layout entries this instance updates and keeps state for: all, or this rank's share in
    /// the sharded mode (`ParameterShards.tensorShares`).
    public let ownedTensors: Range<Int>
    /// The statistics of `ownedTensors` (a contiguous run: statistics follow tensor order).
    public let tensorStatistics: Range<Int>
    /// Every statistic of `ownedTensors`, unpadded, back to back (`ShampooLayout.Statistic.offset`
    /// minus that of the first).
    public let statistics: FlatBuffer
    /// Every preconditioner, laid out like `statistics`.
    public let preconditioners: FlatBuffer
    /// The grafting's second moment d (one per parameter of `ownedTensors`; empty for SGD grafting).
    public let diagonalStatistics: FlatBuffer
    /// Momentum of the Shampoo direction m (one per parameter of `ownedTensors`).
    public let momentum: FlatBuffer
    /// Momentum of the grafting direction m_r (one per parameter of `ownedTensors`).
    public let diagonalMomentum: FlatBuffer
    /// The error of each statistic's last root (0 before the first).
    public let rootErrors: FlatBuffer
    public var step = 0
    /// The statistics this instance updates every step (all of them, or the share of this rank
    /// when the ranks split the roots: only the root of a statistic reads it).
    public var ownedStatistics: Range<Int>
    private var shareCache: (worldSize: Int, shares: [Range<Int>]) = (1, [])
    private let parameterCount: Int
    /// Flat offsets of the first owned parameter and of the first owned statistic.
    private let elementBase: Int
    private let statisticBase: Int
    private let graft: FlatBuffer
    private let direction: FlatBuffer
    private let blockScratch: FlatBuffer
    private let statisticScratch: FlatBuffer
    private let root: InversePthRoot

    /// Fresh state for the tensors of `parameterLayout`, or only for the entries `tensors` (the
    /// sharded mode).
    public init(
        parameterLayout: ParameterLayout, hyperparameters: ShampooHyperparameters, tensors: Range<Int>? = nil
    ) {
        self.hyperparameters = hyperparameters
        let layout = ShampooLayout(layout: parameterLayout, hyperparameters: hyperparameters)
        self.layout = layout
        parameterCount = parameterLayout.count
        let ownedTensors = tensors ?? parameterLayout.entries.indices
        self.ownedTensors = ownedTensors
        let owned = layout.statistics.indices.filter { ownedTensors.contains(layout.statistics[$0].tensor) }
        let tensorStatistics = (owned.first ?? 0)..<((owned.last ?? -1) + 1)
        self.tensorStatistics = tensorStatistics
        let entries = parameterLayout.entries[ownedTensors]
        let elementBase = entries.first?.offset ?? 0
        self.elementBase = elementBase
        let elementCount = entries.last.map { $0.offset + $0.count - elementBase } ?? 0
        let statisticBase = owned.first.map { layout.statistics[$0].offset } ?? 0
        self.statisticBase = statisticBase
        let lastStatistic = owned.last.map { layout.statistics[$0] }
        let statisticCount = lastStatistic.map { $0.offset + $0.size * $0.size - statisticBase } ?? 0
        statistics = FlatBuffer(count: statisticCount)
        preconditioners = FlatBuffer(count: statisticCount)
        for statistic in layout.statistics[tensorStatistics] {
            for i in 0..<statistic.size {
                let diagonal = statistic.offset - statisticBase + i * statistic.size + i
                statistics.pointer[diagonal] = Float(hyperparameters.matrixEpsilon)
                preconditioners.pointer[diagonal] = 1
            }
        }
        diagonalStatistics = FlatBuffer(
            count: hyperparameters.graftType.hasDiagonalStatistics ? elementCount : 0)
        momentum = FlatBuffer(count: elementCount)
        diagonalMomentum = FlatBuffer(count: elementCount)
        rootErrors = FlatBuffer(count: layout.statistics.count)
        ownedStatistics = tensorStatistics
        graft = FlatBuffer(count: layout.largestTensor)
        direction = FlatBuffer(count: layout.largestTensor)
        blockScratch = FlatBuffer(count: layout.largestBlock)
        statisticScratch = FlatBuffer(count: layout.largestStatistic * layout.largestStatistic)
        root = InversePthRoot(
            capacity: layout.largestStatistic, paddedCapacity: layout.largestPaddedStatistic,
            matrixEpsilon: Float(hyperparameters.matrixEpsilon))
    }

    /// Per owned tensor: `diagonal_statistics.<parameter>` (not with SGD grafting), `momentum.<parameter>`,
    /// `diagonal_momentum.<parameter>`, then `statistics.<i>.<parameter>` and
    /// `preconditioners.<i>.<parameter>` (unpadded) for each of its statistics.
    public func stateTensors(layout parameterLayout: ParameterLayout) -> [OptimizerStateTensor] {
        var tensors: [OptimizerStateTensor] = []
        var statisticIndex = tensorStatistics.lowerBound
        for tensor in layout.tensors[ownedTensors] {
            let (name, shape, offset) = (
                tensor.entry.name, tensor.entry.shape, tensor.entry.offset - elementBase
            )
            if diagonalStatistics.count > 0 {
                tensors.append(
                    OptimizerStateTensor(
                        name: "diagonal_statistics.\(name)", shape: shape,
                        pointer: diagonalStatistics.pointer + offset))
            }
            tensors.append(
                OptimizerStateTensor(
                    name: "momentum.\(name)", shape: shape, pointer: momentum.pointer + offset))
            tensors.append(
                OptimizerStateTensor(
                    name: "diagonal_momentum.\(name)", shape: shape,
                    pointer: diagonalMomentum.pointer + offset))
            var indexInTensor = 0
            while statisticIndex < layout.statistics.count,
                layout.tensors[layout.statistics[statisticIndex].tensor].entry.name == name
            {
                let statistic = layout.statistics[statisticIndex]
                let shape = [statistic.size, statistic.size]
                tensors.append(
                    OptimizerStateTensor(
                        name: "statistics.\(indexInTensor).\(name)", shape: shape,
                        pointer: at(statistics, statistic)))
                tensors.append(
                    OptimizerStateTensor(
                        name: "preconditioners.\(indexInTensor).\(name)", shape: shape,
                        pointer: at(preconditioners, statistic)))
                statisticIndex += 1
                indexInTensor += 1
            }
        }
        return tensors
    }

    public var stateFormat: String { "scalable_shampoo.distributed_shampoo" }

    /// Rank `rank`'s share of the statistics when `worldSize` ranks split the roots
    /// (`ShampooLayout.statisticShares`, computed once per world size).
    public func statisticShare(rank: Int, worldSize: Int) -> Range<Int> {
        if shareCache.shares.count != worldSize {
            shareCache = (worldSize, layout.statisticShares(count: worldSize))
        }
        return shareCache.shares[rank]
    }

    /// True when the update at the current count recomputes the roots after it.
    public var recomputesPreconditioners: Bool { step % hyperparameters.preconditioningComputeSteps == 0 }

    /// True when the update at the current count uses the Shampoo direction.
    public var usesShampooDirection: Bool { step >= hyperparameters.startPreconditioningStep }

    /// Steps 1-7 on every tensor, every root recomputed here when due; `step` advances once.
    public func update(parameters: FlatBuffer, gradients: FlatBuffer, learningRate: Float) {
        let recomputes = recomputesPreconditioners
        applyUpdate(parameters: parameters, gradients: gradients, learningRate: learningRate)
        if recomputes { computePreconditioners(statistics: tensorStatistics) }
        step += 1
    }

    /// Steps 1-6 on every owned tensor (not the roots, not the count).
    public func applyUpdate(parameters: FlatBuffer, gradients: FlatBuffer, learningRate: Float) {
        precondition(
            parameters.count == parameterCount && gradients.count == parameterCount,
            "Shampoo: parameters \(parameters.count), gradients \(gradients.count), expected \(parameterCount)"
        )
        for tensor in layout.tensors[ownedTensors] {
            updateStatistics(tensor, gradients: gradients.pointer + tensor.entry.offset)
            update(tensor, parameters: parameters.pointer, gradients: gradients.pointer, rate: learningRate)
        }
    }

    /// Step 7 for the statistics in `range` (an all-gather of those preconditioners follows when the
    /// ranks share the work). Each root that passes replaces its preconditioner.
    public func computePreconditioners(statistics range: Range<Int>) {
        let threshold = Float(hyperparameters.inverseFailureThreshold)
        for index in range {
            let statistic = layout.statistics[index]
            let result = root.compute(
                out: statisticScratch.pointer, statistic: at(statistics, statistic),
                size: statistic.size, paddedSize: statistic.paddedSize, exponent: statistic.exponent)
            rootErrors.pointer[index] = result.error
            if result.error.isNaN || result.error >= threshold { continue }
            at(preconditioners, statistic).update(
                from: statisticScratch.pointer, count: statistic.size * statistic.size)
        }
    }

    /// Step 1 for one tensor.
    private func updateStatistics(_ tensor: ShampooLayout.Tensor, gradients g: UnsafePointer<Float>) {
        let w1 = Float(hyperparameters.beta2)
        let w2 = Float(hyperparameters.beta2 == 1 ? 1 : 1 - hyperparameters.beta2)
        let columns = tensor.columns
        let scratch = statisticScratch.pointer
        for block in tensor.blocks {
            let x = g + block.rowStart * columns + block.columnStart
            let (a, b) = (block.rowCount, block.columnCount)
            let index = block.firstStatistic
            if tensor.mergedShape.count == 2 {
                if ownedStatistics.contains(index) {
                    Linear.product(
                        rows: a, columns: a, inner: b, a: x, lda: columns, b: x, ldb: columns, c: scratch,
                        ldc: a, transposeB: true)
                    accumulate(layout.statistics[index], scratch, w1, w2)
                }
                if ownedStatistics.contains(index + 1) {
                    Linear.product(
                        rows: b, columns: b, inner: a, a: x, lda: columns, b: x, ldb: columns, c: scratch,
                        ldc: b, transposeA: true)
                    accumulate(layout.statistics[index + 1], scratch, w1, w2)
                }
            } else if ownedStatistics.contains(index) {
                Linear.product(rows: b, columns: b, inner: 1, a: x, lda: 1, b: x, ldb: b, c: scratch, ldc: b)
                accumulate(layout.statistics[index], scratch, w1, w2)
            }
        }
    }

    private func accumulate(
        _ statistic: ShampooLayout.Statistic, _ new: UnsafePointer<Float>, _ w1: Float, _ w2: Float
    ) {
        let s = at(statistics, statistic)
        for i in 0..<statistic.size * statistic.size { s[i] = w1 * s[i] + w2 * new[i] }
    }

    /// Steps 2-6 for one tensor.
    private func update(
        _ tensor: ShampooLayout.Tensor, parameters: UnsafeMutablePointer<Float>,
        gradients: UnsafePointer<Float>,
        rate: Float
    ) {
        let count = tensor.entry.count
        let offset = tensor.entry.offset
        let g = gradients + offset
        let p = parameters + offset
        let r = graft.pointer
        let y = direction.pointer
        graftingDirection(r, g: g, offset: offset, count: count)
        if tensor.isSkipped {
            y.update(from: r, count: count)
        } else {
            preconditionBlocks(tensor, g: g, into: y)
        }
        let multiplier = Float(norm(r, count)) / (Float(norm(y, count)) + 1e-16)
        let decay = Float(hyperparameters.weightDecay)
        let beta1 = Float(hyperparameters.beta1)
        let w = hyperparameters.movingAverageForMomentum ? Float(1 - hyperparameters.beta1) : 1
        let m = momentum.pointer + (offset - elementBase)
        let mr = diagonalMomentum.pointer + (offset - elementBase)
        let usesShampoo = usesShampooDirection
        let scale = -rate
        for i in 0..<count {
            var s = y[i] * multiplier
            var graftDirection = r[i]
            if decay != 0 {
                s = s + decay * p[i]
                graftDirection = graftDirection + decay * p[i]
            }
            m[i] = m[i] * beta1 + w * s
            mr[i] = mr[i] * beta1 + w * graftDirection
            var update = usesShampoo ? m[i] : mr[i]
            if hyperparameters.nesterov { update = w * (usesShampoo ? s : graftDirection) + beta1 * update }
            p[i] = p[i] + scale * update
        }
    }

    /// Step 2: the grafting direction r of one tensor, updating its diagonal statistics.
    private func graftingDirection(
        _ r: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>, offset: Int, count: Int
    ) {
        let type = hyperparameters.graftType
        guard type.hasDiagonalStatistics else {
            r.update(from: g, count: count)
            return
        }
        let d = diagonalStatistics.pointer + (offset - elementBase)
        let beta2 = Float(hyperparameters.beta2)
        let w1: Float = type.isMovingAverage ? beta2 : 1
        let w2: Float =
            type.isMovingAverage ? Float(hyperparameters.beta2 == 1 ? 1 : 1 - hyperparameters.beta2) : 1
        let epsilon = Float(hyperparameters.diagonalEpsilon)
        let normalizer = type.isNormalized ? Float(norm(g, count)) + 1e-16 : 1
        for i in 0..<count {
            let scaled = type.isNormalized ? g[i] / normalizer : g[i]
            d[i] = w1 * d[i] + w2 * (scaled * scaled)
            r[i] = scaled / (d[i].squareRoot() + epsilon)
        }
    }

    /// Step 3 before the norm grafting: every block of `g` through its stored preconditioners.
    private func preconditionBlocks(
        _ tensor: ShampooLayout.Tensor, g: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>
    ) {
        let columns = tensor.columns
        let temporary = blockScratch.pointer
        for block in tensor.blocks {
            let start = block.rowStart * columns + block.columnStart
            let (a, b) = (block.rowCount, block.columnCount)
            let first = layout.statistics[block.firstStatistic]
            let p0 = at(preconditioners, first)
            if tensor.mergedShape.count == 2 {
                let p1 = at(preconditioners, layout.statistics[block.firstStatistic + 1])
                Linear.product(
                    rows: a, columns: b, inner: a, a: p0, lda: a, b: g + start, ldb: columns, c: temporary,
                    ldc: b,
                    transposeA: true)
                Linear.product(
                    rows: a, columns: b, inner: b, a: temporary, lda: b, b: p1, ldb: b, c: y + start,
                    ldc: columns)
            } else {
                Linear.product(
                    rows: 1, columns: b, inner: b, a: g + start, lda: b, b: p0, ldb: b, c: y + start, ldc: b)
            }
        }
    }

    /// Where `statistic` starts in `buffer` (statistics or preconditioners).
    private func at(_ buffer: FlatBuffer, _ statistic: ShampooLayout.Statistic) -> UnsafeMutablePointer<Float>
    {
        buffer.pointer + (statistic.offset - statisticBase)
    }

    /// ‖x‖₂ accumulated in double.
    private func norm(_ x: UnsafePointer<Float>, _ count: Int) -> Double {
        var sum = 0.0
        for i in 0..<count { sum += Double(x[i]) * Double(x[i]) }
        return sum.squareRoot()
    }
}

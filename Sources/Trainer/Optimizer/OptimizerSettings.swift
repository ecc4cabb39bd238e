// Which optimizer a run uses (train.py's `--optim adam|adafactor|distributed_shampoo`) with its
// constants, and the one place that builds it over a parameter layout.

/// An optimizer and its constants.
public enum OptimizerSettings: Equatable, Sendable {
    /// `adam`: optax `adamw` (AdamW).
    case adam(AdamWHyperparameters)
    /// `adafactor`: optax 0.1.7 `adafactor`.
    case adafactor(AdafactorHyperparameters)
    /// `distributed_shampoo`: dalle-mini's scalable_shampoo.
    case distributedShampoo(ShampooHyperparameters)

    /// train.py's name (`--optim`).
    public var name: String {
        switch self {
        case .adam: return "adam"
        case .adafactor: return "adafactor"
        case .distributedShampoo: return "distributed_shampoo"
        }
    }

    /// Floats of optimizer state over `layout`: Adam's m and v; Adafactor's second moments;
    /// Shampoo's diagonal statistics and two momenta per parameter plus every block's statistic
    /// and preconditioner (unpadded).
    public func stateFloatCount(layout: ParameterLayout) -> Int {
        tensorStateCounts(layout: layout).reduce(0, +)
    }

    /// `stateFloatCount` per entry of `layout` (what the sharded mode balances over the ranks).
    public func tensorStateCounts(layout: ParameterLayout) -> [Int] {
        switch self {
        case .adam:
            return layout.entries.map { 2 * $0.count }
        case .adafactor(let hyperparameters):
            return Adafactor.stateCounts(layout: layout, hyperparameters: hyperparameters)
        case .distributedShampoo(let hyperparameters):
            let perParameter = hyperparameters.graftType.hasDiagonalStatistics ? 3 : 2
            let blocks = ShampooLayout(layout: layout, hyperparameters: hyperparameters)
            var counts = layout.entries.map { perParameter * $0.count }
            for statistic in blocks.statistics {
                counts[statistic.tensor] += 2 * statistic.size * statistic.size
            }
            return counts
        }
    }

    /// What the state holds, for `plan`.
    public var stateDescription: String {
        switch self {
        case .adam: return "AdamW m, v"
        case .adafactor: return "Adafactor v"
        case .distributedShampoo: return "Shampoo"
        }
    }

    /// A fresh optimizer over every parameter of `layout`.
    public func makeOptimizer(layout: ParameterLayout) -> any ParameterOptimizer {
        makeOptimizer(
            layout: layout,
            shards: ParameterShards(parameterCount: layout.count, worldSize: 1, rank: 0, isSharded: false))
    }

    /// A fresh optimizer holding the state `shards` gives this rank: everything when replicated,
    /// AdamW's moments of its slices, or the state of its whole tensors (Adafactor, Shampoo).
    public func makeOptimizer(layout: ParameterLayout, shards: ParameterShards) -> any ParameterOptimizer {
        let tensors = shards.tensorShares?[shards.rank]
        switch self {
        case .adam(let hyperparameters):
            return AdamW(
                parameterCount: layout.count, hyperparameters: hyperparameters,
                ownedRanges: shards.ownedRanges)
        case .adafactor(let hyperparameters):
            return Adafactor(layout: layout, hyperparameters: hyperparameters, tensors: tensors)
        case .distributedShampoo(let hyperparameters):
            return Shampoo(parameterLayout: layout, hyperparameters: hyperparameters, tensors: tensors)
        }
    }

    /// How `worldSize` ranks split this optimizer's state: equal slices for Adam, whole tensors
    /// balanced by their state for the others, nothing split when `isSharded` is false.
    public func shards(layout: ParameterLayout, worldSize: Int, rank: Int, isSharded: Bool) -> ParameterShards
    {
        guard isSharded, name != "adam" else {
            return ParameterShards(
                parameterCount: layout.count, worldSize: worldSize, rank: rank, isSharded: isSharded)
        }
        return ParameterShards(
            layout: layout, stateCounts: tensorStateCounts(layout: layout), worldSize: worldSize, rank: rank)
    }
}

/// train.py's `--optim` choices.
public enum OptimizerName: String, CaseIterable, Sendable, OptionConvertible {
    case adam
    case adafactor
    case distributedShampoo = "distributed_shampoo"
}

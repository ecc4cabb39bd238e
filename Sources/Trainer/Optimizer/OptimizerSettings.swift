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
        switch self {
        case .adam:
            return 2 * layout.count
        case .adafactor(let hyperparameters):
            return Adafactor.stateCount(layout: layout, hyperparameters: hyperparameters)
        case .distributedShampoo(let hyperparameters):
            let perParameter = hyperparameters.graftType.hasDiagonalStatistics ? 3 : 2
            let blocks = ShampooLayout(layout: layout, hyperparameters: hyperparameters)
            return perParameter * layout.count + 2 * blocks.statisticsCount
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
        switch self {
        case .adam(let hyperparameters):
            return AdamW(parameterCount: layout.count, hyperparameters: hyperparameters)
        case .adafactor(let hyperparameters):
            return Adafactor(layout: layout, hyperparameters: hyperparameters)
        case .distributedShampoo(let hyperparameters):
            return Shampoo(parameterLayout: layout, hyperparameters: hyperparameters)
        }
    }
}

/// train.py's `--optim` choices.
public enum OptimizerName: String, CaseIterable, Sendable, OptionConvertible {
    case adam
    case adafactor
    case distributedShampoo = "distributed_shampoo"
}

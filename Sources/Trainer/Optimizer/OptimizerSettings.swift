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

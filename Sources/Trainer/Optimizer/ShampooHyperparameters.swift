// The settings of Distributed Shampoo as dalle-mini's train.py passes them to
// `scalable_shampoo.distributed_shampoo`, with train.py's defaults.

/// How Shampoo's per-tensor step size is grafted from a first-order method (train.py's
/// `--graft_type`; the raw values are train.py's names).
public enum ShampooGraftType: String, CaseIterable, Sendable, OptionConvertible {
    case sgd
    case adagrad
    case adagradNormalized = "adagrad_normalized"
    case rmsprop
    case rmspropNormalized = "rmsprop_normalized"

    /// The library's `GraftingType` integer (SGD 1, ADAGRAD 2, RMSPROP 3, RMSPROP_NORMALIZED 4,
    /// ADAGRAD_NORMALIZED 6).
    public init?(libraryValue: Int) {
        switch libraryValue {
        case 1: self = .sgd
        case 2: self = .adagrad
        case 3: self = .rmsprop
        case 4: self = .rmspropNormalized
        case 6: self = .adagradNormalized
        default: return nil
        }
    }

    /// True when the grafting keeps a diagonal second moment (every type but SGD).
    var hasDiagonalStatistics: Bool { self != .sgd }
    /// True when the gradient is divided by its norm before the diagonal statistics.
    var isNormalized: Bool { self == .adagradNormalized || self == .rmspropNormalized }
    /// True for the running average (RMSProp) rather than the running sum (AdaGrad).
    var isMovingAverage: Bool { self == .rmsprop || self == .rmspropNormalized }
}

/// Distributed Shampoo's constants (train.py's values unless noted).
public struct ShampooHyperparameters: Equatable, Sendable {
    /// Momentum decay (`--beta1`).
    public var beta1 = 0.9
    /// Decay of the statistics and of RMSProp grafting (`--beta2`).
    public var beta2 = 0.999
    /// Added to the root of the diagonal statistics (train.py: 1e-10).
    public var diagonalEpsilon = 1e-10
    /// Ridge of the inverse roots, relative to the top eigenvalue (train.py: 1e-6).
    public var matrixEpsilon = 1e-6
    /// Coupled weight decay, added to the direction before momentum (`--weight_decay`).
    public var weightDecay = 0.0
    /// The Shampoo direction is used from count c ≥ this; before, the grafting direction.
    /// train.py: max(`preconditioning_compute_steps` + 1, 101).
    public var startPreconditioningStep = 101
    /// Inverse roots are recomputed when c % this == 0 (`--preconditioning_compute_steps`).
    public var preconditioningComputeSteps = 10
    /// Largest block side (`--block_size`).
    public var blockSize = 1024
    /// Grafting (`--graft_type`).
    public var graftType = ShampooGraftType.rmspropNormalized
    /// Nesterov momentum (`--nesterov`).
    public var nesterov = false
    /// Tensors with a dim above this get the grafting update only
    /// (`--skip_preconditioning_dim_size_gt`).
    public var skipPreconditioningDimSizeGT = 4096
    /// A root whose error is NaN or at least this is rejected (train.py: 0.1).
    public var inverseFailureThreshold = 0.1
    /// Adjacent dims are merged while their product stays at most this (library default 4096).
    public var mergeSmallDimsBlockSize = 4096
    /// Momentum as a moving average, (1 − β₁) on the new term (train.py: true).
    public var movingAverageForMomentum = true
    /// Root exponent for every statistic; 0: twice the tensor's (merged) rank.
    public var exponentOverride = 0

    /// train.py's defaults.
    public init() {}

    /// train.py's `start_preconditioning_step` for `preconditioningComputeSteps`.
    public static func trainPyStartPreconditioningStep(preconditioningComputeSteps: Int) -> Int {
        max(preconditioningComputeSteps + 1, 101)
    }
}

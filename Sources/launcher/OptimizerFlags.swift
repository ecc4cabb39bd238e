// The optimizer flags `bench` and `plan` share (train.py's names), applied to TrainingOptions so
// that both build the optimizer the way `train` does.
import ArgumentParser
import Trainer

/// `--optim` and the Distributed Shampoo settings that change its cost and memory.
struct OptimizerFlags: ParsableArguments {
    @Option(help: "Optimizer: adam, adafactor or distributed_shampoo.")
    var optim = "adam"
    @Option(help: "Distributed Shampoo: largest block side of the statistics.")
    var blockSize = 1024
    @Option(help: "Distributed Shampoo: steps between inverse-root computations (1: every step).")
    var preconditioningComputeSteps = 10
    @Option(help: "Distributed Shampoo: first step of the Shampoo direction (default: train.py's).")
    var startPreconditioningStep: Int?
    @Option(help: "Distributed Shampoo: tensors with a larger dim get the grafting update only.")
    var skipPreconditioningDimSizeGt = 4096

    func validate() throws {
        guard blockSize > 0, preconditioningComputeSteps > 0, skipPreconditioningDimSizeGt > 0 else {
            throw ValidationError(
                "--block-size, --preconditioning-compute-steps and --skip-preconditioning-dim-size-gt must be "
                    + "positive")
        }
        guard OptimizerName(rawValue: optim) != nil else {
            throw ValidationError("--optim \(optim): expected \(OptimizerName.expectation)")
        }
    }

    /// Writes these settings into `options`.
    func apply(to options: inout TrainingOptions) {
        options.optim = OptimizerName(rawValue: optim) ?? .adam
        options.blockSize = blockSize
        options.preconditioningComputeSteps = preconditioningComputeSteps
        options.startPreconditioningStep = startPreconditioningStep
        options.skipPreconditioningDimSizeGT = skipPreconditioningDimSizeGt
    }
}

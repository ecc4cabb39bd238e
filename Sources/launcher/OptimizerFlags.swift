// The optimizer flags `bench` and `plan` share (train.py's names), applied to TrainingOptions so
// that both build the optimizer the way `train` does. Defaults, help and checks come from the
// training options table (TrainingOptions+Table.swift), the one place they are written.
import ArgumentParser
import Trainer

/// `--optim` and the Distributed Shampoo settings that change its cost and memory.
struct OptimizerFlags: ParsableArguments {
    private static let defaults = TrainingOptions()
    /// The table's help line for `key`.
    private static func help(_ key: String) -> ArgumentHelp {
        ArgumentHelp(TrainingOptions.option(key: key)?.help ?? "")
    }

    @Option(help: help("optim"))
    var optim = defaults.optim.rawValue
    @Option(help: help("block_size"))
    var blockSize = defaults.blockSize
    @Option(help: help("preconditioning_compute_steps"))
    var preconditioningComputeSteps = defaults.preconditioningComputeSteps
    @Option(help: help("start_preconditioning_step"))
    var startPreconditioningStep: Int?  // the table's default: none
    @Option(help: help("skip_preconditioning_dim_size_gt"))
    var skipPreconditioningDimSizeGt = defaults.skipPreconditioningDimSizeGT

    /// The table's rules, as `train` applies them (the message names the key).
    func validate() throws {
        guard OptimizerName(rawValue: optim) != nil else {
            throw ValidationError("--optim \(optim): expected \(OptimizerName.expectation)")
        }
        var options = Self.defaults
        apply(to: &options)
        do {
            try options.validate()
        } catch {
            throw ValidationError("\(error)")
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

// The optimizer flags of `bench` and `plan`: their defaults and checks are the training options
// table's, so they build the optimizer `train` would.
import ArgumentParser
import Testing
import Trainer

@testable import launcher

struct OptimizerFlagsTests {
    @Test func defaultsAreTheTrainingDefaults() throws {
        var options = TrainingOptions()
        options.optim = .adafactor
        options.blockSize = 7
        try OptimizerFlags.parse([]).apply(to: &options)
        let defaults = TrainingOptions()
        #expect(options.optim == defaults.optim)
        #expect(options.blockSize == defaults.blockSize)
        #expect(options.preconditioningComputeSteps == defaults.preconditioningComputeSteps)
        #expect(options.startPreconditioningStep == defaults.startPreconditioningStep)
        #expect(options.skipPreconditioningDimSizeGT == defaults.skipPreconditioningDimSizeGT)
    }

    @Test func flagsAreCheckedByTheTableRules() throws {
        var options = TrainingOptions()
        try OptimizerFlags.parse(["--optim", "distributed_shampoo", "--block-size", "256"]).apply(
            to: &options)
        #expect(options.optim == .distributedShampoo && options.blockSize == 256)
        #expect { try OptimizerFlags.parse(["--block-size", "0"]) } throws: { "\($0)".contains("block_size") }
        #expect { try OptimizerFlags.parse(["--start-preconditioning-step=-2"]) } throws: {
            "\($0)".contains("start_preconditioning_step")
        }
        #expect { try OptimizerFlags.parse(["--optim", "sgd"]) } throws: { "\($0)".contains("adam") }
    }
}

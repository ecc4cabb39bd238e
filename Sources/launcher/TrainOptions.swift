// The `train` flags as argument-parser option groups, and their resolution into Trainer's
// TrainingOptions: defaults < `--config` file < flags. Not here: running the training.
import ArgumentParser
import Foundation
import Trainer

extension LearningRateDecay: ExpressibleByArgument {}

/// A flag value that may be the word `none`, which clears an optional option set by the file.
enum OptionalSetting<Value: LosslessStringConvertible & Equatable>: ExpressibleByArgument, Equatable {
    case none
    case value(Value)

    init?(argument: String) {
        if argument == "none" {
            self = .none
        } else if let value = Value(argument) {
            self = .value(value)
        } else {
            return nil
        }
    }

    /// The value, or nil for `none`.
    var value: Value? {
        if case .value(let value) = self { return value }
        return nil
    }
}

private let defaults = TrainingOptions()

/// Which model and how it is configured.
struct ModelOptions: ParsableArguments {
    @Option(
        help:
            "Model preset (tiny, small, micro, mini, mega) or a config directory/file. (default: \(defaults.model))"
    )
    var model: String?

    @Option(help: "BART tokenizer directory (vocab.json, merges.txt). (default: the bundled tokenizer)")
    var tokenizer: String?

    @Option(help: "Override the model config's dropout rate.")
    var dropout: Double?

    @Option(help: "Override the model config's attention dropout rate.")
    var attentionDropout: Double?

    @Option(help: "Override the model config's activation dropout rate.")
    var activationDropout: Double?

    func apply(to options: inout TrainingOptions) {
        if let model { options.model = model }
        if let tokenizer { options.tokenizer = tokenizer }
        if let dropout { options.dropout = dropout }
        if let attentionDropout { options.attentionDropout = attentionDropout }
        if let activationDropout { options.activationDropout = activationDropout }
    }
}

/// Training data, batch size and run length.
struct DataOptions: ParsableArguments {
    @Option(help: "Shard directory. (default: the built-in synthetic dataset)")
    var data: String?

    @Option(help: "Shard directory for evaluation. (default: no evaluation)")
    var evalData: String?

    @Option(
        name: [.customLong("batch-size"), .customLong("per-device-train-batch-size")],
        help: "Rows per rank per micro-batch. (default: \(defaults.perDeviceTrainBatchSize))")
    var batchSize: Int?

    @Option(help: "Micro-batches per optimizer step. (default: \(defaults.gradientAccumulationSteps))")
    var gradientAccumulationSteps: Int?

    @Option(
        help: ArgumentHelp(
            "Optimizer steps to run, or 'none' to run num-train-epochs. (default: \(defaults.maxSteps ?? 0))",
            valueName: "n|none"))
    var maxSteps: OptionalSetting<Int>?

    @Option(help: "Passes over the data when max-steps is none. (default: \(defaults.numTrainEpochs))")
    var numTrainEpochs: Int?

    @Option(help: "Seed of initialization, data order and dropout. (default: \(defaults.seed))")
    var seed: Int?

    @Option(help: "Probability of training on an empty caption. (default: \(defaults.blankCaptionProb))")
    var blankCaptionProb: Double?

    func apply(to options: inout TrainingOptions) {
        if let data { options.data = data }
        if let evalData { options.evalData = evalData }
        if let batchSize { options.perDeviceTrainBatchSize = batchSize }
        if let gradientAccumulationSteps { options.gradientAccumulationSteps = gradientAccumulationSteps }
        if let maxSteps { options.maxSteps = maxSteps.value }
        if let numTrainEpochs { options.numTrainEpochs = numTrainEpochs }
        if let seed { options.seed = seed }
        if let blankCaptionProb { options.blankCaptionProb = blankCaptionProb }
    }
}

/// AdamW, the learning-rate schedule and clipping.
struct OptimizerOptions: ParsableArguments {
    @Option(help: "Peak learning rate. (default: \(defaults.learningRate))")
    var learningRate: Double?

    @Option(
        help:
            "Linear warm-up steps (ramp over n+1, joined at n, as dalle-mini). (default: \(defaults.warmupSteps))"
    )
    var warmupSteps: Int?

    @Option(help: "Decay after the warm-up. (default: \(defaults.lrDecay.rawValue))")
    var lrDecay: LearningRateDecay?

    @Option(help: "Exponential decay: steps per factor of lr-decay-rate.")
    var lrTransitionSteps: Int?

    @Option(help: "Exponential decay: factor per lr-transition-steps.")
    var lrDecayRate: Double?

    @Flag(
        inversion: .prefixedNo,
        help: "Exponential decay in whole steps of lr-transition-steps. (default: off)")
    var lrStaircase: Bool?

    @Option(help: "Steps kept at learning rate 0 before the warm-up. (default: \(defaults.lrOffset))")
    var lrOffset: Int?

    @Option(help: "Adam beta1. (default: \(defaults.beta1))")
    var beta1: Double?

    @Option(help: "Adam beta2. (default: \(defaults.beta2))")
    var beta2: Double?

    @Option(help: "Adam epsilon, added outside the square root. (default: \(defaults.adamEpsilon))")
    var adamEpsilon: Double?

    @Option(help: "Decoupled weight decay on every parameter. (default: \(defaults.weightDecay))")
    var weightDecay: Double?

    @Option(
        help: ArgumentHelp(
            "Clip gradients to this global L2 norm, or 'none'. (default: none)", valueName: "x|none"))
    var maxGradNorm: OptionalSetting<Double>?

    @Flag(inversion: .prefixedNo, help: "Shard the optimizer state over ranks (ZeRO-1). (default: off)")
    var shardOptimizerState: Bool?

    func apply(to options: inout TrainingOptions) {
        if let learningRate { options.learningRate = learningRate }
        if let warmupSteps { options.warmupSteps = warmupSteps }
        if let lrDecay { options.lrDecay = lrDecay }
        if let lrTransitionSteps { options.lrTransitionSteps = lrTransitionSteps }
        if let lrDecayRate { options.lrDecayRate = lrDecayRate }
        if let lrStaircase { options.lrStaircase = lrStaircase }
        if let lrOffset { options.lrOffset = lrOffset }
        if let beta1 { options.beta1 = beta1 }
        if let beta2 { options.beta2 = beta2 }
        if let adamEpsilon { options.adamEpsilon = adamEpsilon }
        if let weightDecay { options.weightDecay = weightDecay }
        if let maxGradNorm { options.maxGradNorm = maxGradNorm.value }
        if let shardOptimizerState { options.shardOptimizerState = shardOptimizerState }
    }
}

/// The run directory, checkpoints and resuming.
struct CheckpointOptions: ParsableArguments {
    @Option(help: "Run directory for metrics and checkpoints. (default: \(defaults.outputDir))")
    var outputDir: String?

    @Option(
        help: "Steps between checkpoints; one is also written at the end. (default: \(defaults.saveSteps))")
    var saveSteps: Int?

    @Option(help: "Complete checkpoints to keep. (default: \(defaults.keepLast))")
    var keepLast: Int?

    @Option(help: "zstd level of checkpoint files, 1-19. (default: \(defaults.checkpointCompressionLevel))")
    var checkpointCompressionLevel: Int?

    @Option(
        help: ArgumentHelp(
            "auto: newest checkpoint in output-dir if any; none: fresh start; or a checkpoint path. (default: auto)",
            valueName: "auto|none|path"))
    var resume: String?

    func apply(to options: inout TrainingOptions) {
        if let outputDir { options.outputDir = outputDir }
        if let saveSteps { options.saveSteps = saveSteps }
        if let keepLast { options.keepLast = keepLast }
        if let checkpointCompressionLevel { options.checkpointCompressionLevel = checkpointCompressionLevel }
        if let resume { options.resume = ResumeMode(resume) }
    }
}

/// Metrics and evaluation cadence.
struct LoggingOptions: ParsableArguments {
    @Option(help: "Steps between metrics lines. (default: \(defaults.logInterval))")
    var logInterval: Int?

    @Option(help: "Steps between evaluations on eval-data. (default: \(defaults.evalSteps))")
    var evalSteps: Int?

    func apply(to options: inout TrainingOptions) {
        if let logInterval { options.logInterval = logInterval }
        if let evalSteps { options.evalSteps = evalSteps }
    }
}

/// Every `train` flag. `resolve()` gives the run's options: the defaults, overlaid by the
/// `--config` JSON file, overlaid by the flags given; `validate()` turns a bad value into a
/// usage error (exit code 64) that names the option.
struct TrainOptions: ParsableArguments {
    @Option(help: ArgumentHelp("JSON run configuration (keys as in docs/TRAINING.md).", valueName: "file"))
    var config: String?

    @OptionGroup(title: "Model") var model: ModelOptions
    @OptionGroup(title: "Data") var data: DataOptions
    @OptionGroup(title: "Optimizer") var optimizer: OptimizerOptions
    @OptionGroup(title: "Checkpoints") var checkpoint: CheckpointOptions
    @OptionGroup(title: "Logging") var logging: LoggingOptions

    /// Defaults < config file < flags, validated.
    func resolve() throws -> TrainingOptions {
        var options = TrainingOptions()
        if let config { options = try TrainingOptions.load(contentsOf: URL(fileURLWithPath: config)) }
        model.apply(to: &options)
        data.apply(to: &options)
        optimizer.apply(to: &options)
        checkpoint.apply(to: &options)
        logging.apply(to: &options)
        try options.validate()
        return options
    }

    mutating func validate() throws {
        do {
            _ = try resolve()
        } catch let error as TrainingOptionsError {
            throw ValidationError(error.description)
        }
    }
}

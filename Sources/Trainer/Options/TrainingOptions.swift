// Training hyperparameters and paths as one plain struct with its defaults (no ArgumentParser
// here). Keys, flags, help and rules: TrainingOptions+Table.swift; JSON: +File; flags: +Flags.

/// `lr_decay`: what follows the warm-up (dalle-mini train.py's `None`, `"linear"`, `"exponential"`).
public enum LearningRateDecay: String, Codable, CaseIterable, Sendable, OptionConvertible {
    case none
    case linear
    case exponential

    /// The raw values, and JSON `null` for `none` (train.py's `None`).
    public init?(optionValue value: OptionValue) {
        guard value != .null else {
            self = .none
            return
        }
        guard case .string(let text) = value, let decay = Self(rawValue: text) else { return nil }
        self = decay
    }

    public static var expectation: String { "one of \"none\", \"linear\", \"exponential\" or null" }
}

/// `resume`: where a run continues from.
public enum ResumeMode: Equatable, Sendable, CustomStringConvertible, OptionConvertible {
    /// The newest complete checkpoint in `output_dir`, or a fresh start when there is none.
    case auto
    /// Always a fresh start.
    case none
    /// This checkpoint directory.
    case path(String)

    /// Parses `auto`, `none` or a path.
    public init(_ text: String) {
        switch text {
        case "auto": self = .auto
        case "none": self = .none
        default: self = .path(text)
        }
    }

    public var description: String {
        switch self {
        case .auto: return "auto"
        case .none: return "none"
        case .path(let path): return path
        }
    }

    public init?(optionValue value: OptionValue) {
        guard case .string(let text) = value else { return nil }
        self.init(text)
    }
    public var optionValue: OptionValue { .string(description) }
    public static func flagValue(_ text: String) -> OptionValue? { .string(text) }
    public static var expectation: String { "a string (auto, none or a checkpoint path)" }
}

/// An option with a value it cannot take, or a run-config file that cannot be used.
public enum TrainingOptionsError: Error, Equatable, CustomStringConvertible {
    /// `key` holds `value`; it must satisfy `expected`.
    case invalidValue(key: String, value: String, expected: String)
    /// The run-config file has a key that is not an option.
    case unknownKey(path: String, key: String, suggestion: String?)
    /// The run-config file has `key` with a value of the wrong kind.
    case wrongType(path: String, key: String, expected: String)
    /// The run-config file cannot be read or is not a JSON object.
    case unreadableFile(path: String, reason: String)
    /// A command-line flag that is not an option.
    case unknownFlag(flag: String, suggestion: String?)
    /// A flag whose value is missing or not of its type.
    case badFlagValue(flag: String, value: String?, expected: String)

    public var description: String {
        switch self {
        case .invalidValue(let key, let value, let expected):
            return "option \(key) = \(value): expected \(expected)"
        case .unknownKey(let path, let key, let suggestion):
            let hint = suggestion.map { "; did you mean \"\($0)\"?" } ?? "; see docs/TRAINING.md for the keys"
            return "\(path): unknown key \"\(key)\"\(hint)"
        case .wrongType(let path, let key, let expected):
            return "\(path): key \"\(key)\" must be \(expected)"
        case .unreadableFile(let path, let reason):
            return "\(path): cannot read the run configuration: \(reason)"
        case .unknownFlag(let flag, let suggestion):
            let hint = suggestion.map { "; did you mean \($0)?" } ?? "; see dalle-train train --help"
            return "unknown option \(flag)\(hint)"
        case .badFlagValue(let flag, let value, let expected):
            return "\(flag) \(value.map { "\"\($0)\"" } ?? "without a value"): expected \(expected)"
        }
    }
}

/// Every training option with its default; `TrainingOptions.table` gives each its JSON key
/// (dalle-mini's `tools/train/train.py` argument name where one exists), flags, help and rule.
/// Adding an option: a field here and a row in the table. Defaults follow train.py
/// except where marked `NOTE(divergence):`; together they make `dalle-train` with no arguments
/// train the `tiny` preset on the built-in synthetic data for a few minutes on 2 ranks.
public struct TrainingOptions: Equatable, Sendable {
    // MARK: model and data

    /// `tiny`, `small`, `micro`, `mini`, `mega`, or a directory/`config.json` path.
    /// NOTE(divergence): train.py has no default model; `tiny` makes the no-argument demo work.
    public var model = "tiny"
    /// BART tokenizer directory (`vocab.json`, `merges.txt`); nil = the bundled one.
    public var tokenizer: String? = nil
    /// Word-frequency list for hashtag splitting (one word per line, most frequent first), needed
    /// when the model config sets `normalize_text`; dalle-mini uses `enwiki-words-frequency.txt` of
    /// the hub repository `dalle-mini/dalle-mini`.
    public var wordFrequencies: String? = nil
    /// Shard directory; nil = the built-in synthetic dataset.
    public var data: String? = nil
    /// Shard directory for evaluation; nil = no evaluation.
    public var evalData: String? = nil
    /// Run directory: metrics, TensorBoard events, checkpoints, `resolved_config.json`.
    public var outputDir = "runs/default"
    /// Probability of replacing a caption by the empty caption (classifier-free guidance).
    public var blankCaptionProb = 0.0
    /// Overrides of the model config's dropout rates; nil = keep the config's.
    public var dropout: Double? = nil
    public var attentionDropout: Double? = nil
    public var activationDropout: Double? = nil

    // MARK: batch and length

    /// Rows per rank per micro-batch (train.py's per-device size; a rank plays a device).
    public var perDeviceTrainBatchSize = 8
    /// Micro-batches summed (then averaged) per optimizer step.
    public var gradientAccumulationSteps = 1
    /// Optimizer steps to run; when set it overrides `num_train_epochs` (as in Hugging Face
    /// `TrainingArguments`) and is the `num_train_steps` of the linear decay.
    /// NOTE(divergence): train.py has no max_steps; 300 bounds the no-argument demo to minutes.
    public var maxSteps: Int? = 300
    /// Passes over the training data when `max_steps` is nil.
    public var numTrainEpochs = 3
    /// Seed of the parameter initialization, the data order and dropout (train.py `seed_model`).
    public var seed = 42

    // MARK: optimizer and schedule

    /// Peak learning rate. NOTE(divergence): train.py defaults to 5e-5; the tiny demo needs 1e-3
    /// to visibly lower the loss within a few hundred steps.
    public var learningRate = 1e-3
    /// Linear warm-up steps. NOTE(divergence): train.py defaults to 0; 20 steps keep the first
    /// Adam updates (which move every weight by about lr) from overshooting on the demo.
    public var warmupSteps = 20
    public var lrDecay = LearningRateDecay.none
    /// Exponential decay: counts per factor of `lr_decay_rate`.
    public var lrTransitionSteps: Int? = nil
    /// Exponential decay: the factor per `lr_transition_steps`.
    public var lrDecayRate: Double? = nil
    /// Exponential decay in whole steps of `lr_transition_steps`.
    public var lrStaircase = false
    /// Counts kept at rate 0 before the warm-up (resumed runs with a fresh optimizer).
    public var lrOffset = 0
    public var beta1 = 0.9
    public var beta2 = 0.999
    /// Added outside the square root (optax `eps`; `eps_root` is 0).
    public var adamEpsilon = 1e-8
    /// Decoupled weight decay on every parameter (optax `adamw`, no mask), as train.py.
    public var weightDecay = 0.0
    /// Clip by global norm; nil = off. NOTE(divergence): train.py's `max_grad_norm` defaults to
    /// 1.0 but only Adafactor uses it, so its Adam runs are unclipped, which nil reproduces.
    public var maxGradNorm: Double? = nil
    /// ZeRO-1: reduce-scatter gradients, update each rank's slice, all-gather parameters.
    public var shardOptimizerState = false
    /// train.py's `gradient_checkpointing`: layers recompute their activations in backward.
    public var gradientCheckpointing = false
    /// Threads per rank (`RankThreads`); nil: SLURM_CPUS_PER_TASK, OPENBLAS_NUM_THREADS, or this
    /// rank's processors (affinity mask, cores ÷ ranks on the host). Results do not depend on it.
    public var threads: Int? = nil
    /// train.py's `--optim`: `adam` (AdamW), `adafactor` or `distributed_shampoo`.
    public var optim = OptimizerName.adam
    /// Distributed Shampoo: largest block side of the statistics (train.py's default).
    public var blockSize = 1024
    /// Distributed Shampoo: counts between inverse-root computations (train.py's default).
    public var preconditioningComputeSteps = 10
    /// Distributed Shampoo: the Shampoo direction from this count on; nil: train.py's
    /// max(preconditioning_compute_steps + 1, 101). NOTE(divergence): train.py has no such
    /// argument; it is computed there, and only the reference trajectories override it.
    public var startPreconditioningStep: Int? = nil
    /// Distributed Shampoo: tensors with a dim above this get the grafting update only.
    public var skipPreconditioningDimSizeGT = 4096
    /// Distributed Shampoo: the first-order method whose per-tensor step size is grafted.
    public var graftType = ShampooGraftType.rmspropNormalized
    /// Distributed Shampoo: Nesterov momentum (train.py's default: off).
    public var nesterov = false
    /// train.py's quantized Shampoo state; not implemented, so only false is accepted.
    public var optimQuantized = false
    /// train.py's mesh axis of the Shampoo state; ranks are data-parallel only, so only `dp`.
    public var shardShampooAcross = "dp"

    // MARK: logging, evaluation and checkpoints

    /// Steps between metrics lines. NOTE(divergence): train.py's `logging_steps` is 40; 10 gives
    /// the 300-step demo 30 lines.
    public var logInterval = 10
    /// Steps between evaluations (train.py's default).
    public var evalSteps = 400
    /// `sample_steps`: steps between generated samples (and at the end); 0 = never.
    public var sampleSteps = 0
    /// `sample_prompts`: captions to sample (text or JSON Lines); none = synthetic-dataset captions.
    public var samplePrompts: String? = nil
    /// `sample_vqgan`: a vqgan-jax model directory that decodes the samples into pictures.
    public var sampleVQGAN: String? = nil
    /// Steps between checkpoints (train.py's default); one is also written at the end.
    public var saveSteps = 4000
    /// Complete checkpoints kept in `output_dir` (the oldest are removed).
    public var keepLast = 3
    /// zstd level of checkpoint payloads (1 = fastest; float32 weights barely compress).
    public var checkpointCompressionLevel = 1
    public var resume = ResumeMode.auto

    /// The defaults.
    public init() {}

    /// The optimizer train.py's arguments describe (`--optim` and its flags).
    public var optimizerSettings: OptimizerSettings {
        switch optim {
        case .adam:
            return .adam(adamW)
        case .adafactor:
            var settings = AdafactorHyperparameters()
            settings.clippingThreshold = maxGradNorm
            settings.weightDecayRate = weightDecay == 0 ? nil : weightDecay
            return .adafactor(settings)
        case .distributedShampoo:
            var settings = ShampooHyperparameters()
            settings.beta1 = beta1
            settings.beta2 = beta2
            settings.weightDecay = weightDecay
            settings.blockSize = blockSize
            settings.preconditioningComputeSteps = preconditioningComputeSteps
            settings.startPreconditioningStep =
                startPreconditioningStep
                ?? ShampooHyperparameters.trainPyStartPreconditioningStep(
                    preconditioningComputeSteps: preconditioningComputeSteps)
            settings.skipPreconditioningDimSizeGT = skipPreconditioningDimSizeGT
            settings.graftType = graftType
            settings.nesterov = nesterov
            return .distributedShampoo(settings)
        }
    }

    /// The Adam hyperparameters.
    public var adamW: AdamWHyperparameters {
        AdamWHyperparameters(
            beta1: beta1, beta2: beta2, epsilon: adamEpsilon, weightDecay: weightDecay)
    }

    /// train.py's schedule; `totalSteps` is `num_train_steps` (max_steps, or epochs × steps per
    /// epoch), needed only by the linear decay.
    public func learningRateSchedule(totalSteps: Int?) throws -> LearningRateSchedule {
        let decay: LearningRateSchedule.Decay
        switch lrDecay {
        case .none:
            decay = .none
        case .linear:
            guard let totalSteps else {
                throw TrainingOptionsError.invalidValue(
                    key: "lr_decay", value: "linear",
                    expected: "a known number of steps: set max_steps or use a dataset of known length")
            }
            decay = .linear(totalSteps: totalSteps)
        case .exponential:
            try validateExponential()
            decay = .exponential(
                transitionSteps: lrTransitionSteps ?? 0, rate: lrDecayRate ?? 1, staircase: lrStaircase)
        }
        return LearningRateSchedule(
            learningRate: learningRate, warmupSteps: warmupSteps, decay: decay, offset: lrOffset)
    }
}

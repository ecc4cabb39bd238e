// The value rules of TrainingOptions: every error names the JSON key, the value and the rule.

extension TrainingOptions {
    /// Checks every option; throws `TrainingOptionsError.invalidValue` naming the first bad key.
    public func validate() throws {
        try require(!model.isEmpty, "model", model, "a preset (tiny, small, micro, mini, mega) or a path")
        try require(!outputDir.isEmpty, "output_dir", outputDir, "a directory path")
        for (key, value) in [("tokenizer", tokenizer), ("data", data), ("eval_data", evalData)] {
            if let value { try require(!value.isEmpty, key, value, "a path, or null") }
        }
        try positive(perDeviceTrainBatchSize, "per_device_train_batch_size")
        try positive(gradientAccumulationSteps, "gradient_accumulation_steps")
        if let maxSteps { try positive(maxSteps, "max_steps") }
        try positive(numTrainEpochs, "num_train_epochs")
        try require(
            learningRate.isFinite && learningRate >= 0, "learning_rate", "\(learningRate)", "a number >= 0")
        try require(warmupSteps >= 0, "warmup_steps", "\(warmupSteps)", "an integer >= 0")
        try require(lrOffset >= 0, "lr_offset", "\(lrOffset)", "an integer >= 0")
        if lrDecay == .exponential { try validateExponential() }
        try unitInterval(beta1, "beta1")
        try unitInterval(beta2, "beta2")
        try require(adamEpsilon.isFinite && adamEpsilon > 0, "adam_epsilon", "\(adamEpsilon)", "a number > 0")
        try require(
            weightDecay.isFinite && weightDecay >= 0, "weight_decay", "\(weightDecay)", "a number >= 0")
        if let maxGradNorm {
            try require(
                maxGradNorm.isFinite && maxGradNorm > 0, "max_grad_norm", "\(maxGradNorm)",
                "a number > 0, or null for no clipping")
        }
        try require(
            blankCaptionProb >= 0 && blankCaptionProb <= 1, "blank_caption_prob", "\(blankCaptionProb)",
            "a probability in [0, 1]")
        let rates = [
            ("dropout", dropout), ("attention_dropout", attentionDropout),
            ("activation_dropout", activationDropout),
        ]
        for (key, rate) in rates {
            if let rate { try unitInterval(rate, key) }
        }
        try positive(logInterval, "log_interval")
        try positive(evalSteps, "eval_steps")
        try positive(saveSteps, "save_steps")
        try positive(keepLast, "keep_last")
        try require(
            (1...19).contains(checkpointCompressionLevel), "checkpoint_compression_level",
            "\(checkpointCompressionLevel)", "a zstd level in 1...19")
        if case .path(let path) = resume {
            try require(!path.isEmpty, "resume", path, "auto, none or a path")
        }
    }

    /// The exponential decay needs both of its parameters (train.py fails without them).
    func validateExponential() throws {
        guard let steps = lrTransitionSteps, steps > 0 else {
            throw TrainingOptionsError.invalidValue(
                key: "lr_transition_steps", value: lrTransitionSteps.map { "\($0)" } ?? "null",
                expected: "an integer > 0 when lr_decay is exponential")
        }
        guard let rate = lrDecayRate, rate.isFinite, rate > 0 else {
            throw TrainingOptionsError.invalidValue(
                key: "lr_decay_rate", value: lrDecayRate.map { "\($0)" } ?? "null",
                expected: "a number > 0 when lr_decay is exponential")
        }
    }

    private func require(_ condition: Bool, _ key: String, _ value: String, _ expected: String) throws {
        if !condition { throw TrainingOptionsError.invalidValue(key: key, value: value, expected: expected) }
    }

    private func positive(_ value: Int, _ key: String) throws {
        try require(value > 0, key, "\(value)", "an integer > 0")
    }

    private func unitInterval(_ value: Double, _ key: String) throws {
        try require(value >= 0 && value < 1, key, "\(value)", "a number in [0, 1)")
    }
}

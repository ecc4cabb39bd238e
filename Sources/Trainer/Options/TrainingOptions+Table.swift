// The option table: every training option once, with its JSON key, flags, help and value rule.
// The run-config file, the flags, resolved_config.json, --help and validation all come from it.

extension TrainingOptions {
    /// Every option in the order `--help` lists them. Flags are `--` + the key with `-` for `_`,
    /// plus an alias where one reads better.
    public static let table: [OptionSpec] = [
        // Model
        OptionSpec(
            "model", \.model,
            help:
                "Model preset (tiny, small, micro, mini, mini_glu, mega), a config.json, a dalle-mini model directory, a checkpoint or a run directory.",
            rule: .nonEmpty("a preset (tiny, small, micro, mini, mini_glu, mega) or a path")),
        OptionSpec(
            "tokenizer", \.tokenizer,
            help: "BART tokenizer directory (vocab.json, merges.txt); none = bundled.",
            rule: .pathOrNull),
        OptionSpec(
            "word_frequencies", \.wordFrequencies,
            help: "Word list (most frequent first) for hashtag splitting; needed when normalize_text is set.",
            rule: .pathOrNull),
        OptionSpec(
            "dropout", \.dropout, help: "Override the model config's dropout rate.", rule: .unitIntervalOrNull
        ),
        OptionSpec(
            "attention_dropout", \.attentionDropout, help: "Override the model config's attention dropout.",
            rule: .unitIntervalOrNull),
        OptionSpec(
            "activation_dropout", \.activationDropout,
            help: "Override the model config's activation dropout.",
            rule: .unitIntervalOrNull),
        // Data
        OptionSpec(
            "data", \.data, help: "Shard directory; none = the built-in synthetic dataset.", rule: .pathOrNull
        ),
        OptionSpec(
            "eval_data", \.evalData, help: "Shard directory for evaluation; none = no evaluation.",
            rule: .pathOrNull),
        OptionSpec(
            "per_device_train_batch_size", \.perDeviceTrainBatchSize, alias: "batch-size",
            help: "Rows per rank per micro-batch.", rule: .positive),
        OptionSpec(
            "gradient_accumulation_steps", \.gradientAccumulationSteps,
            help: "Micro-batches per optimizer step.", rule: .positive),
        OptionSpec(
            "max_steps", \.maxSteps, help: "Optimizer steps to run, or none to run num-train-epochs.",
            rule: .positiveOrNull),
        OptionSpec(
            "num_train_epochs", \.numTrainEpochs, help: "Passes over the data when max-steps is none.",
            rule: .positive),
        OptionSpec("seed", \.seed, help: "Seed of initialization, data order and dropout."),
        OptionSpec(
            "blank_caption_prob", \.blankCaptionProb, help: "Probability of training on an empty caption.",
            rule: .probability),
        // Optimizer and schedule
        OptionSpec("learning_rate", \.learningRate, help: "Peak learning rate.", rule: .nonNegative),
        OptionSpec(
            "warmup_steps", \.warmupSteps,
            help: "Linear warm-up steps (ramp over n+1, joined at n, as dalle-mini).", rule: .nonNegative),
        OptionSpec("lr_decay", \.lrDecay, help: "Decay after the warm-up: none, linear or exponential."),
        OptionSpec(
            "lr_transition_steps", \.lrTransitionSteps,
            help: "Exponential decay: steps per factor of lr-decay-rate."
        ),
        OptionSpec(
            "lr_decay_rate", \.lrDecayRate, help: "Exponential decay: factor per lr-transition-steps."),
        OptionSpec(
            "lr_staircase", \.lrStaircase, help: "Exponential decay in whole steps of lr-transition-steps."),
        OptionSpec(
            "lr_offset", \.lrOffset, help: "Steps kept at learning rate 0 before the warm-up.",
            rule: .nonNegative),
        OptionSpec("optim", \.optim, help: "Optimizer: adam (AdamW), adafactor or distributed_shampoo."),
        OptionSpec("beta1", \.beta1, help: "Adam and Shampoo momentum decay.", rule: .unitInterval),
        OptionSpec(
            "beta2", \.beta2, help: "Adam second-moment and Shampoo statistics decay.", rule: .unitInterval),
        OptionSpec(
            "adam_epsilon", \.adamEpsilon, help: "Adam epsilon, added outside the square root.",
            rule: .positive),
        OptionSpec(
            "weight_decay", \.weightDecay,
            help:
                "Weight decay on every parameter (Adam: × lr; Adafactor: not × lr; Shampoo: before momentum).",
            rule: .nonNegative),
        OptionSpec(
            "max_grad_norm", \.maxGradNorm,
            help: "Adam: clip to this global L2 norm; Adafactor: its update-RMS threshold; none: off.",
            rule: OptionRule("a number > 0, or null for no clipping") {
                $0.map { $0.isFinite && $0 > 0 } ?? true
            }),
        OptionSpec(
            "shard_optimizer_state", \.shardOptimizerState,
            help: "Shard the optimizer state over ranks (ZeRO-1)."),
        OptionSpec(
            "gradient_checkpointing", \.gradientCheckpointing,
            help: "Keep only each layer's output and recompute its activations in backward (less memory)."),
        OptionSpec(
            "threads", \.threads,
            help:
                "Threads per rank (matrix products, attention heads, norms, loss); none: SLURM_CPUS_PER_TASK, "
                + "OPENBLAS_NUM_THREADS or the rank's cores. Results are the same for any count.",
            rule: .positiveOrNull),
        OptionSpec(
            "block_size", \.blockSize, help: "Shampoo: largest block side of the statistics.", rule: .positive
        ),
        OptionSpec(
            "preconditioning_compute_steps", \.preconditioningComputeSteps,
            help: "Shampoo: steps between inverse-root computations.", rule: .positive),
        OptionSpec(
            "start_preconditioning_step", \.startPreconditioningStep,
            help: "Shampoo: first step of the Shampoo direction; none: max(compute steps + 1, 101).",
            rule: OptionRule("an integer >= 0, or null") { $0.map { $0 >= 0 } ?? true }),
        OptionSpec(
            "skip_preconditioning_dim_size_gt", \.skipPreconditioningDimSizeGT,
            help: "Shampoo: tensors with a larger dim get the grafting update only.", rule: .positive),
        OptionSpec(
            "graft_type", \.graftType,
            help: "Shampoo grafting: rmsprop_normalized, rmsprop, adagrad, adagrad_normalized or sgd."),
        OptionSpec("nesterov", \.nesterov, help: "Shampoo: Nesterov momentum."),
        OptionSpec(
            "optim_quantized", \.optimQuantized, help: "Quantized Shampoo state (not implemented).",
            rule: OptionRule("false (quantized Shampoo state is not implemented)") { !$0 }),
        OptionSpec(
            "shard_shampoo_across", \.shardShampooAcross,
            help: "Shampoo state mesh axis; ranks are data-parallel, so dp.",
            rule: OptionRule("dp (ranks are data-parallel only; there is no model-parallel axis)") {
                $0 == "dp"
            }),
        // Checkpoints
        OptionSpec(
            "output_dir", \.outputDir, help: "Run directory for metrics and checkpoints.",
            rule: .nonEmpty("a directory path")),
        OptionSpec(
            "save_steps", \.saveSteps, help: "Steps between checkpoints; one is also written at the end.",
            rule: .positive),
        OptionSpec("keep_last", \.keepLast, help: "Complete checkpoints to keep.", rule: .positive),
        OptionSpec(
            "checkpoint_compression_level", \.checkpointCompressionLevel,
            help: "zstd level of checkpoint files.",
            rule: OptionRule("a zstd level in 1...19") { (1...19).contains($0) }),
        OptionSpec(
            "resume", \.resume,
            help: "auto: newest checkpoint in output-dir if any; none: fresh start; or a checkpoint path.",
            rule: OptionRule("auto, none or a path") { $0 != .path("") }),
        // Logging
        OptionSpec("log_interval", \.logInterval, help: "Steps between metrics lines.", rule: .positive),
        OptionSpec(
            "eval_steps", \.evalSteps, help: "Steps between evaluations on eval-data.", rule: .positive),
        OptionSpec(
            "sample_steps", \.sampleSteps,
            help: "Steps between generated samples (PNGs, samples.jsonl, TensorBoard images); 0 = never.",
            rule: .nonNegative),
        OptionSpec(
            "sample_prompts", \.samplePrompts,
            help: "Captions to sample during training (one a line or JSON Lines); none = synthetic captions.",
            rule: .pathOrNull),
        OptionSpec(
            "sample_vqgan", \.sampleVQGAN,
            help: "vqgan-jax model directory: training-time samples are decoded pictures, not code grids.",
            rule: .pathOrNull),
    ]

    /// The table row of a JSON key.
    public static func option(key: String) -> OptionSpec? { table.first { $0.key == key } }
}

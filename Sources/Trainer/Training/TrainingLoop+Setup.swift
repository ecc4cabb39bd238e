// Building a run: options -> model, data, replicas identical by broadcast, resume position.
// Rank 0 alone touches the output directory; its failures reach every rank as errors.
import Collective
import Foundation
import Shards

extension TrainingLoop {
    /// Prepares a run on every rank: validates options, prepares data (rank 0), builds the
    /// model, initializes (rank 0) or resumes parameters and broadcasts them to every replica.
    public static func prepare(comm: Communicator, options: TrainingOptions) throws -> TrainingLoop {
        try options.validate()
        let resolved = try TrainingSetup.resolvedModel(options)
        let config = resolved.config
        let tokenizer = try TrainingSetup.tokenizer(options, config: config, model: resolved)
        let textNormalizer = try TrainingSetup.textNormalizer(options, config: config)
        var lock: RunLock?
        try comm.rootFirst {
            // Before anything is written: a second job on the same directory stops here.
            lock = try RunLock(directory: URL(fileURLWithPath: options.outputDir))
            try FileManager.default.createDirectory(
                atPath: options.outputDir, withIntermediateDirectories: true)
            try options.writeResolved(to: URL(fileURLWithPath: options.outputDir))
            try resolved.recordInitialWeights(inResolvedConfigOf: URL(fileURLWithPath: options.outputDir))
            if let directory = TrainingSetup.tokenizerDirectory(options, model: resolved) {
                try ModelDirectory.copyTokenizerFiles(
                    from: directory,
                    to: URL(fileURLWithPath: options.outputDir).appendingPathComponent(
                        ResolvedModel.runTokenizerDirectory, isDirectory: true))
            }
            try TrainingSetup.prepareSyntheticData(options, config: config)
        }
        let dataset = try TrainingSetup.dataset(
            at: options.data, options: options, config: config, flag: "--data")
        let evaluation = try options.evalData.map {
            (
                try TrainingSetup.dataset(at: $0, options: options, config: config, flag: "--eval-data"),
                tokenizer
            )
        }
        let microGlobalBatch = comm.worldSize * options.perDeviceTrainBatchSize
        guard dataset.manifest.recordCount >= microGlobalBatch * options.gradientAccumulationSteps else {
            throw SetupError(
                "--batch-size \(options.perDeviceTrainBatchSize) x \(comm.worldSize) rank(s) x "
                    + "--gradient-accumulation-steps \(options.gradientAccumulationSteps) needs more records than "
                    + "the \(dataset.manifest.recordCount) of \(dataset.directory.path)")
        }
        let stepsPerEpoch =
            dataset.manifest.recordCount / microGlobalBatch / options.gradientAccumulationSteps
        let totalSteps = options.maxSteps ?? options.numTrainEpochs * stepsPerEpoch
        try checkMemory(config: config, options: options, worldSize: comm.worldSize)
        let model = try DalleBart(
            config: config, batchSize: options.perDeviceTrainBatchSize,
            recomputesLayers: options.gradientCheckpointing)
        let loop = try TrainingLoop(
            comm: comm, options: options, config: config, model: model, dataset: dataset, encoder: tokenizer,
            evaluation: evaluation, totalSteps: totalSteps)
        loop.textNormalizer = textNormalizer
        loop.samplePrompts = try TrainingSetup.samplePrompts(
            options, config: config, tokenizer: tokenizer, normalizer: textNormalizer)
        loop.sampleDecoder = try TrainingSetup.sampleDecoder(options, config: config)
        // Rank 0 starts from the model's weights (fresh optimizer) or a seeded initialisation;
        // the broadcast below gives every replica the same parameters.
        try comm.rootFirst {
            if resolved.hasWeights {
                try resolved.loadWeights(into: loop.parameters, layout: model.layout)
            } else {
                Initialization.initialize(
                    loop.parameters, layout: model.layout, config: config, seed: UInt64(options.seed))
            }
        }
        loop.runLock = lock
        let resumed = try loop.resumeIfRequested()
        // Steps past the checkpoint were logged by the interrupted run: they are computed again.
        try comm.rootFirst {
            try loop.metrics.keepSteps(through: loop.step)
            try loop.tensorBoard.startSession(atStep: loop.step + 1)
        }
        try loop.parallel.broadcastParameters(loop.parameters)
        try loop.startReader(cursor: resumed?.dataCursors.first)
        try loop.parallel.verifyReplicas(loop.parameters, step: loop.step)
        if comm.isRoot { loop.announce(resumedFrom: resumed) }
        return loop
    }

    /// Refuses to start when the ranks on this node would not fit in its available memory.
    public static func checkMemory(config: DalleBartConfig, options: TrainingOptions, worldSize: Int) throws {
        let plan = MemoryPlan(
            config: config, batchSize: options.perDeviceTrainBatchSize, worldSize: worldSize,
            isSharded: options.shardOptimizerState, optimizer: options.optimizerSettings,
            recomputesLayers: options.gradientCheckpointing)
        let localRanks = TrainingSetup.ranksOnThisNode()
        guard let available = MemoryPlan.availableBytes(), plan.totalBytes * localRanks > available else {
            return
        }
        let gibibytes = { (bytes: Int) in String(format: "%.2f GiB", Double(bytes) / Double(1 << 30)) }
        throw SetupError(
            "\(localRanks) rank(s) on this node need \(gibibytes(plan.totalBytes * localRanks)) "
                + "(\(gibibytes(plan.totalBytes)) each: parameters \(gibibytes(plan.parameterBytes)), gradients "
                + "\(gibibytes(plan.gradientBytes)), optimizer \(gibibytes(plan.optimizerBytes)), activations "
                + "\(gibibytes(plan.activationBytes))) but only \(gibibytes(available)) is available; lower "
                + "--batch-size or run fewer ranks per node (see dalle-train plan)")
    }

    /// The reader settings for this rank.
    func readerOptions() -> ReaderOptions {
        var reader = ReaderOptions(
            seed: UInt64(options.seed), rank: comm.rank, worldSize: comm.worldSize,
            batchSize: options.perDeviceTrainBatchSize, maxTextLength: config.maxTextLength,
            decoderStartTokenID: Int32(config.decoderStartTokenID),
            blankCaptionProbability: options.blankCaptionProb, textVocabularySize: config.encoderVocabSize)
        reader.textNormalizer = textNormalizer
        return reader
    }

    private func announce(resumedFrom state: TrainerState?) {
        let parameterCount = model.layout.count
        var text =
            "dalle-train: \(options.model) model, \(parameterCount) parameters, \(comm.worldSize) rank(s) x "
        text +=
            "batch \(options.perDeviceTrainBatchSize) x accumulation \(options.gradientAccumulationSteps) "
        text += "= \(recordsPerStep) records per step, \(totalSteps) steps"
        text += options.shardOptimizerState ? ", sharded optimizer state" : ""
        text += options.gradientCheckpointing ? ", gradient checkpointing" : ""
        text += ", \(WorkerPool.current.threadCount) thread(s) per rank"
        if let state { text += "; resumed at step \(state.step)" }
        if comm.worldSize > 1, let shared = gradients.shared, let layout = parallel.hostLayout {
            text += "; \(layout.description); \(shared.collectivePaths)"
        }
        progress.note(text)
        if encoder.vocabularySize > config.encoderVocabSize {
            // NOTE(divergence): none; dalle-mini's embedding gather clamps such ids to the last row too.
            progress.note(
                "warning: tokenizer ids \(config.encoderVocabSize)..<\(encoder.vocabularySize) (BART's <mask> is "
                    + "50264) have no row in the model's \(config.encoderVocabSize)-row text embedding: captions "
                    + "containing them use the last row, as dalle-mini does (docs/MODEL.md §9)")
        }
        if config.normalizeText { progress.note("captions normalized as dalle-mini's TextNormalizer does") }
        if let json = try? options.resolvedJSON() { progress.note(String(decoding: json, as: UTF8.self)) }
    }
}

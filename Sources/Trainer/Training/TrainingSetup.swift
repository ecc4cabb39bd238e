// Resolving a run's inputs before the first step: the model (preset, config.json, model
// directory or checkpoint; see ModelIO/ModelSource.swift), the tokenizer, and the training data (the built-in synthetic
// dataset by default). Everything is checked here, with the option named, before training.
import Foundation
import Shards

/// A setup problem found before training, naming the option at fault.
public struct SetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Inputs of a run, resolved from `TrainingOptions`.
public enum TrainingSetup {
    /// Records of the built-in synthetic dataset (generated once into the output directory).
    public static let syntheticRecordCount = 16_384
    /// Seed of the built-in synthetic dataset (fixed, so every run sees the same data).
    public static let syntheticSeed: UInt64 = 20_221_125

    /// The model `--model` names (`DalleBartConfig.resolve(model:)`), with the dropout
    /// overrides of the options applied and the configuration validated.
    public static func resolvedModel(_ options: TrainingOptions) throws -> ResolvedModel {
        var resolved = try DalleBartConfig.resolve(model: options.model)
        if let dropout = options.dropout { resolved.config.dropout = Float(dropout) }
        if let attentionDropout = options.attentionDropout {
            resolved.config.attentionDropout = Float(attentionDropout)
        }
        if let activationDropout = options.activationDropout {
            resolved.config.activationDropout = Float(activationDropout)
        }
        try resolved.config.validate()
        return resolved
    }

    /// The model configuration of `resolvedModel(_:)`.
    public static func modelConfig(_ options: TrainingOptions) throws -> DalleBartConfig {
        try resolvedModel(options).config
    }

    /// The tokenizer: `--tokenizer`, else the model directory's own files, else the bundled BART
    /// tokenizer; checked against the text vocabulary.
    public static func tokenizer(
        _ options: TrainingOptions, config: DalleBartConfig, model: ResolvedModel? = nil
    )
        throws -> BartTokenizer
    {
        let directory = tokenizerDirectory(options, model: model)
        let tokenizer = try directory.map { try BartTokenizer(directory: $0) } ?? BartTokenizer.bundled()
        // BART's <mask> (the last id) never occurs in captions, so it needs no embedding row.
        guard tokenizer.vocabularySize - 1 <= config.encoderVocabSize else {
            let origin =
                directory.map { "the tokenizer in \($0.path)" }
                ?? "the bundled BART tokenizer (the model directory has no tokenizer files)"
            throw SetupError(
                "\(origin) has \(tokenizer.vocabularySize) ids but the model's encoder_vocab_size is "
                    + "\(config.encoderVocabSize); pass --tokenizer DIR with the model's vocab.json and merges.txt"
            )
        }
        return tokenizer
    }

    /// The directory the run's tokenizer files come from: `--tokenizer`, else the model
    /// directory's (or the checkpoint's run's) own; nil for the bundled BART tokenizer.
    public static func tokenizerDirectory(_ options: TrainingOptions, model: ResolvedModel?) -> URL? {
        options.tokenizer.map { URL(fileURLWithPath: $0) } ?? model?.tokenizerDirectory
    }

    /// dalle-mini's caption normalizer when the model config sets `normalize_text`, else nil.
    /// Throws when the word-frequency list for hashtag splitting is not given or cannot be read.
    public static func textNormalizer(_ options: TrainingOptions, config: DalleBartConfig) throws
        -> TextNormalizer?
    {
        guard config.normalizeText else { return nil }
        guard let path = options.wordFrequencies else {
            throw SetupError("the model config sets normalize_text; " + TextNormalizer.missingWordListMessage)
        }
        return try TextNormalizer(wordFrequencies: URL(fileURLWithPath: path))
    }

    /// Ranks of this job on this node, from the launcher's environment (OpenMPI, then SLURM); 1 if unknown.
    public static func ranksOnThisNode() -> Int {
        let environment = ProcessInfo.processInfo.environment
        return Int(environment["OMPI_COMM_WORLD_LOCAL_SIZE"] ?? environment["SLURM_NTASKS_PER_NODE"] ?? "1")
            ?? 1
    }

    /// Where the built-in synthetic dataset lives for a run.
    public static func syntheticDirectory(_ options: TrainingOptions) -> URL {
        URL(fileURLWithPath: options.outputDir).appendingPathComponent("synthetic-data")
    }

    /// Writes the built-in synthetic dataset when the run uses it and it is not there yet
    /// (rank 0 only; the other ranks wait at a barrier and then open it).
    public static func prepareSyntheticData(_ options: TrainingOptions, config: DalleBartConfig) throws {
        guard options.data == nil else { return }
        let side = Int(Double(config.imageLength).squareRoot())
        guard side * side == config.imageLength, side >= 8, config.imageVocabSize >= 32 else {
            throw SetupError(
                "the built-in synthetic dataset draws square code grids of at least 8x8 with at least 32 codes; "
                    + "the model's image_length \(config.imageLength) and image_vocab_size "
                    + "\(config.imageVocabSize) do not fit; pass --data with shards of matching length")
        }
        _ = try SyntheticDataset.ensure(
            at: syntheticDirectory(options), records: syntheticRecordCount, seed: syntheticSeed,
            imageLength: config.imageLength, imageVocabSize: config.imageVocabSize, recordsPerShard: 4096)
    }

    /// Opens a dataset and checks it against the model (image length, code range).
    public static func dataset(
        at path: String?, options: TrainingOptions, config: DalleBartConfig, flag: String
    )
        throws -> Dataset
    {
        let directory = path.map { URL(fileURLWithPath: $0) } ?? syntheticDirectory(options)
        let dataset = try Dataset(directory: directory)
        let manifest = dataset.manifest
        guard manifest.imageLength == config.imageLength else {
            throw SetupError(
                "\(flag) \(directory.path): records hold \(manifest.imageLength) image codes, the model "
                    + "expects image_length \(config.imageLength)")
        }
        guard manifest.imageVocabSize <= config.imageVocabSize else {
            throw SetupError(
                "\(flag) \(directory.path): codes range over \(manifest.imageVocabSize) values, more than the "
                    + "model's image_vocab_size \(config.imageVocabSize)")
        }
        return dataset
    }
}

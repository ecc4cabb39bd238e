// trainer_state.json: everything besides tensors that a bit-exact resume needs, plus the
// checksum of every file of the checkpoint.
import Foundation
import Shards

/// Size and XXH64 of one checkpoint file.
public struct FileChecksum: Codable, Equatable, Sendable {
    public var byteCount: Int
    /// 16 hex digits.
    public var xxh64: String

    enum CodingKeys: String, CodingKey {
        case byteCount = "byte_count"
        case xxh64
    }

    public init(byteCount: Int, xxh64: String) {
        self.byteCount = byteCount
        self.xxh64 = xxh64
    }
}

/// The training position and counters saved with every checkpoint.
public struct TrainerState: Codable, Equatable, Sendable {
    /// Version of this checkpoint layout: 2 adds `trainer_state.json.xxh64`; 1 is still read.
    public var formatVersion = TrainerState.currentFormatVersion
    /// The version this build writes.
    public static let currentFormatVersion = 2
    /// The versions this build reads.
    public static let readableFormatVersions = 1...2
    /// Optimizer steps completed.
    public var step: Int
    /// Epoch of the next batch.
    public var epoch: Int
    /// Records consumed so far over all ranks.
    public var samples: Int
    /// Seconds spent training (excluding checkpoint writes) up to `step`.
    public var trainTime: Double
    /// The run seed: dropout streams derive from (seed, step, rank, micro-batch), so the seed
    /// and the step are the whole random state.
    public var rngSeed: UInt64
    /// World size of the run that wrote the checkpoint.
    public var worldSize: Int
    /// Rank r's data cursor after its last micro-batch of `step`.
    public var dataCursors: [DataCursor]
    /// Updates skipped because the loss or the gradients were not finite.
    public var skippedSteps: Int
    /// The resolved training options of the run that wrote the checkpoint.
    public var training: TrainingOptions
    /// Checksums of the other files, by file name.
    public var files: [String: FileChecksum]

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case step, epoch, samples
        case trainTime = "train_time"
        case rngSeed = "rng_seed"
        case worldSize = "world_size"
        case dataCursors = "data_cursors"
        case skippedSteps = "skipped_steps"
        case training, files
    }

    public init(
        step: Int, epoch: Int, samples: Int, trainTime: Double, rngSeed: UInt64, worldSize: Int,
        dataCursors: [DataCursor], skippedSteps: Int, training: TrainingOptions,
        files: [String: FileChecksum] = [:]
    ) {
        self.step = step
        self.epoch = epoch
        self.samples = samples
        self.trainTime = trainTime
        self.rngSeed = rngSeed
        self.worldSize = worldSize
        self.dataCursors = dataCursors
        self.skippedSteps = skippedSteps
        self.training = training
        self.files = files
    }

    /// Pretty, key-sorted JSON.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

// Reader configuration and the resumable position of a training data stream.

/// What a rank reads and how its batches are built.
public struct ReaderOptions: Sendable {
    /// Seed of every shuffle and of the blank-caption draws.
    public var seed: UInt64
    public var rank: Int
    public var worldSize: Int
    /// Rows per rank per step (b); the global batch is `worldSize * batchSize`.
    public var batchSize: Int
    /// S: encoder length (`max_text_length`).
    public var maxTextLength: Int
    /// First decoder input of every row (docs/MODEL.md §3).
    public var decoderStartTokenID: Int32
    /// Chance that a record's caption is replaced by "" (dalle-mini's classifier-free guidance
    /// trick); the draw depends only on (seed, epoch, record).
    public var blankCaptionProbability: Double
    /// Blocks whose records are shuffled together (memory: about this many decoded blocks).
    public var shuffleWindowBlocks: Int
    /// Rows of the model's text embedding (`encoder_vocab_size`): tokenizer ids at or above it
    /// become the last row's id, as dalle-mini's embedding gather clamps them; nil: no clamping.
    public var textVocabularySize: Int?
    /// dalle-mini's caption normalizer, for models whose config sets `normalize_text` (nil: captions
    /// are tokenized as they are). Its `<person>` draws depend only on (seed, epoch, record).
    public var textNormalizer: TextNormalizer?

    public init(
        seed: UInt64, rank: Int, worldSize: Int, batchSize: Int, maxTextLength: Int,
        decoderStartTokenID: Int32,
        blankCaptionProbability: Double = 0, shuffleWindowBlocks: Int = 8, textVocabularySize: Int? = nil
    ) {
        precondition(
            worldSize > 0 && (0..<worldSize).contains(rank), "rank \(rank) of world size \(worldSize)")
        precondition(batchSize > 0 && maxTextLength > 0, "batch size and max text length must be positive")
        precondition((0...1).contains(blankCaptionProbability), "blank caption probability must be in [0, 1]")
        precondition(shuffleWindowBlocks > 0, "shuffle window must hold at least one block")
        self.seed = seed
        self.rank = rank
        self.worldSize = worldSize
        self.batchSize = batchSize
        self.maxTextLength = maxTextLength
        self.decoderStartTokenID = decoderStartTokenID
        self.blankCaptionProbability = blankCaptionProbability
        self.shuffleWindowBlocks = shuffleWindowBlocks
        self.textVocabularySize = textVocabularySize
    }

    /// G = worldSize x batchSize: records consumed per step by all ranks together.
    public var recordsPerMicroStep: Int { worldSize * batchSize }
}

/// The exact position of the training data stream, identical on every rank: the global batch
/// of a step depends only on (seed, epoch, position, recordsPerMicroStep), never on the world size.
///
/// Restoring it with the same seed, dataset and shuffle window continues with exactly the
/// records that would have come next. A different world size is fine when the global batch
/// size is unchanged. With a different global batch size the stream continues from the same
/// record position (nothing is skipped or repeated in the epoch) but batches are cut differently
/// from an uninterrupted run, and the epoch ends when fewer than one new global batch remains.
public struct DataCursor: Codable, Equatable, Sendable {
    public var seed: UInt64
    /// Epoch of the next batch.
    public var epoch: Int
    /// Records of the epoch's order consumed by all ranks together (a multiple of G).
    public var position: Int
    /// G when the cursor was taken.
    public var recordsPerMicroStep: Int
    /// Records in the dataset (checked on restore).
    public var recordCount: Int
    /// `ReaderOptions.shuffleWindowBlocks` (part of the order; checked on restore).
    public var shuffleWindowBlocks: Int

    public init(
        seed: UInt64, epoch: Int, position: Int, recordsPerMicroStep: Int, recordCount: Int,
        shuffleWindowBlocks: Int
    ) {
        self.seed = seed
        self.epoch = epoch
        self.position = position
        self.recordsPerMicroStep = recordsPerMicroStep
        self.recordCount = recordCount
        self.shuffleWindowBlocks = shuffleWindowBlocks
    }

    enum CodingKeys: String, CodingKey {
        case seed, epoch, position
        case recordsPerMicroStep = "global_batch_size"
        case recordCount = "record_count"
        case shuffleWindowBlocks = "shuffle_window_blocks"
    }

    /// The cursor after consuming one more global batch of `recordsPerMicroStep` records: moves to
    /// the next epoch when fewer than one further global batch remains (the remainder is dropped).
    func advanced(by recordsPerMicroStep: Int) -> DataCursor {
        var next = self
        next.recordsPerMicroStep = recordsPerMicroStep
        next.position += recordsPerMicroStep
        if next.position + recordsPerMicroStep > recordCount {
            next.epoch += 1
            next.position = 0
        }
        return next
    }
}

// Evaluation batches: every record of a dataset exactly once, in storage order, split over ranks
// the same way as training (rank r takes rows [r*b, (r+1)*b) of each global batch of G records).

/// Every record of an evaluation dataset once, across all ranks, with no duplicates.
///
/// Step k covers records [k*G, (k+1)*G) in storage order; rank r gets the part of
/// [k*G + r*b, k*G + (r+1)*b) that exists. `batchCount` = ceil(records / G) is the same on every
/// rank, so ranks run the same number of collectives; in the last step a rank's batch may hold
/// fewer than b rows, or none at all. Weight per-batch means by `batch.size`.
public final class EvaluationReader {
    /// Steps needed to cover the dataset: the same on every rank.
    public let batchCount: Int
    public let options: ReaderOptions
    private let collator: BatchCollator
    private let stream: RecordStream
    private let recordCount: Int
    private var step = 0

    /// Evaluation over `dataset` (seed, blank captions and shuffle window of `options` are unused).
    public init(dataset: Dataset, options: ReaderOptions, encoder: any CaptionEncoder) {
        self.options = options
        recordCount = dataset.manifest.recordCount
        batchCount = (recordCount + options.recordsPerMicroStep - 1) / options.recordsPerMicroStep
        collator = BatchCollator(
            encoder: encoder, maxTextLength: options.maxTextLength, imageLength: dataset.manifest.imageLength,
            decoderStartTokenID: options.decoderStartTokenID, textVocabularySize: options.textVocabularySize,
            normalizer: options.textNormalizer, seed: options.seed)
        stream = RecordStream(dataset: dataset, seed: 0, epoch: 0, isShuffled: false, windowBlocks: 1)
    }

    /// This rank's next batch (possibly with 0 rows in the last step), or nil after `batchCount` steps.
    public func next() throws -> Batch? {
        guard step < batchCount else { return nil }
        let first = step * options.recordsPerMicroStep + options.rank * options.batchSize
        let end = min(first + options.batchSize, recordCount)
        var records: [Record] = []
        for position in first..<max(first, end) { records.append(try stream.record(at: position)) }
        step += 1
        return collator.collate(records)
    }
}

/// Evaluation batches for this rank over `dataset` (see `EvaluationReader`).
public func evaluationBatches(dataset: Dataset, options: ReaderOptions, encoder: any CaptionEncoder)
    -> EvaluationReader
{
    EvaluationReader(dataset: dataset, options: options, encoder: encoder)
}

// One rank's training batches: step s of an epoch is the slice [r*b, (r+1)*b) of global batch s,
// the records [s*G, (s+1)*G) of the epoch order. Produced ahead on a background thread.
import Foundation

/// A rank's endless stream of training batches, crossing epochs by itself. Batches are built
/// (read, decompressed, tokenized) on a background thread into a bounded queue; errors there
/// are thrown from `next()`.
public final class RankReader {
    /// Global batches per epoch: floor(records / G); the remainder of each epoch is dropped.
    public let stepsPerEpoch: Int
    /// The options the reader was made with.
    public let options: ReaderOptions
    private let queue: PrefetchQueue
    private var lastCursor: DataCursor
    private var lastEpoch: Int
    private var failure: Error?
    private var waitNanoseconds: UInt64 = 0

    /// Starts reading at `cursor` (or at epoch 0, position 0) and prefetches up to `prefetch` batches.
    /// Throws when the dataset holds fewer than one global batch or the cursor does not fit.
    public init(
        dataset: Dataset, options: ReaderOptions, encoder: any CaptionEncoder, cursor: DataCursor? = nil,
        prefetch: Int = 4
    ) throws {
        precondition(prefetch > 0, "prefetch must be positive")
        let records = dataset.manifest.recordCount
        let globalBatch = options.recordsPerMicroStep
        guard records >= globalBatch else {
            throw ShardError.datasetTooSmall(
                path: dataset.directory.path, records: records, recordsPerMicroStep: globalBatch)
        }
        var start =
            cursor
            ?? DataCursor(
                seed: options.seed, epoch: 0, position: 0, recordsPerMicroStep: globalBatch,
                recordCount: records,
                shuffleWindowBlocks: options.shuffleWindowBlocks)
        guard start.seed == options.seed, start.recordCount == records,
            start.shuffleWindowBlocks == options.shuffleWindowBlocks, start.epoch >= 0,
            start.position >= 0, start.position <= records
        else {
            throw ShardError.cursorMismatch(
                detail: "cursor \(start) against seed \(options.seed), \(records) records, shuffle window "
                    + "\(options.shuffleWindowBlocks) blocks")
        }
        if start.position + globalBatch > records {  // a cursor taken with a smaller G
            start = DataCursor(
                seed: start.seed, epoch: start.epoch + 1, position: 0, recordsPerMicroStep: globalBatch,
                recordCount: records, shuffleWindowBlocks: start.shuffleWindowBlocks)
        }
        start.recordsPerMicroStep = globalBatch
        self.options = options
        stepsPerEpoch = records / globalBatch
        lastCursor = start
        lastEpoch = start.epoch
        queue = PrefetchQueue(capacity: prefetch)
        let producer = BatchProducer(
            dataset: dataset, options: options, encoder: encoder, cursor: start, queue: queue)
        let thread = Thread { producer.run() }
        thread.name = "RankReader rank \(options.rank)"
        thread.start()
    }

    deinit { queue.stop() }

    /// The next batch of this rank (b rows). Rethrows a reading error on this and every later call.
    public func next() throws -> Batch {
        if let failure { throw failure }
        let start = DispatchTime.now().uptimeNanoseconds
        let item = queue.take()
        waitNanoseconds += DispatchTime.now().uptimeNanoseconds - start
        switch item {
        case .success(let produced):
            lastCursor = produced.cursorAfter
            lastEpoch = produced.epoch
            return produced.batch
        case .failure(let error):
            failure = error
            throw error
        }
    }

    /// The position after the last batch returned by `next()` (the same on every rank).
    public var cursor: DataCursor { lastCursor }
    /// Epoch of the last batch returned by `next()` (the starting epoch before the first call).
    public var epoch: Int { lastEpoch }
    /// Seconds `next()` has spent waiting for the background thread, in total.
    public var waitSeconds: Double { Double(waitNanoseconds) / 1e9 }
}

/// A finished batch and where the stream stands after it.
struct ProducedBatch {
    var batch: Batch
    var epoch: Int
    var cursorAfter: DataCursor
}

/// The background thread's loop: builds this rank's slice of each global batch in order.
final class BatchProducer {
    let options: ReaderOptions
    let collator: BatchCollator
    let stream: RecordStream
    let queue: PrefetchQueue
    var cursor: DataCursor

    init(
        dataset: Dataset, options: ReaderOptions, encoder: any CaptionEncoder, cursor: DataCursor,
        queue: PrefetchQueue
    ) {
        self.options = options
        collator = BatchCollator(
            encoder: encoder, maxTextLength: options.maxTextLength, imageLength: dataset.manifest.imageLength,
            decoderStartTokenID: options.decoderStartTokenID, textVocabularySize: options.textVocabularySize,
            normalizer: options.textNormalizer, seed: options.seed)
        stream = RecordStream(
            dataset: dataset, seed: options.seed, epoch: cursor.epoch, isShuffled: true,
            windowBlocks: options.shuffleWindowBlocks)
        self.queue = queue
        self.cursor = cursor
    }

    func run() {
        while !queue.isStopped {
            let item = Result { try produce() }
            guard queue.put(item) else { return }
            if case .failure = item { return }
        }
    }

    /// This rank's rows of the global batch at `cursor`, then advances the cursor.
    func produce() throws -> ProducedBatch {
        stream.moveTo(epoch: cursor.epoch)
        let first = cursor.position + options.rank * options.batchSize
        var records: [Record] = []
        records.reserveCapacity(options.batchSize)
        for position in first..<(first + options.batchSize) {
            records.append(try stream.record(at: position))
        }
        let epoch = cursor.epoch
        let probability = options.blankCaptionProbability
        let seed = SplitMix64.derive(options.seed, UInt64(epoch), RandomPurpose.blankCaption.rawValue)
        let batch = collator.collate(records, epoch: epoch) { record in
            probability > 0
                && Double(SplitMix64.derive(seed, UInt64(record.index)) >> 11) * 0x1p-53 < probability
        }
        let produced = ProducedBatch(
            batch: batch, epoch: epoch, cursorAfter: cursor.advanced(by: options.recordsPerMicroStep))
        cursor = produced.cursorAfter
        return produced
    }
}

/// A bounded, blocking single-producer single-consumer queue.
final class PrefetchQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Result<ProducedBatch, Error>] = []
    private let capacity: Int
    private var stopped = false

    init(capacity: Int) { self.capacity = capacity }

    var isStopped: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped
    }

    /// Waits for room; returns false (dropping the item) once the queue is stopped.
    func put(_ item: Result<ProducedBatch, Error>) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !stopped { condition.wait() }
        guard !stopped else { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// Waits for an item.
    func take() -> Result<ProducedBatch, Error> {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty { condition.wait() }
        let item = items.removeFirst()
        condition.broadcast()
        return item
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}

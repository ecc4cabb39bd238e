// Fetching records by epoch position (decoding at most two windows of blocks at a time) and
// collating them into model batches. Used by the training and evaluation readers on one thread.
import Foundation

/// One record of a batch, with its global record number.
struct Record {
    var index: Int
    var caption: String
    var codes: ArraySlice<UInt16>
}

/// Decoded blocks of one window plus its record order.
private struct LoadedWindow {
    let index: Int
    let blocks: [ShardBlock]
    let blockLocations: [BlockLocation]
    /// Start of each block in the window's concatenated records; last entry = window size.
    let blockStarts: [Int]
    let order: [Int32]
}

/// Reads records of an epoch order by position. Positions must be requested in ascending
/// order within an epoch; memory stays at about two windows of decoded blocks.
final class RecordStream {
    let dataset: Dataset
    let windowBlocks: Int
    let isShuffled: Bool
    private(set) var order: EpochOrder
    private var files: [Int: ShardFile] = [:]
    private var loaded: [LoadedWindow] = []

    init(dataset: Dataset, seed: UInt64, epoch: Int, isShuffled: Bool, windowBlocks: Int) {
        self.dataset = dataset
        self.windowBlocks = windowBlocks
        self.isShuffled = isShuffled
        order = EpochOrder(
            blocks: dataset.blocks, seed: seed, epoch: epoch, isShuffled: isShuffled,
            windowBlocks: windowBlocks)
    }

    /// Switches to `epoch`'s order (dropping decoded windows) if not already there.
    func moveTo(epoch: Int) {
        guard epoch != order.epoch else { return }
        order = EpochOrder(
            blocks: dataset.blocks, seed: order.seed, epoch: epoch, isShuffled: isShuffled,
            windowBlocks: windowBlocks)
        loaded.removeAll()
    }

    /// The record at epoch position `position`.
    func record(at position: Int) throws -> Record {
        let windowIndex = order.window(containing: position)
        let window = try load(windowIndex)
        let local = Int(window.order[position - order.windowStarts[windowIndex]])
        var slot = 0
        while window.blockStarts[slot + 1] <= local { slot += 1 }
        let inBlock = local - window.blockStarts[slot]
        let block = window.blocks[slot]
        return Record(
            index: window.blockLocations[slot].firstRecord + inBlock, caption: try block.caption(inBlock),
            codes: block.codes(inBlock))
    }

    private func load(_ windowIndex: Int) throws -> LoadedWindow {
        if let window = loaded.first(where: { $0.index == windowIndex }) { return window }
        loaded.removeAll { $0.index < windowIndex }  // positions only move forward
        var blocks: [ShardBlock] = []
        var locations: [BlockLocation] = []
        var starts = [0]
        for blockIndex in order.windows[windowIndex] {
            let location = dataset.blocks[blockIndex]
            blocks.append(try file(location.shard).readBlock(location.block))
            locations.append(location)
            starts.append(starts.last! + location.recordCount)
        }
        let window = LoadedWindow(
            index: windowIndex, blocks: blocks, blockLocations: locations, blockStarts: starts,
            order: order.recordOrder(window: windowIndex))
        loaded.append(window)
        return window
    }

    private func file(_ shard: Int) throws -> ShardFile {
        if let file = files[shard] { return file }
        if files.count >= 16 { files.removeAll() }  // bound open file handles
        let file = try ShardFile(url: dataset.shardURL(shard))
        files[shard] = file
        return file
    }
}

/// Turns records into a model `Batch` (docs/MODEL.md §3): tokenized captions, codes as labels,
/// labels shifted right as decoder inputs.
struct BatchCollator {
    let encoder: any CaptionEncoder
    let maxTextLength: Int
    let imageLength: Int
    let decoderStartTokenID: Int32
    /// Ids at or above this become `textVocabularySize - 1` (nil: unchanged), so every id the
    /// model receives has an embedding row. BART's `<mask>` (50264) is the case in practice.
    var textVocabularySize: Int? = nil
    /// Normalizes each caption (after the blank-caption draw, as dalle-mini's preprocessing does).
    var normalizer: TextNormalizer? = nil
    /// Seed of the `<person>` draws (mixed with the epoch and the record index).
    var seed: UInt64 = 0

    func collate(_ records: [Record], epoch: Int = 0, blankCaption: (Record) -> Bool = { _ in false })
        -> Batch
    {
        let rows = records.count
        var inputIDs: [Int32] = []
        var attentionMask: [Int32] = []
        var labels: [Int32] = []
        inputIDs.reserveCapacity(rows * maxTextLength)
        attentionMask.reserveCapacity(rows * maxTextLength)
        labels.reserveCapacity(rows * imageLength)
        for record in records {
            var caption = blankCaption(record) ? "" : record.caption
            if let normalizer {
                var random = SeededUniforms.personDraws(seed: seed, epoch: epoch, record: record.index)
                caption = normalizer.normalize(caption) { random.next() }
            }
            let text = encoder.encode(caption, maxLength: maxTextLength)
            precondition(
                text.inputIDs.count == maxTextLength && text.attentionMask.count == maxTextLength,
                "caption encoder returned \(text.inputIDs.count) ids for max length \(maxTextLength)")
            if let size = textVocabularySize, let largest = text.inputIDs.max(), Int(largest) >= size {
                inputIDs.append(contentsOf: text.inputIDs.map { min($0, Int32(size - 1)) })
            } else {
                inputIDs.append(contentsOf: text.inputIDs)
            }
            attentionMask.append(contentsOf: text.attentionMask)
            for code in record.codes { labels.append(Int32(code)) }
        }
        return Batch(
            size: rows, textLength: maxTextLength, imageLength: imageLength, inputIDs: inputIDs,
            attentionMask: attentionMask, labels: labels,
            decoderInputIDs: Batch.shiftRight(
                labels, rows: rows, length: imageLength, startToken: decoderStartTokenID))
    }
}

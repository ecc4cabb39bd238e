// Helpers for the Shards tests: temporary directories, a tiny deterministic caption encoder,
// and datasets whose records encode their own global index.
import Foundation
import Testing

@testable import Shards

/// Byte-level stand-in for the BART tokenizer: `<s>`=0, UTF-8 bytes + 4, `</s>`=2, `<pad>`=1.
struct TestEncoder: CaptionEncoder {
    var vocabularySize: Int { 260 }

    func encode(_ caption: String, maxLength: Int) -> EncodedText {
        var ids: [Int32] = [0] + caption.utf8.prefix(maxLength - 2).map { Int32($0) + 4 } + [2]
        let mask =
            [Int32](repeating: 1, count: ids.count) + [Int32](repeating: 0, count: maxLength - ids.count)
        ids += [Int32](repeating: 1, count: maxLength - ids.count)
        return EncodedText(inputIDs: ids, attentionMask: mask)
    }
}

/// A fresh temporary directory, removed by `cleanUp()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "shards-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func cleanUp() { try? FileManager.default.removeItem(at: url) }
}

/// Image length of identity datasets: codes are [i % 16384, i / 16384, 7, 9].
let identityImageLength = 4

/// Writes a dataset whose record i has caption "record i" and codes encoding i, with one
/// shard per entry of `shardSizes`.
@discardableResult
func writeIdentityDataset(at url: URL, shardSizes: [Int], recordsPerBlock: Int) throws -> Dataset {
    let writer = try DatasetWriter(
        directory: url, imageLength: identityImageLength, imageVocabSize: 16384, recordsPerShard: Int.max,
        recordsPerBlock: recordsPerBlock, source: "identity test")
    var index = 0
    for size in shardSizes {
        for _ in 0..<size {
            try writer.append(
                caption: "record \(index)", codes: [UInt16(index % 16384), UInt16(index / 16384), 7, 9])
            index += 1
        }
        try writer.endShard()
    }
    try writer.finish()
    return try Dataset(directory: url)
}

/// Global record indices of a batch's rows, read back from the labels (and checked against the caption).
func recordIDs(_ batch: Batch, encoder: TestEncoder = TestEncoder()) -> [Int] {
    (0..<batch.size).map { row in
        let labels = batch.labels[(row * batch.imageLength)...]
        let id = Int(labels[labels.startIndex]) + 16384 * Int(labels[labels.startIndex + 1])
        let expected = encoder.encode("record \(id)", maxLength: batch.textLength).inputIDs
        let actual = Array(batch.inputIDs[(row * batch.textLength)..<((row + 1) * batch.textLength)])
        #expect(actual == expected, "row \(row): caption does not match record \(id)")
        return id
    }
}

/// Reader options with defaults suited to the identity datasets.
func identityOptions(seed: UInt64 = 42, rank: Int, worldSize: Int, batchSize: Int, window: Int = 2)
    -> ReaderOptions
{
    ReaderOptions(
        seed: seed, rank: rank, worldSize: worldSize, batchSize: batchSize, maxTextLength: 16,
        decoderStartTokenID: 16384, shuffleWindowBlocks: window)
}

/// Flips the bits of byte `offset` of the file at `url`.
func flipByte(at offset: Int, in url: URL) throws {
    var data = try Data(contentsOf: url)
    data[offset] ^= 0xFF
    try data.write(to: url)
}

// Properties of per-rank training reading over world sizes 1...5: disjoint, complete, world-size
// independent global batches, reshuffled epochs, exact resume from a cursor, surfaced errors.
import Foundation
import Testing

@testable import Shards

@Suite struct RankReaderTests {
    /// Shard layouts: 3 uneven shards (fewer than 4-5 ranks) and 7 small uneven shards (more).
    static let layouts: [[Int]] = [[37, 5, 61], [9, 14, 3, 11, 20, 6, 17]]

    /// Record ids of `steps` batches of each rank: ids[rank][step].
    func readAll(_ dataset: Dataset, worldSize: Int, batchSize: Int, steps: Int, seed: UInt64 = 42) throws
        -> [[[Int]]]
    {
        try (0..<worldSize).map { rank in
            let reader = try RankReader(
                dataset: dataset,
                options: identityOptions(seed: seed, rank: rank, worldSize: worldSize, batchSize: batchSize),
                encoder: TestEncoder(), prefetch: 2)
            return try (0..<steps).map { _ in recordIDs(try reader.next()) }
        }
    }

    @Test(arguments: layouts)
    func everyWorldSizeReadsTheSameGlobalBatchesDisjointAndComplete(shardSizes: [Int]) throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let dataset = try writeIdentityDataset(at: directory.url, shardSizes: shardSizes, recordsPerBlock: 7)
        let total = dataset.manifest.recordCount
        let perRank = 3
        for worldSize in 1...5 {
            let globalBatch = worldSize * perRank
            let steps = total / globalBatch
            // One rank with batch G is the reference: its batches are the global batches.
            let reference = try readAll(dataset, worldSize: 1, batchSize: globalBatch, steps: 2 * steps)[0]
            let ranks = try readAll(dataset, worldSize: worldSize, batchSize: perRank, steps: 2 * steps)
            for step in 0..<(2 * steps) {
                let concatenated = (0..<worldSize).flatMap { ranks[$0][step] }
                #expect(concatenated == reference[step], "world size \(worldSize), step \(step)")
            }
            for epoch in 0..<2 {
                let steps = (epoch * steps)..<((epoch + 1) * steps)
                let perRankSets = (0..<worldSize).map { rank in Set(steps.flatMap { ranks[rank][$0] }) }
                let union = perRankSets.reduce(Set<Int>()) { $0.union($1) }
                #expect(union.count == steps.count * globalBatch, "duplicates in epoch \(epoch)")
                #expect(total - union.count < globalBatch, "more than one global batch dropped")
                #expect(union.isSubset(of: Set(0..<total)))
                for a in 0..<worldSize {
                    for b in (a + 1)..<worldSize { #expect(perRankSets[a].isDisjoint(with: perRankSets[b])) }
                }
            }
            #expect(reference[0..<steps] != reference[steps..<(2 * steps)], "epoch 1 repeats epoch 0's order")
        }
    }

    @Test func sameSeedSameSequenceOtherSeedOtherSequence() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let dataset = try writeIdentityDataset(at: directory.url, shardSizes: [40, 33], recordsPerBlock: 5)
        let first = try readAll(dataset, worldSize: 2, batchSize: 4, steps: 12)
        #expect(try readAll(dataset, worldSize: 2, batchSize: 4, steps: 12) == first)
        #expect(try readAll(dataset, worldSize: 2, batchSize: 4, steps: 12, seed: 7) != first)
        let storageOrder = Array(0..<8)
        #expect(first[0][0] + first[1][0] != storageOrder, "the first global batch is not shuffled")
    }

    @Test func restoringACursorReproducesTheRemainingSequenceAcrossWorldSizes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let dataset = try writeIdentityDataset(
            at: directory.url, shardSizes: [37, 5, 61], recordsPerBlock: 7)
        // Uninterrupted: 1 rank, G = 6, 40 steps (crosses several epochs of 17 steps).
        let uninterrupted = try RankReader(
            dataset: dataset, options: identityOptions(rank: 0, worldSize: 1, batchSize: 6),
            encoder: TestEncoder())
        let expected = try (0..<40).map { _ in recordIDs(try uninterrupted.next()) }
        #expect(uninterrupted.stepsPerEpoch == 17)

        for stop in [0, 5, 16, 17, 23] {
            let first = try RankReader(
                dataset: dataset, options: identityOptions(rank: 0, worldSize: 1, batchSize: 6),
                encoder: TestEncoder())
            for _ in 0..<stop { _ = try first.next() }
            let saved = try JSONDecoder().decode(
                DataCursor.self, from: try JSONEncoder().encode(first.cursor))
            #expect(saved == first.cursor)
            #expect(saved.epoch == stop / 17)
            // Resume on 3 ranks x 2 rows (same G = 6).
            let resumed = try (0..<3).map { rank in
                try RankReader(
                    dataset: dataset, options: identityOptions(rank: rank, worldSize: 3, batchSize: 2),
                    encoder: TestEncoder(), cursor: saved)
            }
            for step in stop..<40 {
                #expect(
                    try resumed.flatMap { recordIDs(try $0.next()) } == expected[step],
                    "stop \(stop), step \(step)")
            }
            #expect(resumed.allSatisfy { $0.cursor == uninterrupted.cursor })
        }
    }

    @Test func aCursorFromAnotherDatasetOrSeedIsRejected() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let dataset = try writeIdentityDataset(at: directory.url, shardSizes: [30], recordsPerBlock: 7)
        let options = identityOptions(rank: 0, worldSize: 1, batchSize: 4)
        let cursor = DataCursor(
            seed: 42, epoch: 0, position: 8, recordsPerMicroStep: 4, recordCount: 31, shuffleWindowBlocks: 2)
        #expect(throws: ShardError.self) {
            try RankReader(dataset: dataset, options: options, encoder: TestEncoder(), cursor: cursor)
        }
        #expect(throws: ShardError.self) {
            try RankReader(
                dataset: dataset, options: identityOptions(rank: 0, worldSize: 8, batchSize: 4),
                encoder: TestEncoder())
        }
    }

    @Test func batchesFollowTheModelInputContract() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let dataset = try writeIdentityDataset(at: directory.url, shardSizes: [30], recordsPerBlock: 7)
        let reader = try RankReader(
            dataset: dataset, options: identityOptions(rank: 1, worldSize: 2, batchSize: 3),
            encoder: TestEncoder())
        let batch = try reader.next()
        #expect(batch.size == 3 && batch.textLength == 16 && batch.imageLength == identityImageLength)
        for (row, id) in recordIDs(batch).enumerated() {
            let labels = Array(batch.labels[(row * 4)..<(row * 4 + 4)])
            #expect(labels == [Int32(id), 0, 7, 9])
            #expect(Array(batch.decoderInputIDs[(row * 4)..<(row * 4 + 4)]) == [16384, Int32(id), 0, 7])
            let mask = Array(batch.attentionMask[(row * 16)..<(row * 16 + 16)])
            let length = "record \(id)".utf8.count + 2
            #expect(mask == Array(repeating: 1, count: length) + Array(repeating: 0, count: 16 - length))
        }
        #expect(reader.waitSeconds >= 0 && reader.epoch == 0)
    }

    @Test func blankCaptionsAreDeterministicAndAtTheRequestedRate() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let dataset = try writeIdentityDataset(at: directory.url, shardSizes: [400], recordsPerBlock: 50)
        func blanks(seed: UInt64) throws -> [Bool] {
            var options = identityOptions(seed: seed, rank: 0, worldSize: 1, batchSize: 100)
            options.blankCaptionProbability = 0.25
            let reader = try RankReader(dataset: dataset, options: options, encoder: TestEncoder())
            return try (0..<4).flatMap { _ in
                let batch = try reader.next()
                return (0..<batch.size).map { batch.inputIDs[$0 * 16 + 1] == 2 }  // "</s>" right after "<s>"
            }
        }
        let first = try blanks(seed: 3)
        #expect(try blanks(seed: 3) == first)
        let rate = Double(first.filter { $0 }.count) / Double(first.count)
        #expect(rate > 0.17 && rate < 0.33, "blank rate \(rate)")
    }

    @Test func aCorruptBlockSurfacesFromNextAndKeepsThrowing() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let dataset = try writeIdentityDataset(at: directory.url, shardSizes: [60], recordsPerBlock: 6)
        let file = try ShardFile(url: dataset.shardURL(0))
        try flipByte(at: file.blocks[4].offset + 3, in: dataset.shardURL(0))
        let reader = try RankReader(
            dataset: dataset, options: identityOptions(rank: 0, worldSize: 1, batchSize: 10),
            encoder: TestEncoder())
        var caught: ShardError?
        for _ in 0..<12 {
            do { _ = try reader.next() } catch let error as ShardError {
                caught = error
                break
            }
        }
        #expect(caught?.description.contains("block 4 is corrupt") == true)
        #expect(throws: ShardError.self) { try reader.next() }
    }
}

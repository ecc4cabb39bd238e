// Evaluation reading: every record exactly once over all ranks, equal batch counts per rank.
import Foundation
import Testing

@testable import Shards

@Suite struct EvaluationTests {
    @Test(arguments: 1...5)
    func everyRecordOnceAcrossRanks(worldSize: Int) throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let dataset = try writeIdentityDataset(
            at: directory.url, shardSizes: [11, 2, 16], recordsPerBlock: 4)
        var seen: [Int] = []
        var batchCounts: Set<Int> = []
        for rank in 0..<worldSize {
            let reader = evaluationBatches(
                dataset: dataset, options: identityOptions(rank: rank, worldSize: worldSize, batchSize: 3),
                encoder: TestEncoder())
            var count = 0
            while let batch = try reader.next() {
                #expect(batch.size <= 3)
                seen += recordIDs(batch)
                count += 1
            }
            #expect(count == reader.batchCount)
            batchCounts.insert(count)
        }
        #expect(seen.sorted() == Array(0..<29))
        #expect(batchCounts == [(29 + 3 * worldSize - 1) / (3 * worldSize)])
    }
}

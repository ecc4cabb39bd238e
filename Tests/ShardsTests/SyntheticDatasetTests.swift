// The built-in synthetic dataset: deterministic, structured as documented, reusable by `ensure`.
import Foundation
import Testing

@testable import Shards

@Suite struct SyntheticDatasetTests {
    @Test func recordsAreDeterministicAndCaptionsDescribeTheCodes() throws {
        for index in 0..<200 {
            let record = SyntheticDataset.record(index: index, seed: 5)
            #expect(record == SyntheticDataset.record(index: index, seed: 5))
            let words = record.caption.split(separator: " ").map(String.init)
            let colorNames = SyntheticDataset.colors.map(\.name)
            let foreground = try #require(colorNames.firstIndex(of: words[2]))
            let background = try #require(colorNames.firstIndex(of: words[words.count - 2]))
            #expect(foreground != background)
            #expect(record.codes.count == 256)
            let ranges = Set(record.codes.map { Int($0) / 2048 })
            #expect(ranges == [foreground, background], "\(record.caption)")
            #expect(record.codes.allSatisfy { Int($0) % 2048 < 4 })
            let shapeCells = record.codes.enumerated().filter { Int($0.element) / 2048 == foreground }
            let meanX = Double(shapeCells.reduce(0) { $0 + $1.offset % 16 }) / Double(shapeCells.count)
            if record.caption.contains("left") { #expect(meanX < 7) }
            if record.caption.contains("right") { #expect(meanX > 9) }
        }
        #expect(SyntheticDataset.record(index: 3, seed: 5) != SyntheticDataset.record(index: 3, seed: 6))
    }

    @Test func writeThenEnsureReusesACompleteDataset() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let url = directory.url.appendingPathComponent("synthetic")
        let manifest = try SyntheticDataset.write(
            to: url, records: 300, seed: 9, recordsPerShard: 128, recordsPerBlock: 32)
        #expect(manifest.shards.map(\.recordCount) == [128, 128, 44])
        let shard = url.appendingPathComponent(manifest.shards[0].file)
        let modified =
            try FileManager.default.attributesOfItem(atPath: shard.path)[.modificationDate] as? Date
        let dataset = try SyntheticDataset.ensure(at: url, records: 300, seed: 9, recordsPerShard: 128)
        #expect(
            try FileManager.default.attributesOfItem(atPath: shard.path)[.modificationDate] as? Date
                == modified)
        let record = try dataset.record(at: 131)
        let expected = SyntheticDataset.record(index: 131, seed: 9)
        #expect(record.caption == expected.caption && record.codes == expected.codes)
        let rewritten = try SyntheticDataset.ensure(at: url, records: 100, seed: 9, recordsPerShard: 128)
        #expect(rewritten.manifest.recordCount == 100)
    }
}

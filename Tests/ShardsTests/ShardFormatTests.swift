// Shard files: round trip through writer and reader, and every kind of damage producing an
// error that names the file and the block or record.
import Foundation
import Testing

@testable import Shards

@Suite struct ShardFormatTests {
    @Test func roundTripKeepsEveryRecordAndTheManifestMatches() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let dataset = try writeIdentityDataset(
            at: directory.url, shardSizes: [10, 3, 25], recordsPerBlock: 4)
        #expect(dataset.manifest.recordCount == 38)
        #expect(dataset.manifest.shards.map(\.recordCount) == [10, 3, 25])
        #expect(dataset.manifest.shards.map(\.blockCount) == [3, 1, 7])
        #expect(dataset.blocks.count == 11)
        for index in [0, 9, 10, 12, 13, 37] {
            let record = try dataset.record(at: index)
            #expect(record.caption == "record \(index)")
            #expect(record.codes == [UInt16(index), 0, 7, 9])
        }
        let unicode = directory.url.appendingPathComponent("unicode")
        let writer = try DatasetWriter(
            directory: unicode, imageLength: 2, imageVocabSize: 8, recordsPerShard: 2)
        try writer.append(caption: "ünïcødé 🐱", codes: [7, 0])
        try writer.append(caption: "", codes: [1, 2])
        try writer.append(caption: "third", codes: [3, 4])
        try writer.finish()
        let reopened = try Dataset(directory: unicode)
        #expect(reopened.manifest.shards.count == 2)
        #expect(try reopened.record(at: 0).caption == "ünïcødé 🐱")
        #expect(try reopened.record(at: 1).caption == "")
        #expect(try reopened.record(at: 2).codes == [3, 4])
    }

    /// A one-shard dataset of 20 records in blocks of 6 (blocks 0..3), and its shard URL.
    func damagedFixture(_ directory: TemporaryDirectory) throws -> (URL, ShardFile) {
        let dataset = try writeIdentityDataset(at: directory.url, shardSizes: [20], recordsPerBlock: 6)
        let url = dataset.shardURL(0)
        return (url, try ShardFile(url: url))
    }

    @Test func flippedByteInABlockNamesFileAndBlock() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let (url, file) = try damagedFixture(directory)
        try flipByte(at: file.blocks[2].offset + 5, in: url)
        let reopened = try ShardFile(url: url)
        #expect(try reopened.readBlock(1).caption(0) == "record 6")
        let error = #expect(throws: ShardError.self) { try reopened.readBlock(2) }
        guard case .corruptBlock(let path, let block, _) = error else {
            Issue.record("expected corruptBlock, got \(String(describing: error))")
            return
        }
        #expect(path == url.path && block == 2)
        #expect(error!.description.contains("shard-00000.dtshard: block 2 is corrupt"))
    }

    @Test func flippedByteInHeaderOrIndexIsDetectedAtOpen() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let (url, file) = try damagedFixture(directory)
        try flipByte(at: 20, in: url)
        #expect {
            try ShardFile(url: url)
        } throws: { error in
            if case .corruptHeader = error as? ShardError { return true } else { return false }
        }
        try flipByte(at: 20, in: url)
        try flipByte(at: file.header.indexOffset + 3, in: url)
        #expect {
            try Dataset(directory: directory.url)
        } throws: { error in
            if case .corruptIndex = error as? ShardError { return true } else { return false }
        }
    }

    @Test func truncatedFileReportsExpectedAndActualSize() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let (url, file) = try damagedFixture(directory)
        let data = try Data(contentsOf: url)
        try data.prefix(data.count - 40).write(to: url)
        let error = #expect(throws: ShardError.self) { try ShardFile(url: url) }
        #expect(
            error
                == .truncated(
                    path: url.path, expectedBytes: file.header.fileByteCount, actualBytes: data.count - 40))
        try data.prefix(30).write(to: url)
        #expect(throws: ShardError.self) { try ShardFile(url: url) }
    }

    @Test func wrongMagicAndWrongVersion() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let (url, _) = try damagedFixture(directory)
        var data = try Data(contentsOf: url)
        data[8] = 2  // version 2
        try data.write(to: url)
        let versionError = #expect(throws: ShardError.self) { try ShardFile(url: url) }
        #expect(versionError == .unsupportedVersion(path: url.path, found: 2, supported: 1))
        data[8] = 1
        data[0] = UInt8(ascii: "X")
        try data.write(to: url)
        let magicError = #expect(throws: ShardError.self) { try ShardFile(url: url) }
        #expect(magicError == .badMagic(path: url.path, found: Array("XTSHARD".utf8) + [0]))
        #expect(magicError!.description.contains("dalle-train import"))
    }

    @Test func outOfRangeCodeNamesBlockAndRecord() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let (url, _) = try damagedFixture(directory)
        // Rewrite the header to claim a vocabulary of 15 codes (with a valid header CRC): record 15
        // (block 2) is the first whose first code, 15, falls outside.
        var data = try Data(contentsOf: url)
        data.replaceSubrange(20..<24, with: [15, 0, 0, 0])
        let crc = CRC32.castagnoli.checksum(data.prefix(60))
        data.replaceSubrange(60..<64, with: withUnsafeBytes(of: crc.littleEndian) { Array($0) })
        try data.write(to: url)
        let file = try ShardFile(url: url)
        _ = try file.readBlock(1)
        let error = #expect(throws: ShardError.self) { try file.readBlock(2) }
        #expect(error == .codeOutOfRange(path: url.path, block: 2, record: 15, code: 15, vocabularySize: 15))
        #expect(error!.description.contains("block 2, record 15"))
    }

    @Test func missingOrForeignManifest() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        #expect(throws: ShardError.self) { try Dataset(directory: directory.url) }
        try Data("{\"format\": 3}".utf8).write(to: directory.url.appendingPathComponent("manifest.json"))
        let error = #expect(throws: ShardError.self) { try Dataset(directory: directory.url) }
        #expect(error?.description.contains("manifest.json") == true)
    }
}

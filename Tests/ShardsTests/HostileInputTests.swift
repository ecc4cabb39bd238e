// Inputs a hostile or careless user can produce: shard headers and indexes whose 64-bit fields do
// not fit, manifests that disagree with their shards, tokenizer files with other line ends, no
// header or duplicate ids, and captions whose tokens have no embedding row. Each must give a clear
// error (or the documented behaviour), never a trap or a silent misread.
import Foundation
import TestSupport
import Testing

@testable import Shards

@Suite struct HostileShardTests {
    /// Rewrites `bytes` at `offset` in the shard at `url`, then re-seals the header's CRC.
    func patchHeader(_ url: URL, at offset: Int, _ bytes: [UInt8]) throws {
        var data = try Data(contentsOf: url)
        data.replaceSubrange(offset..<offset + bytes.count, with: bytes)
        let crc = CRC32.castagnoli.checksum(data.prefix(60))
        data.replaceSubrange(60..<64, with: withUnsafeBytes(of: crc.littleEndian) { Array($0) })
        try data.write(to: url)
    }

    @Test(arguments: [UInt64(1) << 63, UInt64.max])
    func hugeRecordCountOrIndexOffsetIsAnErrorNotATrap(value: UInt64) throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let url = try writeIdentityDataset(at: directory.url, shardSizes: [20], recordsPerBlock: 6).shardURL(
            0)
        let bytes = withUnsafeBytes(of: value.littleEndian) { Array($0) }
        for offset in [24, 40] {  // record count, index offset
            let original = try Data(contentsOf: url)
            try patchHeader(url, at: offset, bytes)
            #expect(throws: ShardError.self) { try ShardFile(url: url) }
            try original.write(to: url)
        }
    }

    @Test func indexEntryOffsetBeyondTheFileIsAnError() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let url = try writeIdentityDataset(at: directory.url, shardSizes: [20], recordsPerBlock: 6).shardURL(
            0)
        let indexOffset = Int(try ShardFile(url: url).header.indexOffset)
        var data = try Data(contentsOf: url)
        data.replaceSubrange(indexOffset..<indexOffset + 8, with: [UInt8](repeating: 0xFF, count: 8))
        let entries = data.count - 4 - indexOffset
        let crc = CRC32.castagnoli.checksum(data[indexOffset..<indexOffset + entries])
        data.replaceSubrange(
            data.count - 4..<data.count, with: withUnsafeBytes(of: crc.littleEndian) { Array($0) })
        try data.write(to: url)
        let error = #expect(throws: ShardError.self) { try ShardFile(url: url) }
        #expect(error?.description.contains(url.lastPathComponent) == true)
    }

    @Test func manifestCountsMustMatchTheShards() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        _ = try writeIdentityDataset(at: directory.url, shardSizes: [20], recordsPerBlock: 6)
        let manifestURL = directory.url.appendingPathComponent(DatasetManifest.fileName)
        let original = try Data(contentsOf: manifestURL)
        for edit in [
            #""block_count" : 4"#: #""block_count" : 5"#,
            #""file" : "shard-00000"#: #""file" : "../shard-00000"#,
        ] {
            let text = String(decoding: original, as: UTF8.self)
            #expect(text.contains(edit.key), "manifest layout changed: \(edit.key)")
            try Data(text.replacingOccurrences(of: edit.key, with: edit.value).utf8).write(to: manifestURL)
            let error = #expect(throws: ShardError.self) { try Dataset(directory: directory.url) }
            #expect(
                error?.description.contains("manifest") == true
                    || error?.description.contains("shard") == true)
        }
        let manifest = try JSONDecoder().decode(DatasetManifest.self, from: original)
        var wrongBytes = manifest
        wrongBytes.shards[0].byteCount += 1
        try JSONEncoder().encode(wrongBytes).write(to: manifestURL)
        #expect(throws: ShardError.self) { try Dataset(directory: directory.url) }
    }
}

@Suite struct HostileTokenizerFileTests {
    func copyOfFixture(_ name: String = "bytebpe-512") throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for file in ["vocab.json", "merges.txt"] {
            try FileManager.default.copyItem(
                at: Fixture.directory("tokenizer/\(name)").appendingPathComponent(file),
                to: directory.appendingPathComponent(file))
        }
        return directory
    }

    @Test func crlfMergesAndMergesWithoutHeaderTokenizeAlike() throws {
        let reference = try copyOfFixture()
        defer { try? FileManager.default.removeItem(at: reference) }
        let expected = try BartTokenizer(directory: reference)
        let merges = try String(contentsOf: reference.appendingPathComponent("merges.txt"), encoding: .utf8)
        #expect(merges.hasPrefix("#version"))
        let variants = [
            merges.replacingOccurrences(of: "\n", with: "\r\n"),
            String(merges.drop { $0 != "\n" }.dropFirst()),  // no header line
        ]
        for text in variants {
            let directory = try copyOfFixture()
            defer { try? FileManager.default.removeItem(at: directory) }
            try Data(text.utf8).write(to: directory.appendingPathComponent("merges.txt"))
            let tokenizer = try BartTokenizer(directory: directory)
            for caption in ["a red circle on a blue background", "the quick brown fox jumps"] {
                #expect(tokenizer.encode(caption, maxLength: 24) == expected.encode(caption, maxLength: 24))
            }
        }
    }

    @Test func duplicateIdsInVocabularyAreRejected() throws {
        let directory = try copyOfFixture()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("vocab.json")
        var vocabulary = try JSONDecoder().decode([String: Int].self, from: Data(contentsOf: url))
        vocabulary["zzzz-duplicate"] = vocabulary["<s>"]
        try JSONEncoder().encode(vocabulary).write(to: url)
        let error = #expect(throws: TokenizerError.self) { try BartTokenizer(directory: directory) }
        #expect(error?.description.contains("vocab.json") == true)
        #expect(error?.description.contains("share id") == true)
    }

    @Test func maskTokenIsClampedToTheLastEmbeddingRow() throws {
        let tokenizer = try BartTokenizer.bundled()
        let raw = tokenizer.encode("a <mask> cat", maxLength: 16)
        #expect(raw.inputIDs.contains(50264))
        let collator = BatchCollator(
            encoder: tokenizer, maxTextLength: 16, imageLength: 4, decoderStartTokenID: 16384,
            textVocabularySize: 50264)
        let record = Record(index: 0, caption: "a <mask> cat", codes: [1, 2, 3, 4])
        let batch = collator.collate([record])
        #expect(batch.inputIDs.allSatisfy { $0 >= 0 && $0 < 50264 })
        #expect(batch.inputIDs == raw.inputIDs.map { min($0, 50263) })
    }
}

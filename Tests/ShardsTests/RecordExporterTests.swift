// export-records: a shard set written back as dalle-mini JSON Lines imports to the same shard
// files byte for byte (plain and .zst), and reproduces the fixtures' own JSON Lines exactly.
import Foundation
import TestSupport
import Testing

@testable import Shards

@Suite struct RecordExporterTests {
    @Test(arguments: ["jsonl", "jsonl.zst"])
    func importOfExportGivesTheSameShards(_ suffix: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let first = directory.url.appendingPathComponent("first")
        let second = directory.url.appendingPathComponent("second")
        let exported = directory.url.appendingPathComponent("records." + suffix)
        _ = try Importer.run(
            files: [ParquetFixtures.url("rowgroups_pages", "parquet")],
            options: ParquetFixtures.options(first))
        #expect(try RecordExporter.export(dataset: first, to: exported) == 200)
        _ = try Importer.run(files: [exported], options: ParquetFixtures.options(second))
        let original = try ParquetFixtures.contents(first)
        #expect(try original.shards.count == 4 && original.shards == ParquetFixtures.contents(second).shards)
        let partial = try FileManager.default.contentsOfDirectory(atPath: directory.url.path).filter {
            $0.contains("partial")
        }
        #expect(partial.isEmpty)
    }

    @Test(arguments: ["pandas_default", "extra_columns", "required_fields"])
    func exportWritesTheFixtureTwinsByteForByte(_ name: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let shards = directory.url.appendingPathComponent("shards")
        let exported = directory.url.appendingPathComponent("out.jsonl")
        _ = try Importer.run(
            files: [ParquetFixtures.url(name, "parquet")], options: ParquetFixtures.options(shards))
        try RecordExporter.export(dataset: shards, to: exported)
        #expect(try Data(contentsOf: exported) == Data(contentsOf: ParquetFixtures.url(name, "jsonl")))
    }

    @Test func escapesLikePythonsJSON() {
        let text = "q\"\\/\n\t\u{1}é😀\u{7F}"
        #expect(
            String(decoding: RecordExporter.jsonString(text), as: UTF8.self) == #""q\"\\/\n\t\u0001é😀"#
                + "\u{7F}\"")
    }

    @Test func aMissingDatasetThrowsAndWritesNothing() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let output = directory.url.appendingPathComponent("out.jsonl")
        #expect(throws: ShardError.self) {
            try RecordExporter.export(dataset: directory.url.appendingPathComponent("none"), to: output)
        }
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }
}

// Every Parquet fixture imports to the same shard files as its JSON Lines twin; the bad-row
// fixtures report exactly the rows their README lists; directories import their parts in name order.
import Foundation
import TestSupport
import Testing

@testable import Shards

/// The Parquet fixtures and helpers to import them.
enum ParquetFixtures {
    static let directory = Fixture.directory("parquet")
    static let valid = [
        "pandas_default", "pandas_object_filtered_index", "legacy_format_1_0", "zstd", "gzip", "uncompressed",
        "plain_nodict", "page_v2", "page_v2_nodict_zstd", "rowgroups_pages", "encoding_int32",
        "encoding_int16",
        "encoding_fixed_size_list", "caption_large_string", "extra_columns", "required_fields",
    ]
    /// File → (row, row group, row in group, reason) of every bad row.
    static let bad: [String: [(Int, Int, Int, String)]] = [
        "bad_nulls": [(17, 0, 17, "'caption' is null"), (42, 0, 42, "'encoding' is null")],
        "bad_length_255": [(33, 0, 33, "'encoding' has 255 codes, expected 256")],
        "bad_code_16384": [(5, 0, 5, "code 100 is 16384, expected an integer in [0, 16384)")],
    ]

    static func url(_ name: String, _ suffix: String) -> URL {
        directory.appendingPathComponent(name + "." + suffix)
    }

    static func options(_ output: URL, skipInvalid: Bool = false) -> ImportOptions {
        ImportOptions(
            outputDirectory: output, recordsPerShard: 64, recordsPerBlock: 16, skipInvalid: skipInvalid)
    }

    /// The shard files of a dataset directory, by name, and its manifest without `source`.
    static func contents(_ directory: URL) throws -> (shards: [String: Data], manifest: DatasetManifest) {
        var shards: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path)
        where name.hasPrefix("shard-") {
            shards[name] = try Data(contentsOf: directory.appendingPathComponent(name))
        }
        var manifest = try Dataset(directory: directory).manifest
        manifest.source = ""
        return (shards, manifest)
    }

    static func manifestExists(_ directory: URL) -> Bool {
        FileManager.default.fileExists(
            atPath: directory.appendingPathComponent(DatasetManifest.fileName).path)
    }
}

@Suite struct ParquetImportTests {
    @Test(arguments: ParquetFixtures.valid)
    func importsLikeItsJSONLinesTwin(_ name: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let fromParquet = directory.url.appendingPathComponent("parquet")
        let fromJSON = directory.url.appendingPathComponent("json")
        let summary = try Importer.run(
            files: [ParquetFixtures.url(name, "parquet")], options: ParquetFixtures.options(fromParquet))
        let twin = try Importer.run(
            files: [ParquetFixtures.url(name, "jsonl")], options: ParquetFixtures.options(fromJSON))
        #expect(summary.records > 0 && summary.records == twin.records && summary.skipped == 0)
        let parquet = try ParquetFixtures.contents(fromParquet)
        let json = try ParquetFixtures.contents(fromJSON)
        #expect(!parquet.shards.isEmpty && parquet.shards == json.shards, "\(name): shard files differ")
        #expect(parquet.manifest == json.manifest)
        let dataset = try Dataset(directory: fromParquet)
        #expect(try dataset.record(at: 0).codes[0] == 0 && dataset.record(at: 0).codes[128] == 16383)
    }

    @Test(arguments: ["bad_nulls", "bad_length_255", "bad_code_16384"])
    func badRowsFailTheImportAtTheFirstOne(_ name: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let output = directory.url.appendingPathComponent("out")
        let url = ParquetFixtures.url(name, "parquet")
        let error = #expect(throws: ShardError.self) {
            try Importer.run(files: [url], options: ParquetFixtures.options(output))
        }
        let (row, group, inGroup, reason) = ParquetFixtures.bad[name]![0]
        #expect(
            error
                == .invalidRow(path: url.path, row: row, rowGroup: group, rowInGroup: inGroup, detail: reason)
        )
        #expect(error?.description.contains("row \(row) (row group \(group), row \(inGroup))") == true)
        #expect(!ParquetFixtures.manifestExists(output), "a failed import must not look complete")
        // The JSON Lines twin fails on the same record (line = row + 1).
        let twinError = #expect(throws: ShardError.self) {
            try Importer.run(
                files: [ParquetFixtures.url(name, "jsonl")], options: ParquetFixtures.options(output))
        }
        #expect(twinError?.location.hasSuffix(":\(row + 1)") == true)
    }

    @Test(arguments: ["bad_nulls", "bad_length_255", "bad_code_16384"])
    func skipInvalidSkipsExactlyTheListedRows(_ name: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let fromParquet = directory.url.appendingPathComponent("parquet")
        let fromJSON = directory.url.appendingPathComponent("json")
        let url = ParquetFixtures.url(name, "parquet")
        let summary = try Importer.run(
            files: [url], options: ParquetFixtures.options(fromParquet, skipInvalid: true))
        let twin = try Importer.run(
            files: [ParquetFixtures.url(name, "jsonl")],
            options: ParquetFixtures.options(fromJSON, skipInvalid: true))
        let expected = ParquetFixtures.bad[name]!.map { row, group, inGroup, reason in
            "\(url.path): row \(row) (row group \(group), row \(inGroup)): \(reason)"
        }
        #expect(summary.skippedExamples == expected)
        #expect(summary.skipped == expected.count && summary.records == 50 - expected.count)
        #expect(
            twin.skippedExamples.map { Int($0.split(separator: ":")[1])! - 1 }
                == ParquetFixtures.bad[name]!.map(\.0))
        #expect(try ParquetFixtures.contents(fromParquet).shards == ParquetFixtures.contents(fromJSON).shards)
    }

    @Test func aDirectoryImportsItsPartFilesInNameOrder() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let parts = directory.url.appendingPathComponent("data/train")
        try FileManager.default.createDirectory(at: parts, withIntermediateDirectories: true)
        let names = ["zstd", "gzip", "page_v2"]
        for (index, name) in names.enumerated().reversed() {
            try FileManager.default.copyItem(
                at: ParquetFixtures.url(name, "parquet"),
                to: parts.appendingPathComponent("train-0000\(index)-of-00003.parquet"))
        }
        try Data("not a part file".utf8).write(to: parts.appendingPathComponent("README.md"))
        let fromParquet = directory.url.appendingPathComponent("parquet")
        let fromJSON = directory.url.appendingPathComponent("json")
        _ = try Importer.run(
            files: [directory.url.appendingPathComponent("data")],
            options: ParquetFixtures.options(fromParquet))
        _ = try Importer.run(
            files: names.map { ParquetFixtures.url($0, "jsonl") }, options: ParquetFixtures.options(fromJSON))
        let parquet = try ParquetFixtures.contents(fromParquet)
        #expect(
            try parquet.manifest.recordCount == 240
                && parquet.shards == ParquetFixtures.contents(fromJSON).shards)
        let empty = directory.url.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        #expect(throws: ShardError.self) {
            try Importer.run(files: [empty], options: ParquetFixtures.options(fromJSON))
        }
    }

    @Test func otherColumnNamesAreFoundByName() throws {
        let reader = try ParquetRecordReader(url: ParquetFixtures.url("extra_columns", "parquet"))
        var rows = 0
        try reader.forEachRow(inRowGroup: 0, firstRow: 0, imageLength: 256, imageVocabSize: 16384) { row in
            #expect(row.problem == nil && row.codes.count == 256)
            rows += 1
        }
        #expect(rows == 60 && reader.rowGroupCount == 1 && reader.rowCount == 60)
        // A caption column under another name: "url" holds strings; the import reads it.
        let urls = try ParquetRecordReader(
            url: ParquetFixtures.url("extra_columns", "parquet"), captionColumn: "url")
        try urls.forEachRow(inRowGroup: 0, firstRow: 0, imageLength: 256, imageVocabSize: 16384) { row in
            #expect(row.problem == nil && !row.caption.isEmpty)
        }
    }
}

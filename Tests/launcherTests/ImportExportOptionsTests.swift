// Parsing of `import` (Parquet inputs, column options) and `export-records`.
import ArgumentParser
import Testing

@testable import launcher

struct ImportExportOptionsTests {
    @Test func importTakesParquetInputsAndColumnNames() throws {
        let command = try DalleTrain.parseAsRoot([
            "import", "--output", "out", "--caption-column", "text", "--encoding-column", "codes", "data/",
            "part.parquet",
        ])
        let parsed = try #require(command as? Import)
        #expect(parsed.files == ["data/", "part.parquet"])
        #expect(parsed.captionColumn == "text" && parsed.encodingColumn == "codes")
    }

    @Test func exportRecordsNeedsADirectoryAndAnOutput() throws {
        let command = try DalleTrain.parseAsRoot([
            "export-records", "shards", "--output", "records.jsonl.zst",
        ])
        let parsed = try #require(command as? ExportRecords)
        #expect(parsed.shards == "shards" && parsed.output == "records.jsonl.zst")
        #expect(throws: (any Error).self) { try DalleTrain.parseAsRoot(["export-records", "shards"]) }
    }
}

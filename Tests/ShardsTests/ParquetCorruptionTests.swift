// Damaged and unsupported Parquet input: truncated footers, bad magic, corrupt pages, a codec's
// data that is not what the codec says, and caption/encoding columns of unsupported types all
// end with a clear ParquetError and no complete dataset. Random damage never crashes the reader.
import Foundation
import TestSupport
import Testing

@testable import Shards

@Suite struct ParquetCorruptionTests {
    func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: ParquetFixtures.url(name, "parquet")))
    }

    /// Reads every row of a Parquet file held in memory; returns the number of valid rows.
    @discardableResult
    func readAll(_ bytes: [UInt8], caption: String = "caption", encoding: String = "encoding") throws -> Int {
        try ParquetRecordReader(
            bytes: bytes, name: "test.parquet", captionColumn: caption, encodingColumn: encoding
        )
        .countValidRows()
    }

    func expectError(
        _ kind: ParquetError.Kind, _ text: String, column: String? = nil, _ body: () throws -> Void,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            try body()
            Issue.record("no error; expected \(kind) \(text)", sourceLocation: sourceLocation)
        } catch let error as ParquetError {
            #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
            #expect(error.description.contains(text), "\(error)", sourceLocation: sourceLocation)
            #expect(error.column == column, "\(error)", sourceLocation: sourceLocation)
            #expect(error.description.contains("test.parquet"), sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    /// Offset of the first data page's payload (after its header) of leaf `leaf` in row group 0.
    func dataPagePayload(_ bytes: [UInt8], leaf: Int) throws -> Int {
        let footerLength =
            Int(bytes[bytes.count - 8]) | Int(bytes[bytes.count - 7]) << 8
            | Int(bytes[bytes.count - 6]) << 16
        let metadata = try bytes[(bytes.count - 8 - footerLength)..<(bytes.count - 8)].withUnsafeBytes {
            var reader = ThriftCompactReader($0)
            return try FileMetadata(&reader)
        }
        let offset = Int(metadata.rowGroups[0].columns[leaf].dataPageOffset)
        return try bytes[offset...].withUnsafeBytes {
            var reader = ThriftCompactReader($0)
            _ = try PageHeader(&reader)
            return offset + reader.position
        }
    }

    @Test func theFixturesReadFromMemoryToo() throws {
        #expect(try readAll(bytes("pandas_default")) == 150)
        #expect(try readAll(bytes("bad_nulls")) == 48)
        #expect(try ParquetRecordReader.fuzz(bytes("rowgroups_pages")) == 200)
        #expect(ParquetRecordReader.fuzz(Array("PAR1PAR1PAR1".utf8)) == nil)
    }

    @Test func truncatedFilesAndFooters() throws {
        let file = try bytes("pandas_default")
        expectError(.corrupt, "no PAR1 magic at the end") { try readAll(Array(file.dropLast(100))) }
        expectError(.notParquet, "too short") { try readAll(Array(file.prefix(10))) }
        var huge = file
        huge[huge.count - 5] = 0x7F  // footer length ~2 GB
        expectError(.corrupt, "footer length") { try readAll(huge) }
        // A footer cut in half, re-framed with its shorter length.
        let length =
            Int(file[file.count - 8]) | Int(file[file.count - 7]) << 8 | Int(file[file.count - 6]) << 16
        let half = length / 2
        var cut = Array(file[0..<(file.count - 8 - length + half)])
        cut += [UInt8(half & 0xFF), UInt8(half >> 8 & 0xFF), UInt8(half >> 16), 0] + Array("PAR1".utf8)
        expectError(.corrupt, "footer") { try readAll(cut) }
    }

    @Test func badMagic() throws {
        var file = try bytes("pandas_default")
        file[0] = UInt8(ascii: "X")
        expectError(.notParquet, "no PAR1 magic at the start") { try readAll(file) }
        let text = Array(String(repeating: "{\"caption\": \"x\"}\n", count: 4).utf8)
        expectError(.notParquet, "no PAR1 magic") { try readAll(text) }
    }

    @Test func corruptPages() throws {
        let file = try bytes("pandas_default")
        let payload = try dataPagePayload(file, leaf: 1)
        var header = file
        for index in (payload - 12)..<payload { header[index] = 0xFF }  // the page header's tail
        expectError(.corrupt, "page", column: "encoding") { try readAll(header) }
        var snappy = file
        snappy[payload] = 0xFF  // snappy's length preamble
        snappy[payload + 1] = 0xFF
        expectError(.corrupt, "SNAPPY", column: "encoding") { try readAll(snappy) }
    }

    @Test func dataThatIsNotWhatTheCodecSays() throws {
        for (name, codec) in [("zstd", "ZSTD"), ("gzip", "GZIP")] {
            var file = try bytes(name)
            let payload = try dataPagePayload(file, leaf: 1)
            for index in payload..<(payload + 4) { file[index] ^= 0x5A }  // the codec's own header
            expectError(.corrupt, codec, column: "encoding") { try readAll(file) }
        }
    }

    @Test func unsupportedCaptionAndEncodingColumns() throws {
        let file = try bytes("extra_columns")
        expectError(.unsupported, "a caption of physical type INT64", column: "width") {
            try readAll(file, caption: "width")
        }
        expectError(.unsupported, "a caption of physical type DOUBLE", column: "similarity") {
            try readAll(file, caption: "similarity")
        }
        expectError(.unsupported, "a nested caption column", column: "encoding") {
            try readAll(file, caption: "encoding")
        }
        expectError(.unsupported, "an encoding column that is not a list", column: "similarity") {
            try readAll(file, encoding: "similarity")
        }
        expectError(.unsupported, "not a list", column: "url") { try readAll(file, encoding: "url") }
        expectError(.missingColumn, "no column 'text'") { try readAll(file, caption: "text") }
    }

    @Test func aFailedImportWritesNoCompleteDataset() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        var file = try bytes("rowgroups_pages")
        let payload = try dataPagePayload(file, leaf: 1)
        file[payload] = 0xFF
        file[payload + 1] = 0xFF
        let url = directory.url.appendingPathComponent("broken.parquet")
        try Data(file).write(to: url)
        let output = directory.url.appendingPathComponent("out")
        #expect(throws: ParquetError.self) {
            try Importer.run(
                files: [ParquetFixtures.url("zstd", "parquet"), url], options: ParquetFixtures.options(output)
            )
        }
        #expect(!ParquetFixtures.manifestExists(output))
    }

    @Test func randomDamageNeverCrashes() throws {
        var random = SplitMix64(seed: 20_240_611)
        var outcomes = [0, 0]
        for name in ["pandas_default", "page_v2", "required_fields", "legacy_format_1_0"] {
            let file = try bytes(name)
            for round in 0..<100 {
                var damaged = file
                for _ in 0..<(1 + round % 4) {
                    damaged[random.next(below: damaged.count)] = UInt8(random.next(below: 256))
                }
                if round % 10 == 0 {
                    damaged = Array(damaged.prefix(random.next(below: damaged.count)))
                }
                do {
                    try readAll(damaged)
                    outcomes[0] += 1
                } catch is ParquetError {
                    outcomes[1] += 1
                }
            }
        }
        #expect(outcomes[0] + outcomes[1] == 400 && outcomes[1] > 0)
    }
}

@Suite struct EncodingAssemblyTests {
    /// A 3-level optional list of optional INT32 (max definition 3, repetition 1).
    func columns() throws -> ParquetColumns {
        let schema = [
            SchemaElement(name: "schema", childCount: 2),
            SchemaElement(type: 6, repetition: 0, name: "caption", convertedType: 0),
            SchemaElement(repetition: 1, name: "encoding", childCount: 1, convertedType: 3),
            SchemaElement(repetition: 2, name: "list", childCount: 1),
            SchemaElement(type: 1, repetition: 1, name: "element"),
        ]
        return try ParquetColumns.resolve(
            leaves: ParquetColumns.leaves(of: schema), caption: "caption", encoding: "encoding",
            refuse: { ParquetDataError("\($0): \($1)") }, missing: { ParquetDataError($0) })
    }

    /// One PLAIN v1-style page with the given levels and INT32 values.
    func withPage(
        repetition: [UInt32], definition: [UInt32], values: [Int32], _ body: (DataPageContent) throws -> Void
    ) rethrows {
        try repetition.withUnsafeBufferPointer { repetition in
            try definition.withUnsafeBufferPointer { definition in
                try values.withUnsafeBytes { values in
                    try body(
                        DataPageContent(
                            entryCount: repetition.count, repetitionLevels: repetition,
                            definitionLevels: definition, encoding: ParquetEncoding.plain, values: values))
                }
            }
        }
    }

    @Test func rowsContinueAcrossPagesAndNullsAreReported() throws {
        let columns = try columns()
        #expect(columns.repeatedDefinitionLevel == 2 && columns.encoding.maxDefinitionLevel == 3)
        var assembler = EncodingAssembler(
            columns: columns, rowCount: 5, imageVocabSize: 100, columnName: "encoding")
        let scratch = PageScratch()
        // Row 0 = [1, 2, 3] split over both pages; row 1 = [] (empty); row 2 = null; row 3 = [4, null];
        // row 4 = [100] (out of range).
        try withPage(repetition: [0, 1], definition: [3, 3], values: [1, 2]) {
            try assembler.page($0, scratch: scratch)
        }
        try withPage(
            repetition: [1, 0, 0, 0, 1, 0], definition: [3, 1, 0, 3, 2, 3], values: [3, 4, 100]
        ) { try assembler.page($0, scratch: scratch) }
        let column = try assembler.finish()
        #expect((0..<5).map { Array(column.codes(ofRow: $0)) } == [[1, 2, 3], [], [], [4, 0], [0]])
        #expect(
            column.problems == [
                2: "'encoding' is null", 3: "code 1 of 'encoding' is null",
                4: "code 0 is 100, expected an integer in [0, 100)",
            ])
    }

    @Test func aChunkMayNotStartInsideARow() throws {
        var assembler = EncodingAssembler(
            columns: try columns(), rowCount: 1, imageVocabSize: 100, columnName: "encoding")
        #expect(throws: ParquetDataError.self) {
            try withPage(repetition: [1], definition: [3], values: [1]) {
                try assembler.page($0, scratch: PageScratch())
            }
        }
    }
}

// Opens a Parquet file (magic, footer, schema), checks the caption and encoding columns once,
// then decodes it row group by row group: memory is bounded by one row group, not the file.
import Foundation

/// One row of a Parquet file: its caption and codes, or why it is invalid.
public struct ParquetRow {
    /// 0-based row in the file, row group, and row within that group.
    public var row: Int
    public var rowGroup: Int
    public var rowInGroup: Int
    /// The caption bytes (UTF-8 checked) and the codes; nil `problem` means the row is valid.
    public var caption: String
    public var codes: ArraySlice<UInt16>
    public var problem: String?
}

/// Reads dalle-mini encoded records (a caption column and a list-of-codes column) from Parquet.
public final class ParquetRecordReader {
    /// Largest footer accepted.
    static let maximumFooterByteCount = 256 << 20
    /// Largest column chunk accepted (one row group's column, compressed).
    static let maximumChunkByteCount = 1 << 32

    private let source: ParquetSource
    private let metadata: FileMetadata
    private let columns: ParquetColumns
    private let captionColumn: String
    private let encodingColumn: String
    private let scratch = PageScratch()
    /// The file's path (or the name given for bytes in memory).
    public var path: String { source.path }
    /// Row groups in the file.
    public var rowGroupCount: Int { metadata.rowGroups.count }
    /// Rows in the file, as its footer says.
    public var rowCount: Int { Int(metadata.rowCount) }

    /// Opens `url` and checks its footer and the two columns.
    public convenience init(url: URL, captionColumn: String = "caption", encodingColumn: String = "encoding")
        throws
    {
        try self.init(
            source: ParquetSource(url: url), captionColumn: captionColumn, encodingColumn: encodingColumn)
    }

    /// Reads a Parquet file held in memory (`name` stands for its path in errors). This is the
    /// entry point for fuzzing: no input may crash it.
    public convenience init(
        bytes: [UInt8], name: String = "<memory>", captionColumn: String = "caption",
        encodingColumn: String = "encoding"
    ) throws {
        try self.init(
            source: ParquetSource(bytes: bytes, name: name), captionColumn: captionColumn,
            encodingColumn: encodingColumn)
    }

    private init(source: ParquetSource, captionColumn: String, encodingColumn: String) throws {
        self.source = source
        self.captionColumn = captionColumn
        self.encodingColumn = encodingColumn
        let path = source.path
        let size = source.byteCount
        guard size >= 12 else {
            throw ParquetError(
                .notParquet, path: path, detail: "\(size) bytes, too short for magic and footer")
        }
        let head = try source.read(offset: 0, count: 4)
        let tail = try source.read(offset: size - 8, count: 8)
        let magic = Array("PAR1".utf8)
        guard head == magic else {
            throw ParquetError(.notParquet, path: path, detail: "no PAR1 magic at the start")
        }
        if Array(tail[4...]) == Array("PARE".utf8) {
            throw ParquetError(.unsupported, path: path, detail: "an encrypted footer (PARE)")
        }
        guard Array(tail[4...]) == magic else {
            throw ParquetError(
                .corrupt, path: path, detail: "no PAR1 magic at the end: the file is truncated or not Parquet"
            )
        }
        let footerLength = Int(tail.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self).littleEndian })
        guard footerLength <= size - 12, footerLength <= Self.maximumFooterByteCount else {
            throw ParquetError(
                .corrupt, path: path,
                detail: "footer length \(footerLength) does not fit a file of \(size) bytes")
        }
        let footerStart = size - 8 - footerLength
        let footer = try source.read(offset: footerStart, count: footerLength)
        do {
            metadata = try footer.withUnsafeBytes { bytes in
                var reader = ThriftCompactReader(bytes)
                return try FileMetadata(&reader)
            }
        } catch let error as ParquetDataError {
            throw ParquetError(.corrupt, path: path, detail: "footer: \(error.description)")
        }
        if metadata.isEncrypted {
            throw ParquetError(.unsupported, path: path, detail: "encrypted columns")
        }
        do {
            let leaves = try ParquetColumns.leaves(of: metadata.schema)
            columns = try ParquetColumns.resolve(
                leaves: leaves, caption: captionColumn, encoding: encodingColumn,
                refuse: { ParquetError(.unsupported, path: path, column: $0, detail: $1) },
                missing: { ParquetError(.missingColumn, path: path, detail: $0) })
            for (index, group) in metadata.rowGroups.enumerated() {
                guard group.columns.count == leaves.count, group.rowCount >= 0, group.rowCount <= Int32.max
                else {
                    throw ParquetDataError(
                        "row group \(index): \(group.columns.count) column chunks for \(leaves.count) leaves, "
                            + "\(group.rowCount) rows")
                }
                for (leaf, name) in [(columns.caption, captionColumn), (columns.encoding, encodingColumn)] {
                    _ = try chunkRange(
                        group.columns[leaf.index], leaf: leaf, name: name, rowGroup: index,
                        footerStart: footerStart)
                }
            }
        } catch let error as ParquetDataError {
            throw ParquetError(.corrupt, path: path, detail: "footer: \(error.description)")
        }
    }

    /// Checks a column chunk's metadata; returns its byte range and codec.
    private func chunkRange(
        _ chunk: ColumnChunkMetadata, leaf: ParquetLeaf, name: String, rowGroup: Int, footerStart: Int
    ) throws -> (start: Int, count: Int, codec: ParquetCodec) {
        let path = source.path
        guard chunk.hasMetadata else {
            throw ParquetDataError("row group \(rowGroup): column chunk without metadata")
        }
        if let file = chunk.filePath {
            throw ParquetError(
                .unsupported, path: path, column: name, detail: "column data in another file (\(file))")
        }
        guard chunk.path == leaf.path, chunk.type == leaf.leaf.type else {
            throw ParquetDataError(
                "row group \(rowGroup): chunk \(leaf.index) is '\(chunk.path.joined(separator: "."))', "
                    + "expected '\(leaf.dottedPath)'")
        }
        guard let codec = ParquetCodec(rawValue: chunk.codec) else {
            throw ParquetError(
                .unsupported, path: path, column: name, detail: "compression codec #\(chunk.codec)")
        }
        guard codec.isSupported else {
            throw ParquetError(
                .unsupported, path: path, column: name, detail: "compression codec \(codec.name)")
        }
        var start = chunk.dataPageOffset
        if let dictionary = chunk.dictionaryPageOffset, dictionary > 0, dictionary < start {
            start = dictionary
        }
        let count = chunk.totalCompressedSize
        guard start >= 4, count > 0, count <= Self.maximumChunkByteCount, start <= Int64(footerStart),
            count <= Int64(footerStart) - start, chunk.valueCount >= 0, chunk.valueCount <= Int32.max
        else {
            throw ParquetDataError(
                "row group \(rowGroup), column '\(name)': chunk at \(start) of \(count) bytes "
                    + "(\(chunk.valueCount) values) lies outside the data")
        }
        return (Int(start), Int(count), codec)
    }

    /// Decodes row group `index` and hands each row to `body` in order.
    public func forEachRow(
        inRowGroup index: Int, firstRow: Int, imageLength: Int, imageVocabSize: Int,
        _ body: (ParquetRow) throws -> Void
    ) throws {
        let group = metadata.rowGroups[index]
        let rowCount = Int(group.rowCount)
        let footerStart = source.byteCount - 8
        func read(
            _ leaf: ParquetLeaf, _ name: String,
            _ decode: (UnsafeRawBufferPointer, ParquetCodec, Int) throws -> Void
        )
            throws
        {
            let chunk = group.columns[leaf.index]
            do {
                let range = try chunkRange(
                    chunk, leaf: leaf, name: name, rowGroup: index, footerStart: footerStart)
                let bytes = try source.read(offset: range.start, count: range.count)
                try bytes.withUnsafeBytes { try decode($0, range.codec, Int(chunk.valueCount)) }
            } catch let error as ParquetDataError {
                throw ParquetError(
                    error.isUnsupported ? .unsupported : .corrupt, path: source.path, column: name,
                    detail: "row group \(index), \(error.description)")
            }
        }
        var captions = CaptionColumn()
        var encodings = EncodingColumn()
        try read(columns.caption, captionColumn) { bytes, codec, values in
            captions = try CaptionColumn.decode(
                bytes, leaf: columns.caption, codec: codec, valueCount: values, rowCount: rowCount,
                scratch: scratch)
        }
        try read(columns.encoding, encodingColumn) { bytes, codec, values in
            encodings = try EncodingColumn.decode(
                bytes, columns: columns, codec: codec, valueCount: values, rowCount: rowCount,
                imageVocabSize: imageVocabSize, scratch: scratch, columnName: encodingColumn)
        }
        for row in 0..<rowCount {
            var result = ParquetRow(
                row: firstRow + row, rowGroup: index, rowInGroup: row, caption: "",
                codes: encodings.codes(ofRow: row), problem: nil)
            if captions.nullRows.contains(row) {
                result.problem = "'\(captionColumn)' is null"
            } else if let caption = String(validating: captions.bytes(ofRow: row), as: UTF8.self) {
                result.caption = caption
                result.problem = encodings.problems[row]
                if result.problem == nil, result.codes.count != imageLength {
                    result.problem =
                        Importer.RecordFailure.wrongCodeCount(
                            column: encodingColumn, count: result.codes.count, expected: imageLength
                        ).reason
                }
            } else {
                result.problem = "'\(captionColumn)' is not valid UTF-8"
            }
            try body(result)
        }
    }

    /// Rows in row group `index`.
    public func rowCount(ofRowGroup index: Int) -> Int { Int(metadata.rowGroups[index].rowCount) }

    /// Decodes every row of every row group; returns the number of valid rows.
    public func countValidRows(imageLength: Int = 256, imageVocabSize: Int = 16384) throws -> Int {
        var valid = 0
        var firstRow = 0
        for group in 0..<rowGroupCount {
            try forEachRow(
                inRowGroup: group, firstRow: firstRow, imageLength: imageLength,
                imageVocabSize: imageVocabSize
            ) { if $0.problem == nil { valid += 1 } }
            firstRow += rowCount(ofRowGroup: group)
        }
        return valid
    }

    /// The fuzzing entry point: reads a whole Parquet file from `bytes`. Any input must end in
    /// a count or a thrown `ParquetError`, never a crash (a libFuzzer target calls this).
    @discardableResult
    public static func fuzz(_ bytes: [UInt8]) -> Int? {
        try? ParquetRecordReader(bytes: bytes, name: "fuzz.parquet").countValidRows()
    }
}

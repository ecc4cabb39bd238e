// `dalle-train import`: dalle-mini encoded datasets (JSON Lines with a caption and a list of
// image codes per line, plain or .zst, or Parquet files) validated record by record and written as shards.
import Foundation

/// How to read the input and shape the output of an import.
public struct ImportOptions: Sendable {
    public var outputDirectory: URL
    public var recordsPerShard: Int
    public var recordsPerBlock: Int
    /// Codes every record must have (T).
    public var imageLength: Int
    /// Every code must be in `[0, imageVocabSize)`.
    public var imageVocabSize: Int
    public var captionColumn: String
    public var encodingColumn: String
    /// Skip (and count) invalid records instead of failing on the first one.
    public var skipInvalid: Bool

    public init(
        outputDirectory: URL, recordsPerShard: Int = 100_000, recordsPerBlock: Int = 1024,
        imageLength: Int = 256,
        imageVocabSize: Int = 16384, captionColumn: String = "caption", encodingColumn: String = "encoding",
        skipInvalid: Bool = false
    ) {
        self.outputDirectory = outputDirectory
        self.recordsPerShard = recordsPerShard
        self.recordsPerBlock = recordsPerBlock
        self.imageLength = imageLength
        self.imageVocabSize = imageVocabSize
        self.captionColumn = captionColumn
        self.encodingColumn = encodingColumn
        self.skipInvalid = skipInvalid
    }
}

/// What an import did.
public struct ImportSummary: Sendable {
    public var records = 0
    public var skipped = 0
    /// The first few reasons for skipping, as "file:line: reason" (JSON Lines) or
    /// "file: row R (row group G, row r): reason" (Parquet).
    public var skippedExamples: [String] = []
    public var seconds = 0.0
    public var manifest: DatasetManifest?
}

/// Converts JSON Lines and Parquet files into a dataset directory.
public enum Importer {
    /// Imports `inputs` in order: files (`.parquet`, else JSON Lines) and directories of
    /// `.parquet` part files (walked in name order). Without `skipInvalid` the first bad record
    /// throws `ShardError.invalidRecord` (JSON Lines: file and line) or `.invalidRow` (Parquet:
    /// file, row, row group) and no manifest is written. `progress` is called about every
    /// `progressInterval` seconds with the summary so far.
    public static func run(
        files inputs: [URL], options: ImportOptions, progressInterval: Double = 5,
        progress: @escaping (ImportSummary) -> Void = { _ in }
    ) throws -> ImportSummary {
        let files = try ImportInputs.expand(inputs)
        let writer = try DatasetWriter(
            directory: options.outputDirectory, imageLength: options.imageLength,
            imageVocabSize: options.imageVocabSize, recordsPerShard: options.recordsPerShard,
            recordsPerBlock: options.recordsPerBlock,
            source: "imported from " + inputs.map(\.lastPathComponent).joined(separator: ", "))
        var sink = ImportSink(
            writer: writer, skipInvalid: options.skipInvalid, progressInterval: progressInterval,
            progress: progress)
        for file in files {
            if ImportInputs.isParquet(file) {
                try importParquet(file, options: options, into: &sink)
            } else {
                try importJSONLines(file, options: options, into: &sink)
            }
        }
        return try sink.finish()
    }

    static func importJSONLines(_ file: URL, options: ImportOptions, into sink: inout ImportSink) throws {
        var codes: [UInt16] = []
        let lines = try LineReader(url: file)
        while let line = try lines.next() {
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { continue }
            do {
                let caption = try parse(line, options: options, codes: &codes)
                try sink.append(caption: caption, codes: codes)
            } catch let failure as RecordFailure {
                try sink.reject(
                    ShardError.invalidRecord(path: file.path, line: lines.lineNumber, detail: failure.reason),
                    example: "\(file.path):\(lines.lineNumber): \(failure.reason)")
            }
        }
    }

    static func importParquet(_ file: URL, options: ImportOptions, into sink: inout ImportSink) throws {
        let reader = try ParquetRecordReader(
            url: file, captionColumn: options.captionColumn, encodingColumn: options.encodingColumn)
        var firstRow = 0
        for group in 0..<reader.rowGroupCount {
            try reader.forEachRow(
                inRowGroup: group, firstRow: firstRow, imageLength: options.imageLength,
                imageVocabSize: options.imageVocabSize
            ) { row in
                if let problem = row.problem {
                    let error = ShardError.invalidRow(
                        path: file.path, row: row.row, rowGroup: row.rowGroup, rowInGroup: row.rowInGroup,
                        detail: problem)
                    try sink.reject(error, example: error.location + ": " + problem)
                } else {
                    try sink.append(caption: row.caption, codes: row.codes)
                }
            }
            firstRow += reader.rowCount(ofRowGroup: group)
        }
    }

    /// Why one record was rejected.
    struct RecordFailure: Error {
        var reason: String

        /// A code that is not an integer in range; `text` is the value as found.
        static func codeOutOfRange(position: Int, text: String, imageVocabSize: Int) -> RecordFailure {
            RecordFailure(
                reason: "code \(position) is \(text.isEmpty ? "not a number" : text), "
                    + "expected an integer in [0, \(imageVocabSize))")
        }

        /// A list of codes of the wrong length.
        static func wrongCodeCount(column: String, count: Int, expected: Int) -> RecordFailure {
            RecordFailure(reason: "'\(column)' has \(count) codes, expected \(expected)")
        }
    }

    /// Validates one JSON line; returns the caption and fills `codes`.
    static func parse(_ line: ArraySlice<UInt8>, options: ImportOptions, codes: inout [UInt16]) throws
        -> String
    {
        guard String(validating: line, as: UTF8.self) != nil else {
            throw RecordFailure(reason: "line is not valid UTF-8")
        }
        let (captionBytes, hasEncoding) = try RecordScanner.scan(
            line, captionKey: Array(options.captionColumn.utf8),
            encodingKey: Array(options.encodingColumn.utf8),
            imageVocabSize: options.imageVocabSize, codes: &codes)
        guard let captionBytes, let caption = String(validating: captionBytes, as: UTF8.self) else {
            throw RecordFailure(reason: "'\(options.captionColumn)' is missing or not a string")
        }
        guard hasEncoding else {
            throw RecordFailure(reason: "'\(options.encodingColumn)' is missing or not a list")
        }
        guard codes.count == options.imageLength else {
            throw RecordFailure.wrongCodeCount(
                column: options.encodingColumn, count: codes.count, expected: options.imageLength)
        }
        return caption
    }
}

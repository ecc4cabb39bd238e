// `dalle-train import`: dalle-mini encoded datasets (JSON Lines with a caption and a list of
// image codes per line, plain or .zst) validated record by record and written as shards.
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
    /// The first few reasons for skipping, as "file:line: reason".
    public var skippedExamples: [String] = []
    public var seconds = 0.0
    public var manifest: DatasetManifest?
}

/// Converts JSON Lines files into a dataset directory.
public enum Importer {
    /// Imports `files` in order. Without `skipInvalid` the first bad record throws
    /// `ShardError.invalidRecord` naming file and line (and no manifest is written). `progress`
    /// is called about every `progressInterval` seconds with the summary so far.
    public static func run(
        files: [URL], options: ImportOptions, progressInterval: Double = 5,
        progress: (ImportSummary) -> Void = { _ in }
    ) throws -> ImportSummary {
        let writer = try DatasetWriter(
            directory: options.outputDirectory, imageLength: options.imageLength,
            imageVocabSize: options.imageVocabSize, recordsPerShard: options.recordsPerShard,
            recordsPerBlock: options.recordsPerBlock,
            source: "imported from " + files.map(\.lastPathComponent).joined(separator: ", "))
        var summary = ImportSummary()
        let start = Date()
        var lastReport = start
        var codes: [UInt16] = []
        for file in files {
            let lines = try LineReader(url: file)
            while let line = try lines.next() {
                if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { continue }
                do {
                    let caption = try parse(line, options: options, codes: &codes)
                    try writer.append(caption: caption, codes: codes)
                    summary.records += 1
                } catch let failure as RecordFailure {
                    let error = ShardError.invalidRecord(
                        path: file.path, line: lines.lineNumber, detail: failure.reason)
                    guard options.skipInvalid else { throw error }
                    summary.skipped += 1
                    if summary.skippedExamples.count < 10 {
                        summary.skippedExamples.append("\(file.path):\(lines.lineNumber): \(failure.reason)")
                    }
                }
                if (summary.records + summary.skipped) % 1024 == 0,
                    Date().timeIntervalSince(lastReport) >= progressInterval
                {
                    lastReport = Date()
                    summary.seconds = lastReport.timeIntervalSince(start)
                    progress(summary)
                }
            }
        }
        summary.manifest = try writer.finish()
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }

    /// Why one record was rejected.
    struct RecordFailure: Error {
        var reason: String
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
            throw RecordFailure(
                reason:
                    "'\(options.encodingColumn)' has \(codes.count) codes, expected \(options.imageLength)")
        }
        return caption
    }
}

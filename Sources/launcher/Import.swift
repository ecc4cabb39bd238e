// `dalle-train import`: dalle-mini encoded JSON Lines (plain or .zst) and Parquet -> validated shards.
import ArgumentParser
import Foundation
import Shards

/// Converts encoded datasets into a shard directory, validating every record.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Convert dalle-mini encoded datasets (JSON Lines, plain or .zst, and Parquet) into a shard directory."
    )

    @Option(help: "Directory to write manifest.json and the shards into.")
    var output: String

    @Option(help: "Records per shard file.")
    var recordsPerShard = 100_000

    @Option(help: "Image codes per record (image_length).")
    var imageLength = 256

    @Option(help: "Codes must be in [0, image-vocab-size).")
    var imageVocabSize = 16384

    @Option(help: "JSON key or Parquet column of the caption.")
    var captionColumn = "caption"

    @Option(help: "JSON key or Parquet column of the list of image codes.")
    var encodingColumn = "encoding"

    @Flag(help: "Skip invalid records (counted and reported) instead of failing on the first.")
    var skipInvalid = false

    @Argument(
        help: "Input files (.jsonl, .json, .jsonl.zst or .parquet) and directories of .parquet part files.")
    var files: [String]

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one input file") }
        guard recordsPerShard > 0, imageLength > 0 else {
            throw ValidationError("--records-per-shard and --image-length must be positive")
        }
        guard (1...65536).contains(imageVocabSize) else {
            throw ValidationError("--image-vocab-size must be in 1...65536 (codes are stored as UInt16)")
        }
    }

    func run() throws {
        let options = ImportOptions(
            outputDirectory: URL(fileURLWithPath: output), recordsPerShard: recordsPerShard,
            imageLength: imageLength, imageVocabSize: imageVocabSize, captionColumn: captionColumn,
            encodingColumn: encodingColumn, skipInvalid: skipInvalid)
        let summary = try Importer.run(files: files.map { URL(fileURLWithPath: $0) }, options: options) {
            progress in
            printError(
                String(
                    format: "import: %d records, %d skipped, %.0f records/s", progress.records,
                    progress.skipped,
                    Double(progress.records + progress.skipped) / progress.seconds))
        }
        for example in summary.skippedExamples { printError("skipped \(example)") }
        print(
            String(
                format: "imported %d records into %d shards in %@ (%.1f s, %.0f records/s), skipped %d",
                summary.records, summary.manifest?.shards.count ?? 0, output, summary.seconds,
                Double(summary.records) / max(summary.seconds, 1e-9), summary.skipped))
    }
}

/// Writes one line to stderr.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

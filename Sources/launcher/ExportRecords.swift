// `dalle-train export-records`: a shard directory back to dalle-mini JSON Lines (plain or .zst).
import ArgumentParser
import Foundation
import Shards

/// Writes the records of a shard directory as dalle-mini encoded JSON Lines.
struct ExportRecords: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-records",
        abstract: "Write a shard directory's records as dalle-mini JSON Lines (.zst: compressed).")

    @Argument(help: "Shard directory (written by import, synth or encode-images).")
    var shards: String

    @Option(help: "Output file; ending in .zst writes zstd-compressed JSON Lines.")
    var output: String

    func run() throws {
        let start = Date()
        let count = try RecordExporter.export(
            dataset: URL(fileURLWithPath: shards), to: URL(fileURLWithPath: output))
        print(
            String(
                format: "exported %d records to %@ (%.1f s)", count, output, Date().timeIntervalSince(start)))
    }
}

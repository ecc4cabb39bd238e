// `dalle-train synth`: writes the built-in synthetic shapes dataset as shards.
import ArgumentParser
import Foundation
import Shards

/// Writes (or reuses, when complete and identical) the synthetic dataset.
struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the built-in synthetic dataset (captioned shapes and their code grids).")

    @Option(help: "Dataset directory.")
    var output: String

    @Option(help: "Number of records.")
    var records = 100_000

    @Option(help: "Generator seed.")
    var seed: UInt64 = 0

    @Option(help: "Records per shard file.")
    var recordsPerShard = 50_000

    @Flag(
        help: "Write --records captioned images (PNG and JPEG, odd sizes, gray, alpha) instead of shards.")
    var images = false

    func validate() throws {
        guard records > 0, recordsPerShard > 0 else {
            throw ValidationError("--records and --records-per-shard must be positive")
        }
    }

    func run() throws {
        let start = Date()
        if images {
            let paths = try SyntheticImages.write(
                to: URL(fileURLWithPath: output), count: records, seed: seed)
            print(
                String(
                    format: "synthetic images: %d at %@ (%.1f s)", paths.count, output,
                    Date().timeIntervalSince(start)))
            return
        }
        let dataset = try SyntheticDataset.ensure(
            at: URL(fileURLWithPath: output), records: records, seed: seed, recordsPerShard: recordsPerShard)
        print(
            String(
                format: "synthetic dataset: %d records in %d shards at %@ (%.1f s)",
                dataset.manifest.recordCount,
                dataset.manifest.shards.count, output, Date().timeIntervalSince(start)))
    }
}

// `dalle-train synth`: writes the built-in synthetic shapes dataset; `--benchmark` then
// measures one rank's reader throughput on it.
import ArgumentParser
import Foundation
import Shards

/// Writes (or reuses) the synthetic dataset, optionally benchmarking the reader on it.
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

    @Flag(help: "Then measure records/s of one rank's reader (read, decompress, tokenize, collate).")
    var benchmark = false

    @Option(help: "Benchmark: ranks to simulate (rank 0 is measured).")
    var worldSize = 1

    @Option(help: "Benchmark: rows per rank per step.")
    var batchSize = 8

    @Option(help: "Benchmark: measured steps.")
    var steps = 2000

    @Option(help: "Benchmark: also stream this many MiB of float32 through zstd (0: skip).")
    var zstdMebibytes = 0

    @Option(help: "Benchmark: zstd compression level.")
    var zstdLevel: Int32 = 3

    @Option(help: "Benchmark: zstd worker threads (0: compress in the calling thread).")
    var zstdWorkers = 2

    func validate() throws {
        guard records > 0, recordsPerShard > 0 else {
            throw ValidationError("--records and --records-per-shard must be positive")
        }
        guard worldSize > 0, batchSize > 0, steps > 0 else {
            throw ValidationError("--world-size, --batch-size and --steps must be positive")
        }
    }

    func run() throws {
        let url = URL(fileURLWithPath: output)
        let start = Date()
        let dataset = try SyntheticDataset.ensure(
            at: url, records: records, seed: seed, recordsPerShard: recordsPerShard)
        print(
            String(
                format: "synthetic dataset: %d records in %d shards at %@ (%.1f s)",
                dataset.manifest.recordCount,
                dataset.manifest.shards.count, output, Date().timeIntervalSince(start)))
        guard benchmark else { return }
        let (encoder, encoderName) = try benchmarkEncoder()
        let options = ReaderOptions(
            seed: 1, rank: 0, worldSize: worldSize, batchSize: batchSize, maxTextLength: 64,
            decoderStartTokenID: 16384)
        let result = try ReaderBenchmark.run(
            dataset: dataset, options: options, encoder: encoder, steps: steps)
        print(
            String(
                format:
                    "reader: %.0f records/s per rank (rank 0 of %d, batch %d, %d records in %.2f s, encoder %@)",
                result.recordsPerSecond, worldSize, batchSize, result.records, result.seconds, encoderName))
        guard zstdMebibytes > 0 else { return }
        let file = url.appendingPathComponent("zstd-benchmark.bin.zst")
        defer { try? FileManager.default.removeItem(at: file) }
        let zstd = try ZstdBenchmark.run(
            byteCount: zstdMebibytes << 20, level: zstdLevel, workers: zstdWorkers, url: file)
        print(
            String(
                format:
                    "zstd: %d MiB level %d workers %d: compress %.2f GB/s, decompress %.2f GB/s, ratio %.3f",
                zstdMebibytes, zstdLevel, zstdWorkers, Double(zstd.byteCount) / zstd.compressSeconds / 1e9,
                Double(zstd.byteCount) / zstd.decompressSeconds / 1e9,
                Double(zstd.byteCount) / Double(zstd.compressedByteCount)))
    }
}

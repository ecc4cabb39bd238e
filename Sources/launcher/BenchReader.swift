// `dalle-train bench-reader`: records/s of the per-rank data reader over a shard set.
import ArgumentParser
import Foundation
import Shards

/// Records/s of one rank's training reader: read, verify, decompress, tokenize, collate.
struct BenchReader: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-reader", abstract: "Measure one rank's data reader throughput on a dataset.")

    @Option(help: "Dataset directory (from import or synth).")
    var data: String

    @Option(help: "Ranks to simulate (rank 0 is measured).")
    var worldSize = 1

    @Option(help: "Rows per rank per step.")
    var batchSize = 8

    @Option(help: "Measured steps.")
    var steps = 2000

    @Option(help: "Also stream this many MiB of float32 through zstd next to the dataset (0: skip).")
    var zstdMebibytes = 0

    @Option(help: "zstd compression level.")
    var zstdLevel: Int32 = 3

    @Option(help: "zstd worker threads (0: compress in the calling thread).")
    var zstdWorkers = 2

    @Option(help: "Normalize captions as dalle-mini does, splitting hashtags with this word list.")
    var wordFrequencies: String?

    func validate() throws {
        guard worldSize > 0, batchSize > 0, steps > 0, zstdMebibytes >= 0 else {
            throw ValidationError("--world-size, --batch-size, --steps must be positive")
        }
    }

    func run() throws {
        let url = URL(fileURLWithPath: data)
        let dataset = try Dataset(directory: url)
        let (encoder, encoderName) = try benchmarkEncoder()
        var options = ReaderOptions(
            seed: 1, rank: 0, worldSize: worldSize, batchSize: batchSize, maxTextLength: 64,
            decoderStartTokenID: 16384)
        options.textNormalizer = try wordFrequencies.map {
            try TextNormalizer(wordFrequencies: URL(fileURLWithPath: $0))
        }
        let result = try ReaderBenchmark.run(
            dataset: dataset, options: options, encoder: encoder, steps: steps)
        print(
            String(
                format:
                    "reader: %.0f records/s per rank (rank 0 of %d, batch %d, %d records in %.2f s, encoder %@%@)",
                result.recordsPerSecond, worldSize, batchSize, result.records, result.seconds, encoderName,
                wordFrequencies == nil ? "" : ", captions normalized"))
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

// Throughput of one rank's training reader (read, verify, decompress, tokenize, collate) as
// the trainer would see it if the model took no time.
import Foundation

/// Measures records per second delivered by `RankReader` for one rank.
public enum ReaderBenchmark {
    /// What one run measured.
    public struct Result: Sendable {
        /// Records delivered to this rank.
        public var records: Int
        public var seconds: Double
        public var recordsPerSecond: Double { Double(records) / seconds }
    }

    /// Reads `steps` batches after `warmupSteps` unmeasured ones.
    public static func run(
        dataset: Dataset, options: ReaderOptions, encoder: any CaptionEncoder, steps: Int,
        warmupSteps: Int = 2
    ) throws -> Result {
        let reader = try RankReader(dataset: dataset, options: options, encoder: encoder, prefetch: 4)
        for _ in 0..<warmupSteps { _ = try reader.next() }
        let start = DispatchTime.now().uptimeNanoseconds
        var records = 0
        for _ in 0..<steps { records += try reader.next().size }
        return Result(records: records, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
}

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

/// Streaming zstd throughput on checkpoint-like data (normally distributed float32 values).
public enum ZstdBenchmark {
    /// What one run measured (bytes are uncompressed bytes).
    public struct Result: Sendable {
        public var byteCount: Int
        public var compressedByteCount: Int
        public var compressSeconds: Double
        public var decompressSeconds: Double
    }

    /// Compresses `byteCount` bytes into `url` through `ZstdFileWriter` (in 64 MiB writes), then
    /// reads them back through `ZstdFileReader` and checks they are equal.
    public static func run(byteCount: Int, level: Int32, workers: Int, url: URL) throws -> Result {
        let count = byteCount / 4
        var values = [Float](repeating: 0, count: count)
        var random = SplitMix64(seed: 1)
        for i in 0..<count {  // sum of 4 uniforms: near-normal, as incompressible as trained weights
            var sum: Float = -2
            for _ in 0..<4 { sum += Float(random.next() >> 40) * 0x1p-24 }
            values[i] = sum * 0.03
        }
        let chunk = 64 << 20
        var start = DispatchTime.now().uptimeNanoseconds
        let writer = try ZstdFileWriter(url: url, level: level, workers: workers)
        try values.withUnsafeBytes { bytes in
            for offset in stride(from: 0, to: bytes.count, by: chunk) {
                try writer.write(
                    UnsafeRawBufferPointer(rebasing: bytes[offset..<min(offset + chunk, bytes.count)]))
            }
        }
        let compressed = try writer.finish()
        let compressSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var decoded = [Float](repeating: 0, count: count)
        start = DispatchTime.now().uptimeNanoseconds
        let reader = try ZstdFileReader(url: url)
        var total = 0
        try decoded.withUnsafeMutableBytes { bytes in
            while total < bytes.count {
                let end = min(total + chunk, bytes.count)
                let read = try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: bytes[total..<end]))
                if read == 0 { break }
                total += read
            }
        }
        let decompressSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        precondition(total == count * 4 && decoded == values, "zstd round trip differs")
        return Result(
            byteCount: count * 4, compressedByteCount: compressed, compressSeconds: compressSeconds,
            decompressSeconds: decompressSeconds)
    }
}

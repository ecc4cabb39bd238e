// `dalle-train encode-images`: a captioned image folder or list → VQGAN codes on every rank →
// the shard set `import` writes from dalle-mini's encoded JSON Lines, plus skipped.jsonl.
import ArgumentParser
import Collective
import Foundation
import Shards
import Trainer

/// Encodes a dataset's images with a VQGAN across MPI ranks and writes shards.
struct EncodeImages: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode-images",
        abstract: "Encode captioned images with a VQGAN (across MPI ranks) into a shard directory.")

    @Option(help: "vqgan-jax model directory (config.json, flax_model.msgpack).")
    var vqgan: String

    @Option(
        help: """
            A folder of images with a caption file beside each (name.jpg + name.txt, subfolders walked), \
            or a .jsonl ({"path", "caption"} per line) or .tsv (path<TAB>caption) list.
            """)
    var input: String

    @Option(help: "Shard directory to write (manifest.json, shards, skipped.jsonl).")
    var output: String

    @Option(help: "Also write dalle-mini's {\"caption\", \"encoding\"} JSON Lines here.")
    var jsonl: String?

    @Option(help: "Records per shard file.")
    var recordsPerShard = 100_000

    @Flag(help: "Keep the images an interrupted run already encoded (their part files) and do the rest.")
    var resume = false

    func run() throws {
        let comm = try Communicator.world()
        if comm.worldSize > 1 && ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil {
            BLASInfo.setThreadCount(1)
        }
        let outputURL = URL(fileURLWithPath: output)
        let model = try VQGAN(weights: VQGANWeights(directory: URL(fileURLWithPath: vqgan)))
        let items = try ImageList.items(source: input)
        var done = Set<Int>()
        try comm.rootFirst {
            let parts = outputURL.appendingPathComponent(ImageEncodingJob.partsDirectory)
            if !resume && FileManager.default.fileExists(atPath: parts.path) {
                try FileManager.default.removeItem(at: parts)
            }
            try FileManager.default.createDirectory(at: parts, withIntermediateDirectories: true)
        }
        let job = try ImageEncodingJob(model: model, items: items, output: outputURL)
        if resume { done = try job.completedIndices() }
        let progress = ProgressReporter(isActive: comm.isRoot, worldSize: comm.worldSize, resumed: done.count)
        try job.run(rank: comm.rank, worldSize: comm.worldSize, done: done) { progress.update($0, of: $1) }
        try comm.barrier()
        try comm.rootFirst { try finish(job: job, outputURL: outputURL, model: model, total: items.count) }
        try comm.barrier()
    }

    /// Rank 0: merge the parts in input order, then write the shards exactly as `import` does.
    func finish(job: ImageEncodingJob, outputURL: URL, model: VQGAN, total: Int) throws {
        let parts = outputURL.appendingPathComponent(ImageEncodingJob.partsDirectory)
        let merged = parts.appendingPathComponent(ImageEncodingJob.mergedFile)
        let counts = try job.merge(
            jsonl: merged, skippedURL: outputURL.appendingPathComponent("skipped.jsonl"))
        let c = model.config
        let options = ImportOptions(
            outputDirectory: outputURL, recordsPerShard: recordsPerShard, imageLength: c.tokensPerImage,
            imageVocabSize: c.codebookSize)
        let summary = try Importer.run(files: [merged], options: options)
        if let jsonl {
            try? FileManager.default.removeItem(atPath: jsonl)
            try FileManager.default.copyItem(at: merged, to: URL(fileURLWithPath: jsonl))
        }
        print(
            "encoded \(counts.records) of \(total) images into \(summary.manifest?.shards.count ?? 0) shards in "
                + "\(output); skipped \(counts.skipped) (see skipped.jsonl)")
    }
}

/// Prints "encode-images: n/N images, x images/s, ETA" on stderr about every two seconds (rank 0,
/// extrapolating its own rate to every rank).
final class ProgressReporter {
    let isActive: Bool
    let worldSize: Int
    let resumed: Int
    let start = Date()
    var last = Date.distantPast

    init(isActive: Bool, worldSize: Int, resumed: Int) {
        self.isActive = isActive
        self.worldSize = worldSize
        self.resumed = resumed
    }

    func update(_ done: Int, of total: Int) {
        guard isActive, Date().timeIntervalSince(last) >= 2 || done == total else { return }
        last = Date()
        let seconds = max(Date().timeIntervalSince(start), 1e-9)
        let rate = Double(done * worldSize) / seconds
        let remaining = Double((total - done) * worldSize) / max(rate, 1e-9)
        printError(
            String(
                format: "encode-images: ~%d/%d images (%d resumed), %.2f images/s, ETA %.0f s",
                resumed + done * worldSize, resumed + total * worldSize, resumed, rate, remaining))
    }
}

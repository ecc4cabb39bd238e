// `dalle-train inspect CHECKPOINT`: what a checkpoint holds, after verifying every file.
import ArgumentParser
import Foundation
import Trainer

/// Prints a checkpoint's step, model and tensors; exits non-zero, naming the file, when any
/// file is missing, truncated or corrupt.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify a checkpoint's checksums and print its step, model and tensors.",
        discussion: """
            CHECKPOINT is a step-XXXXXXXX directory, or a run's checkpoints directory or output \
            directory (then the checkpoint its `latest` file names).
            """)

    @Argument(help: "Checkpoint directory, checkpoints directory or output directory.")
    var checkpoint: String

    func run() throws {
        let summary: CheckpointSummary
        do {
            summary = try Checkpoint.inspect(Self.resolve(checkpoint))
        } catch {
            // No MPI job here: a plain message and status 1, not MPI_Abort.
            FileHandle.standardError.write(Data("dalle-train inspect: \(error)\n".utf8))
            throw ExitCode.failure
        }
        let state = summary.state
        let config = summary.config
        print("checkpoint \(summary.directory.path)")
        print(
            "  step \(state.step), epoch \(state.epoch), \(state.samples) samples, "
                + String(format: "%.1f s of training", state.trainTime)
                + ", written by \(state.worldSize) rank(s), \(state.skippedSteps) skipped update(s)")
        print(
            "  model: d_model \(config.dModel), \(config.encoderLayers)+\(config.decoderLayers) layers, "
                + "\(config.encoderAttentionHeads) heads, ffn \(config.encoderFFNDim), "
                + "vocab \(config.encoderVocabSize) text / \(config.imageVocabSize) image, "
                + "\(config.lnType.rawValue) \(config.lnPositions.rawValue)")
        for payload in summary.payloads {
            print(
                "  \(payload.file): \(payload.tensorCount) tensors, \(payload.tensorByteCount) bytes "
                    + "(\(payload.fileByteCount) on disk)")
        }
        for (file, checksum) in state.files.sorted(by: { $0.key < $1.key }) {
            print("  ok \(file) xxh64 \(checksum.xxh64) (\(checksum.byteCount) bytes)")
        }
    }

    /// A checkpoint directory from a checkpoint, checkpoints or output directory.
    static func resolve(_ path: String) -> URL {
        let url = URL(fileURLWithPath: path)
        for candidate in [url, url.appendingPathComponent("checkpoints")] {
            if let latest = CheckpointStore(directory: candidate).latest() { return latest }
        }
        return url
    }
}

// A full check of one checkpoint without a model to load it into: every checksum, every zstd
// frame, both safetensors headers and config.json. Used by `dalle-train inspect`.
import Foundation

/// What a checkpoint holds, once every file has been checked.
public struct CheckpointSummary: Sendable {
    /// One payload file: its tensors and sizes.
    public struct Payload: Sendable {
        public var file: String
        public var tensorCount: Int
        /// Bytes of tensor data (the safetensors data section).
        public var tensorByteCount: Int
        /// Bytes on disk (compressed).
        public var fileByteCount: Int
    }

    public var directory: URL
    public var state: TrainerState
    public var config: DalleBartConfig
    public var payloads: [Payload]
}

extension Checkpoint {
    /// Verifies every file of the checkpoint at `directory` (sizes and XXH64 from
    /// trainer_state.json, zstd frame checksums, safetensors headers, config.json) and summarizes it.
    /// Throws the first problem, naming the file.
    public static func inspect(_ directory: URL) throws -> CheckpointSummary {
        let state = try verify(directory)
        let configURL = directory.appendingPathComponent(configFile)
        let config: DalleBartConfig
        do {
            config = try JSONDecoder().decode(DalleBartConfig.self, from: try Data(contentsOf: configURL))
        } catch {
            throw CheckpointError.malformed(
                path: configURL.path, reason: "not a DalleBart config.json: \(error)")
        }
        var payloads: [CheckpointSummary.Payload] = []
        for file in [modelFile, optimizerFile] {
            let url = directory.appendingPathComponent(file)
            let tensors: SafeTensorsFile
            do {
                tensors = try SafeTensorsFile(bytes: try decompress(url), path: url.path)
            } catch let error as CheckpointError {
                throw error
            } catch {
                throw CheckpointError.malformed(path: url.path, reason: "\(error)")
            }
            payloads.append(
                .init(
                    file: file, tensorCount: tensors.entries.count,
                    tensorByteCount: tensors.entries.reduce(0) { $0 + $1.byteRange.count },
                    fileByteCount: state.files[file]?.byteCount ?? 0))
        }
        return CheckpointSummary(directory: directory, state: state, config: config, payloads: payloads)
    }
}

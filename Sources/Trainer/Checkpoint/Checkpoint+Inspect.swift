// `dalle-train inspect`: the checks of a resume, run on one checkpoint with buffers of its own model.
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
    /// Runs on the checkpoint at `directory` exactly the checks a resume runs (sizes and XXH64 of
    /// every file including trainer_state.json, its format version and counters, config.json, zstd
    /// frame checksums, every tensor's presence, dtype and shape, the optimizer count against the
    /// step), by loading it into buffers of its own model, and summarizes it. Throws the first
    /// problem, naming the file.
    public static func inspect(_ directory: URL) throws -> CheckpointSummary {
        let configURL = directory.appendingPathComponent(configFile)
        let config: DalleBartConfig
        do {
            config = try JSONDecoder().decode(DalleBartConfig.self, from: try Data(contentsOf: configURL))
        } catch {
            throw CheckpointError.malformed(
                path: configURL.path, reason: "not a DalleBart config.json: \(error)")
        }
        let layout = ParameterLayout(config: config)
        // The optimizer of the run that wrote it (its options travel in trainer_state.json).
        // (`load` below verifies every file; reading the state alone here hashes no payload twice.)
        let optimizer = try readState(directory).training.optimizerSettings.makeOptimizer(layout: layout)
        let state = try load(
            directory, config: config, layout: layout, parameters: FlatBuffer(count: layout.count),
            optimizer: optimizer)
        let stateTensors = optimizer.stateTensors(layout: layout)
        let payloads = [
            CheckpointSummary.Payload(
                file: modelFile, tensorCount: layout.entries.count,
                tensorByteCount: layout.count * MemoryLayout<Float>.stride,
                fileByteCount: state.files[modelFile]?.byteCount ?? 0),
            CheckpointSummary.Payload(
                file: optimizerFile, tensorCount: stateTensors.count + 1,
                tensorByteCount: stateTensors.reduce(0) { $0 + $1.count } * MemoryLayout<Float>.stride
                    + MemoryLayout<Int64>.stride,
                fileByteCount: state.files[optimizerFile]?.byteCount ?? 0),
        ]
        return CheckpointSummary(directory: directory, state: state, config: config, payloads: payloads)
    }
}

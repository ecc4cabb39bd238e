// Writing and reading one checkpoint directory (rank 0's side; no collectives here):
// config.json, model.safetensors.zst, optimizer.safetensors.zst, trainer_state.json.
// Written into a temporary directory, fsynced, then renamed into place.
import Foundation
import Shards

/// Compression settings for checkpoint payloads.
public struct CheckpointCompression: Sendable {
    /// zstd level (1 = fast; the payload is nearly incompressible float32 anyway).
    public var level: Int32
    /// Threads compressing frames in parallel (0 or 1: the calling thread alone).
    public var workers: Int
    /// Uncompressed bytes per zstd frame (frames are compressed and decompressed in parallel).
    public var frameByteCount: Int

    public init(level: Int32 = 1, workers: Int = 2, frameByteCount: Int = 4 << 20) {
        precondition(
            frameByteCount > 0 && frameByteCount <= Int(UInt32.max), "frame of \(frameByteCount) bytes")
        self.level = level
        self.workers = workers
        self.frameByteCount = frameByteCount
    }
}

/// One checkpoint directory on disk.
public enum Checkpoint {
    public static let configFile = "config.json"
    public static let modelFile = "model.safetensors.zst"
    public static let optimizerFile = "optimizer.safetensors.zst"
    public static let stateFile = "trainer_state.json"
    /// XXH64 of `trainer_state.json` itself (format version 2 on), so that no file of a
    /// checkpoint goes unchecked.
    public static let stateChecksumFile = "trainer_state.json.xxh64"

    /// The directory name of the checkpoint of `step`: `step-00000123`.
    public static func directoryName(step: Int) -> String {
        let digits = String(step)
        return "step-" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// Writes a complete checkpoint of `step` under `root` and returns its directory.
    /// `parameters` and the optimizer's state must be complete on this rank.
    public static func write(
        state: TrainerState, config: DalleBartConfig, layout: ParameterLayout, parameters: FlatBuffer,
        optimizer: any ParameterOptimizer, to root: URL, compression: CheckpointCompression
    ) throws -> URL {
        let name = directoryName(step: state.step)
        let final = root.appendingPathComponent(name)
        let temporary = root.appendingPathComponent(".\(name).tmp-\(getpid())")
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: root, withIntermediateDirectories: true)
        try? fileManager.removeItem(at: temporary)
        try fileManager.createDirectory(at: temporary, withIntermediateDirectories: false)

        var state = state
        let header = layout.safeTensorsHeader(metadata: ["format": "flax", "step": "\(state.step)"])
        state.files[modelFile] = try header.withUnsafeBytes {
            try SeekableZstd.write(
                [$0, UnsafeRawBufferPointer(parameters.buffer)],
                to: temporary.appendingPathComponent(modelFile),
                compression: compression)
        }
        var count = Int64(optimizer.step).littleEndian
        let tensors = optimizer.stateTensors(layout: layout)
        let optimizerHeader = optimizerHeader(tensors, format: optimizer.stateFormat)
        state.files[optimizerFile] = try optimizerHeader.withUnsafeBytes { header in
            try withUnsafeBytes(of: &count) { count in
                let payload = tensors.map {
                    UnsafeRawBufferPointer(UnsafeBufferPointer(start: $0.pointer, count: $0.count))
                }
                return try SeekableZstd.write(
                    [header] + payload + [count], to: temporary.appendingPathComponent(optimizerFile),
                    compression: compression)
            }
        }
        let configURL = temporary.appendingPathComponent(configFile)
        try DurableFiles.write(try configJSON(config), to: configURL)
        state.files[configFile] = try checksum(of: configURL)
        let stateJSON = try state.jsonData()
        try DurableFiles.write(stateJSON, to: temporary.appendingPathComponent(stateFile))
        let stateHash = stateJSON.withUnsafeBytes { XXHash64.hash($0) }
        try DurableFiles.write(
            Data((XXHash64.hex(stateHash) + "\n").utf8),
            to: temporary.appendingPathComponent(stateChecksumFile))
        try DurableFiles.syncDirectory(temporary)
        // A complete checkpoint of the same step (a rerun) is moved aside, not deleted, until
        // the new one is in place.
        let replaced = root.appendingPathComponent(".\(name).old-\(getpid())")
        let isReplacing = fileManager.fileExists(atPath: final.path)
        if isReplacing { try DurableFiles.rename(final, to: replaced) }
        try DurableFiles.rename(temporary, to: final)
        if isReplacing { try fileManager.removeItem(at: replaced) }
        return final
    }

    /// Reads and checks `trainer_state.json` and the size and checksum of every file it lists.
    public static func verify(_ directory: URL) throws -> TrainerState {
        let state = try readState(directory)
        for (file, expected) in state.files.sorted(by: { $0.key < $1.key }) {
            let url = directory.appendingPathComponent(file)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw CheckpointError.missingFile(path: url.path)
            }
            let found = try checksum(of: url)
            if found.byteCount != expected.byteCount {
                throw CheckpointError.sizeMismatch(
                    path: url.path, expected: expected.byteCount, found: found.byteCount)
            }
            if found.xxh64 != expected.xxh64 {
                throw CheckpointError.checksumMismatch(
                    path: url.path, expected: expected.xxh64, found: found.xxh64)
            }
        }
        return state
    }

    /// Reads `trainer_state.json` and checks it alone: its own checksum, format version, counters
    /// and the list of files it must record. Cheap; `verify` adds the other files' checksums.
    public static func readState(_ directory: URL) throws -> TrainerState {
        let stateURL = directory.appendingPathComponent(stateFile)
        guard let data = FileManager.default.contents(atPath: stateURL.path) else {
            throw CheckpointError.missingFile(path: stateURL.path)
        }
        let checksumURL = directory.appendingPathComponent(stateChecksumFile)
        let recorded = FileManager.default.contents(atPath: checksumURL.path).map {
            String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let found = XXHash64.hex(data.withUnsafeBytes { XXHash64.hash($0) })
        if let recorded, recorded != found {
            throw CheckpointError.checksumMismatch(path: stateURL.path, expected: recorded, found: found)
        }
        let state: TrainerState
        do {
            state = try JSONDecoder().decode(TrainerState.self, from: data)
        } catch {
            throw CheckpointError.malformed(path: stateURL.path, reason: "unreadable trainer state: \(error)")
        }
        guard TrainerState.readableFormatVersions.contains(state.formatVersion) else {
            throw CheckpointError.malformed(
                path: stateURL.path,
                reason: "format_version \(state.formatVersion); this build reads versions "
                    + "\(TrainerState.readableFormatVersions.lowerBound)-\(TrainerState.readableFormatVersions.upperBound)"
            )
        }
        if recorded == nil && state.formatVersion >= 2 {
            throw CheckpointError.missingFile(path: checksumURL.path)
        }
        guard state.step >= 0, state.skippedSteps >= 0, state.skippedSteps <= state.step,
            state.worldSize >= 1,
            state.dataCursors.count == state.worldSize
        else {
            throw CheckpointError.malformed(
                path: stateURL.path,
                reason:
                    "inconsistent counters: step \(state.step), skipped \(state.skippedSteps), world size "
                    + "\(state.worldSize) with \(state.dataCursors.count) data cursors")
        }
        for required in [modelFile, optimizerFile, configFile] where state.files[required] == nil {
            throw CheckpointError.malformed(
                path: stateURL.path, reason: "no checksum recorded for \(required)")
        }
        return state
    }

    /// Verifies the checkpoint, then loads parameters and optimizer state into the buffers.
    /// Throws `CheckpointError.incompatible` when its model configuration differs from `config`.
    public static func load(
        _ directory: URL, config: DalleBartConfig, layout: ParameterLayout, parameters: FlatBuffer,
        optimizer: any ParameterOptimizer
    ) throws -> TrainerState {
        let state = try verify(directory)
        let configURL = directory.appendingPathComponent(configFile)
        let stored = try JSONDecoder().decode(
            DalleBartConfig.self, from: try Data(contentsOf: configURL, options: .alwaysMapped))
        // Compared in dalle-mini's resolved form (explicit special ids, use_scan), as written.
        guard try configJSON(stored) == configJSON(config) else {
            throw CheckpointError.incompatible(
                path: directory.path, reason: "its config.json describes a different model than this run's")
        }
        let modelURL = directory.appendingPathComponent(modelFile)
        let model = try SafeTensorsFile(bytes: try decompress(modelURL), path: modelURL.path)
        try layout.load(model, into: parameters)
        let optimizerURL = directory.appendingPathComponent(optimizerFile)
        let moments = try SafeTensorsFile(bytes: try decompress(optimizerURL), path: optimizerURL.path)
        for tensor in optimizer.stateTensors(layout: layout) {
            guard try moments.entry(tensor.name).shape == tensor.shape else {
                throw CheckpointError.incompatible(
                    path: optimizerURL.path,
                    reason:
                        "\(tensor.name) has shape \(try moments.entry(tensor.name).shape), expected \(tensor.shape)"
                        + " (another optimizer or optimizer setting)")
            }
            try moments.copyFloats(tensor.name, into: tensor.pointer, count: tensor.count)
        }
        let count = try moments.int64s("count")
        // Skipped (non-finite) steps do not advance the optimizer.
        guard count.count == 1, count[0] == Int64(state.step - state.skippedSteps) else {
            throw CheckpointError.malformed(
                path: optimizerURL.path,
                reason:
                    "optimizer count \(count) does not match step \(state.step) less \(state.skippedSteps) "
                    + "skipped steps")
        }
        optimizer.step = Int(count[0])
        return state
    }

    /// The optimizer file's header: the optimizer's state tensors (optax's names for Adam: `mu`,
    /// `nu`) and `count`.
    static func optimizerHeader(_ tensors: [OptimizerStateTensor], format: String) -> Data {
        let entries = tensors.map { ($0.name, "F32", $0.shape) } + [("count", "I64", [Int]())]
        return SafeTensorsWriter.header(for: entries, metadata: ["format": format]).bytes
    }

    /// The decompressed content of a checkpoint payload file.
    static func decompress(_ url: URL, threads: Int = 2) throws -> Data {
        try SeekableZstd.decompress(
            try Data(contentsOf: url, options: .alwaysMapped), path: url.path, threads: threads)
    }

    /// Size and XXH64 of the file at `url`.
    public static func checksum(of url: URL) throws -> FileChecksum {
        let data = try Data(contentsOf: url, options: .alwaysMapped)
        let hash = data.withUnsafeBytes { XXHash64.hash($0) }
        return FileChecksum(byteCount: data.count, xxh64: XXHash64.hex(hash))
    }
}

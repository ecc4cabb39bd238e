// Writing and reading one checkpoint directory (rank 0's side; no collectives here):
// config.json, model.safetensors.zst, optimizer.safetensors.zst, trainer_state.json.
// Written into a temporary directory, fsynced, then renamed into place.
import Foundation
import Shards

/// Compression settings for checkpoint payloads.
public struct CheckpointCompression: Sendable {
    /// zstd level (1 = fast; the payload is nearly incompressible float32 anyway).
    public var level: Int32
    /// zstd worker threads (0 = compress in the calling thread).
    public var workers: Int

    public init(level: Int32 = 1, workers: Int = 2) {
        self.level = level
        self.workers = workers
    }
}

/// One checkpoint directory on disk.
public enum Checkpoint {
    public static let configFile = "config.json"
    public static let modelFile = "model.safetensors.zst"
    public static let optimizerFile = "optimizer.safetensors.zst"
    public static let stateFile = "trainer_state.json"

    /// The directory name of the checkpoint of `step`: `step-00000123`.
    public static func directoryName(step: Int) -> String {
        let digits = String(step)
        return "step-" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// Writes a complete checkpoint of `step` under `root` and returns its directory.
    /// `parameters`, `optimizer.m` and `optimizer.v` must be complete on this rank.
    public static func write(
        state: TrainerState, config: DalleBartConfig, layout: ParameterLayout, parameters: FlatBuffer,
        optimizer: AdamW, to root: URL, compression: CheckpointCompression
    ) throws -> URL {
        let name = directoryName(step: state.step)
        let final = root.appendingPathComponent(name)
        let temporary = root.appendingPathComponent(".\(name).tmp-\(getpid())")
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: root, withIntermediateDirectories: true)
        try? fileManager.removeItem(at: temporary)
        try fileManager.createDirectory(at: temporary, withIntermediateDirectories: false)

        var state = state
        let modelURL = temporary.appendingPathComponent(modelFile)
        try writeCompressed(
            to: modelURL,
            header: layout.safeTensorsHeader(metadata: ["format": "flax", "step": "\(state.step)"]),
            buffers: [parameters], extra: nil, compression: compression)
        let optimizerURL = temporary.appendingPathComponent(optimizerFile)
        var count = Int64(optimizer.step).littleEndian
        let countBytes = Data(bytes: &count, count: 8)
        try writeCompressed(
            to: optimizerURL, header: optimizerHeader(layout: layout, step: optimizer.step),
            buffers: [optimizer.m, optimizer.v], extra: countBytes, compression: compression)
        let configURL = temporary.appendingPathComponent(configFile)
        try DurableFiles.write(try configJSON(config), to: configURL)
        for url in [modelURL, optimizerURL, configURL] {
            state.files[url.lastPathComponent] = try checksum(of: url)
        }
        try DurableFiles.write(try state.jsonData(), to: temporary.appendingPathComponent(stateFile))
        try DurableFiles.syncDirectory(temporary)
        if fileManager.fileExists(atPath: final.path) { try fileManager.removeItem(at: final) }
        try DurableFiles.rename(temporary, to: final)
        return final
    }

    /// Reads and checks `trainer_state.json` and the size and checksum of every file it lists.
    public static func verify(_ directory: URL) throws -> TrainerState {
        let stateURL = directory.appendingPathComponent(stateFile)
        guard let data = FileManager.default.contents(atPath: stateURL.path) else {
            throw CheckpointError.missingFile(path: stateURL.path)
        }
        let state: TrainerState
        do {
            state = try JSONDecoder().decode(TrainerState.self, from: data)
        } catch {
            throw CheckpointError.malformed(path: stateURL.path, reason: "unreadable trainer state: \(error)")
        }
        for required in [modelFile, optimizerFile, configFile] where state.files[required] == nil {
            throw CheckpointError.malformed(
                path: stateURL.path, reason: "no checksum recorded for \(required)")
        }
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

    /// Verifies the checkpoint, then loads parameters and optimizer state into the buffers.
    /// Throws `CheckpointError.incompatible` when its model configuration differs from `config`.
    public static func load(
        _ directory: URL, config: DalleBartConfig, layout: ParameterLayout, parameters: FlatBuffer,
        optimizer: AdamW
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
        for entry in layout.entries {
            try moments.copyFloats(
                "mu.\(entry.name)", into: optimizer.m.pointer + entry.offset, count: entry.count)
            try moments.copyFloats(
                "nu.\(entry.name)", into: optimizer.v.pointer + entry.offset, count: entry.count)
        }
        optimizer.step = Int(try moments.int64s("count").first ?? 0)
        return state
    }

    /// dalle-mini's config.json for `config` (pretty, keys sorted).
    public static func configJSON(_ config: DalleBartConfig) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(config)
    }

    /// The optimizer file's header: optax's Adam state names (`mu`, `nu`, `count`) over the layout.
    static func optimizerHeader(layout: ParameterLayout, step: Int) -> Data {
        let tensors =
            layout.entries.map { ("mu.\($0.name)", "F32", $0.shape) }
            + layout.entries.map { ("nu.\($0.name)", "F32", $0.shape) } + [("count", "I64", [Int]())]
        return SafeTensorsWriter.header(for: tensors, metadata: ["format": "optax.adamw"]).bytes
    }

    private static func writeCompressed(
        to url: URL, header: Data, buffers: [FlatBuffer], extra: Data?, compression: CheckpointCompression
    ) throws {
        let writer = try ZstdFileWriter(
            url: url, level: compression.level, workers: compression.workers, checksum: true)
        try header.withUnsafeBytes { try writer.write($0) }
        for buffer in buffers { try writer.write(UnsafeRawBufferPointer(buffer.buffer)) }
        if let extra { try extra.withUnsafeBytes { try writer.write($0) } }
        try writer.finish(synchronize: true)
    }

    private static func decompress(_ url: URL) throws -> Data {
        try Zstd.decompress(try Data(contentsOf: url, options: .alwaysMapped))
    }

    /// Size and XXH64 of the file at `url`.
    public static func checksum(of url: URL) throws -> FileChecksum {
        let data = try Data(contentsOf: url, options: .alwaysMapped)
        let hash = data.withUnsafeBytes { XXHash64.hash($0) }
        return FileChecksum(byteCount: data.count, xxh64: XXHash64.hex(hash))
    }
}

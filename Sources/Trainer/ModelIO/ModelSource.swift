// `--model` resolved in one place for every subcommand: a preset name, a config.json file, a
// dalle-mini model directory (config.json + flax_model.msgpack), a reference dump
// (expected.json + params.safetensors), a checkpoint directory, or a run's output directory
// (its newest checkpoint that verifies). Only config.json is read here; weights on demand.
import Foundation

/// A model named by `--model`: its configuration and, when it has them, where its weights are.
public struct ResolvedModel: Sendable {
    /// Where the model came from.
    public enum Source: Equatable, Sendable {
        case preset(String)
        case configFile(URL)
        case modelDirectory(URL)
        case referenceDump(URL)
        case checkpoint(URL)
    }

    public var config: DalleBartConfig
    public var source: Source

    /// True when the source holds weights (everything but a preset or a bare config.json).
    public var hasWeights: Bool {
        switch source {
        case .preset, .configFile: return false
        case .modelDirectory, .referenceDump, .checkpoint: return true
        }
    }

    /// The directory holding tokenizer files to use when `--tokenizer` is not given (nil if none):
    /// a model directory's own files, or for a checkpoint the copy its run keeps
    /// (`<output-dir>/tokenizer/`, see `runTokenizerDirectory`).
    public var tokenizerDirectory: URL? {
        let url: URL
        switch source {
        case .modelDirectory(let directory): url = directory
        case .checkpoint(let checkpoint):
            url = checkpoint.deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent(ResolvedModel.runTokenizerDirectory)
        case .preset, .configFile, .referenceDump: return nil
        }
        let fileManager = FileManager.default
        let hasFiles =
            fileManager.fileExists(atPath: url.appendingPathComponent("vocab.json").path)
            && fileManager.fileExists(atPath: url.appendingPathComponent("merges.txt").path)
        return hasFiles ? url : nil
    }

    /// The subdirectory of a run's output directory holding a copy of the tokenizer files the run
    /// trains with (when they come from a directory rather than the bundled tokenizer), so that
    /// `export` of the run or of its checkpoints writes them.
    public static let runTokenizerDirectory = "tokenizer"

    /// Where the weights come from, for logs and `resolved_config.json` (nil without weights).
    public var weightsDescription: String? {
        switch source {
        case .preset, .configFile: return nil
        case .modelDirectory(let url): return url.appendingPathComponent(ModelDirectory.weightsFile).path
        case .referenceDump(let url): return url.appendingPathComponent("params.safetensors").path
        case .checkpoint(let url): return url.appendingPathComponent(Checkpoint.modelFile).path
        }
    }

    /// Reads the weights into `parameters` (laid out by `layout`, built from a config with the
    /// same parameters as `config`). Returns true when they came from float16 tensors only, so
    /// dalle-mini would compute the embedding lookups in float16 (`DalleBart.roundsEmbeddingsToFloat16`).
    /// Throws for a source without weights.
    @discardableResult
    public func loadWeights(into parameters: FlatBuffer, layout: ParameterLayout) throws -> Bool {
        switch source {
        case .preset(let name):
            throw SetupError("--model \(name): a preset has no weights")
        case .configFile(let url):
            throw SetupError("--model \(url.path): a config.json alone has no weights")
        case .modelDirectory(let url):
            return try ModelDirectory.loadWeights(url, config: config, layout: layout, into: parameters)
                .embeddingsInFloat16
        case .referenceDump(let url):
            try layout.load(contentsOf: url.appendingPathComponent("params.safetensors"), into: parameters)
        case .checkpoint(let url):
            _ = try Checkpoint.verify(url)
            let modelURL = url.appendingPathComponent(Checkpoint.modelFile)
            let model = try SafeTensorsFile(bytes: try Checkpoint.decompress(modelURL), path: modelURL.path)
            try layout.load(model, into: parameters)
        }
        return false
    }
}

extension DalleBartConfig {
    /// Resolves `--model`: a preset name, a config.json, a dalle-mini model directory, a
    /// reference dump, a checkpoint directory, or a run directory (its newest valid checkpoint).
    /// Reads configuration files only, never weights.
    public static func resolve(model: String) throws -> ResolvedModel {
        if presetNames.contains(model) {
            return ResolvedModel(config: try preset(model), source: .preset(model))
        }
        let url = URL(fileURLWithPath: model)
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw SetupError(
                "--model \(model): neither a preset (\(presetNames.joined(separator: ", "))) nor an existing "
                    + "config.json, model directory, checkpoint or run directory")
        }
        guard isDirectory.boolValue else {
            return ResolvedModel(config: try load(contentsOf: url), source: .configFile(url))
        }
        func has(_ name: String) -> Bool {
            fileManager.fileExists(atPath: url.appendingPathComponent(name).path)
        }
        if has(Checkpoint.stateFile) {
            return ResolvedModel(
                config: try load(contentsOf: url.appendingPathComponent(Checkpoint.configFile)),
                source: .checkpoint(url))
        }
        if has(ModelDirectory.weightsFile) {
            return ResolvedModel(config: try ModelDirectory.config(url), source: .modelDirectory(url))
        }
        if has("expected.json") && has("params.safetensors") {
            return ResolvedModel(config: try referenceConfig(url), source: .referenceDump(url))
        }
        if has("checkpoints") {
            let store = CheckpointStore(directory: url.appendingPathComponent("checkpoints"))
            guard let newest = try store.newestValid(report: { _ in }) else {
                throw SetupError("--model \(model): the run directory has no checkpoint yet")
            }
            return ResolvedModel(
                config: try load(contentsOf: newest.url.appendingPathComponent(Checkpoint.configFile)),
                source: .checkpoint(newest.url))
        }
        if has(ModelDirectory.configFile) {
            return ResolvedModel(
                config: try ModelDirectory.config(url),
                source: .configFile(url.appendingPathComponent("config.json")))
        }
        throw SetupError(
            "--model \(model): the directory holds no config.json, flax_model.msgpack, checkpoint or reference dump"
        )
    }

    /// The `resolved_config` object of a reference dump's `expected.json`.
    static func referenceConfig(_ directory: URL) throws -> DalleBartConfig {
        let url = directory.appendingPathComponent("expected.json")
        let object = (try? JSONSerialization.jsonObject(with: Data(contentsOf: url))) as? [String: Any]
        guard let resolved = object?["resolved_config"] as? [String: Any] else {
            throw ConfigError.unreadable(source: url.path, reason: "no 'resolved_config' object")
        }
        return try decode(
            json: JSONSerialization.data(withJSONObject: resolved), source: "\(url.path) resolved_config")
    }
}

extension ResolvedModel {
    /// Adds `"initial_weights"` (the weights file, or `"random init (seed)"`) to the run's
    /// `resolved_config.json` in `directory`.
    public func recordInitialWeights(inResolvedConfigOf directory: URL) throws {
        let url = directory.appendingPathComponent("resolved_config.json")
        guard let text = try? String(contentsOf: url, encoding: .utf8), text.hasPrefix("{\n") else {
            throw SetupError("\(url.path): not the resolved configuration this run wrote")
        }
        let value = weightsDescription ?? "random initialisation (seed)"
        let encoded = String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
        // Inserted as the first key; the other lines stay exactly as written.
        let data = Data(("{\n  \"initial_weights\" : \(encoded),\n" + text.dropFirst(2)).utf8)
        try data.write(to: url, options: .atomic)
    }
}

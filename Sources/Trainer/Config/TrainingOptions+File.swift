// TrainingOptions as JSON: the run-config file (`--config`, unknown keys rejected by name) and
// `resolved_config.json` (every key, nulls included). Not here: value rules (+Validation).
import Foundation

extension TrainingOptions: Codable {
    /// The JSON keys: train.py's argument names where one exists.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case model, tokenizer, data
        case evalData = "eval_data"
        case outputDir = "output_dir"
        case blankCaptionProb = "blank_caption_prob"
        case dropout
        case attentionDropout = "attention_dropout"
        case activationDropout = "activation_dropout"
        case perDeviceTrainBatchSize = "per_device_train_batch_size"
        case gradientAccumulationSteps = "gradient_accumulation_steps"
        case maxSteps = "max_steps"
        case numTrainEpochs = "num_train_epochs"
        case seed
        case learningRate = "learning_rate"
        case warmupSteps = "warmup_steps"
        case lrDecay = "lr_decay"
        case lrTransitionSteps = "lr_transition_steps"
        case lrDecayRate = "lr_decay_rate"
        case lrStaircase = "lr_staircase"
        case lrOffset = "lr_offset"
        case beta1, beta2
        case adamEpsilon = "adam_epsilon"
        case weightDecay = "weight_decay"
        case maxGradNorm = "max_grad_norm"
        case shardOptimizerState = "shard_optimizer_state"
        case logInterval = "log_interval"
        case evalSteps = "eval_steps"
        case saveSteps = "save_steps"
        case keepLast = "keep_last"
        case checkpointCompressionLevel = "checkpoint_compression_level"
        case resume
    }

    /// The defaults, overlaid with every key present; an absent key keeps its default and an
    /// explicit `null` clears an optional. Unknown keys throw `TrainingOptionsError.unknownKey`.
    public init(from decoder: Decoder) throws {
        self.init()
        let path = decoder.userInfo[Self.pathKey] as? String ?? "run configuration"
        let keys = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
        for key in keys.sorted() where CodingKeys(rawValue: key) == nil {
            throw TrainingOptionsError.unknownKey(path: path, key: key, suggestion: Self.closestKey(to: key))
        }
        let file = FileContainer(container: try decoder.container(keyedBy: CodingKeys.self), path: path)
        try file.read(&model, .model)
        try file.read(&tokenizer, .tokenizer)
        try file.read(&data, .data)
        try file.read(&evalData, .evalData)
        try file.read(&outputDir, .outputDir)
        try file.read(&blankCaptionProb, .blankCaptionProb)
        try file.read(&dropout, .dropout)
        try file.read(&attentionDropout, .attentionDropout)
        try file.read(&activationDropout, .activationDropout)
        try file.read(&perDeviceTrainBatchSize, .perDeviceTrainBatchSize)
        try file.read(&gradientAccumulationSteps, .gradientAccumulationSteps)
        try file.read(&maxSteps, .maxSteps)
        try file.read(&numTrainEpochs, .numTrainEpochs)
        try file.read(&seed, .seed)
        try file.read(&learningRate, .learningRate)
        try file.read(&warmupSteps, .warmupSteps)
        var decay: LearningRateDecay? = lrDecay
        try file.read(&decay, .lrDecay)
        lrDecay = decay ?? .none  // train.py's `None`
        try file.read(&lrTransitionSteps, .lrTransitionSteps)
        try file.read(&lrDecayRate, .lrDecayRate)
        try file.read(&lrStaircase, .lrStaircase)
        try file.read(&lrOffset, .lrOffset)
        try file.read(&beta1, .beta1)
        try file.read(&beta2, .beta2)
        try file.read(&adamEpsilon, .adamEpsilon)
        try file.read(&weightDecay, .weightDecay)
        try file.read(&maxGradNorm, .maxGradNorm)
        try file.read(&shardOptimizerState, .shardOptimizerState)
        try file.read(&logInterval, .logInterval)
        try file.read(&evalSteps, .evalSteps)
        try file.read(&saveSteps, .saveSteps)
        try file.read(&keepLast, .keepLast)
        try file.read(&checkpointCompressionLevel, .checkpointCompressionLevel)
        var resumeText = resume.description
        try file.read(&resumeText, .resume)
        resume = ResumeMode(resumeText)
    }

    /// Every key, `null` for unset optionals, so `resolved_config.json` shows the whole run.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        func put<T: Encodable>(_ value: T?, _ key: CodingKeys) throws {
            if let value { try c.encode(value, forKey: key) } else { try c.encodeNil(forKey: key) }
        }
        try put(model, .model)
        try put(tokenizer, .tokenizer)
        try put(data, .data)
        try put(evalData, .evalData)
        try put(outputDir, .outputDir)
        try put(blankCaptionProb, .blankCaptionProb)
        try put(dropout, .dropout)
        try put(attentionDropout, .attentionDropout)
        try put(activationDropout, .activationDropout)
        try put(perDeviceTrainBatchSize, .perDeviceTrainBatchSize)
        try put(gradientAccumulationSteps, .gradientAccumulationSteps)
        try put(maxSteps, .maxSteps)
        try put(numTrainEpochs, .numTrainEpochs)
        try put(seed, .seed)
        try put(learningRate, .learningRate)
        try put(warmupSteps, .warmupSteps)
        try put(lrDecay, .lrDecay)
        try put(lrTransitionSteps, .lrTransitionSteps)
        try put(lrDecayRate, .lrDecayRate)
        try put(lrStaircase, .lrStaircase)
        try put(lrOffset, .lrOffset)
        try put(beta1, .beta1)
        try put(beta2, .beta2)
        try put(adamEpsilon, .adamEpsilon)
        try put(weightDecay, .weightDecay)
        try put(maxGradNorm, .maxGradNorm)
        try put(shardOptimizerState, .shardOptimizerState)
        try put(logInterval, .logInterval)
        try put(evalSteps, .evalSteps)
        try put(saveSteps, .saveSteps)
        try put(keepLast, .keepLast)
        try put(checkpointCompressionLevel, .checkpointCompressionLevel)
        try put(resume.description, .resume)
    }

    /// Decodes a run-config JSON object over the defaults; `path` names the file in errors.
    public static func decode(json: Data, path: String) throws -> TrainingOptions {
        let decoder = JSONDecoder()
        decoder.userInfo[pathKey] = path
        do {
            return try decoder.decode(TrainingOptions.self, from: json)
        } catch let error as TrainingOptionsError {
            throw error
        } catch {
            throw TrainingOptionsError.unreadableFile(path: path, reason: "not a JSON object (\(error))")
        }
    }

    /// Reads a run-config file (`--config`): the defaults overlaid with its keys.
    public static func load(contentsOf url: URL) throws -> TrainingOptions {
        let json: Data
        do {
            json = try Data(contentsOf: url)
        } catch {
            throw TrainingOptionsError.unreadableFile(path: url.path, reason: error.localizedDescription)
        }
        return try decode(json: json, path: url.path)
    }

    /// The options as pretty-printed JSON with sorted keys (the `resolved_config.json` content).
    public func resolvedJSON() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Writes `resolved_config.json` into `directory` (rank 0 only; creates the directory).
    public func writeResolved(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try resolvedJSON().write(
            to: directory.appendingPathComponent("resolved_config.json"), options: .atomic)
    }

    static let pathKey = CodingUserInfoKey(rawValue: "dalle-train.config-path")!

    /// The known key nearest to a misspelt one (edit distance <= 3), for the error hint.
    static func closestKey(to key: String) -> String? {
        let candidates = CodingKeys.allCases.map { ($0.rawValue, editDistance($0.rawValue, key)) }
        guard let best = candidates.min(by: { $0.1 < $1.1 }), best.1 <= 3 else { return nil }
        return best.0
    }

    /// Levenshtein distance between two keys.
    private static func editDistance(_ a: String, _ b: String) -> Int {
        let b = Array(b)
        var previous = Array(0...b.count)
        for (i, characterA) in a.enumerated() {
            var current = [i + 1]
            for (j, characterB) in b.enumerated() {
                let substitution = previous[j] + (characterA == characterB ? 0 : 1)
                current.append(min(previous[j + 1] + 1, current[j] + 1, substitution))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// Any string key (to list the keys a file holds).
private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Reads present keys over defaults and turns type mismatches into errors naming the key.
private struct FileContainer {
    let container: KeyedDecodingContainer<TrainingOptions.CodingKeys>
    let path: String

    func read<T: Decodable>(_ value: inout T, _ key: TrainingOptions.CodingKeys) throws {
        guard container.contains(key) else { return }
        do {
            value = try container.decode(T.self, forKey: key)
        } catch {
            throw TrainingOptionsError.wrongType(path: path, key: key.rawValue, expected: Self.kind(T.self))
        }
    }

    func read<T: Decodable>(_ value: inout T?, _ key: TrainingOptions.CodingKeys) throws {
        guard container.contains(key) else { return }
        do {
            value = try container.decodeNil(forKey: key) ? nil : container.decode(T.self, forKey: key)
        } catch {
            throw TrainingOptionsError.wrongType(
                path: path, key: key.rawValue, expected: Self.kind(T.self) + " or null")
        }
    }

    private static func kind<T>(_ type: T.Type) -> String {
        switch type {
        case is Int.Type: return "an integer"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        case is String.Type: return "a string"
        case is LearningRateDecay.Type: return "one of \"none\", \"linear\", \"exponential\""
        default: return "a value of type \(T.self)"
        }
    }
}

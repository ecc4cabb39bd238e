// TrainingOptions as JSON, through the option table: the run-config file (`--config`, unknown keys
// rejected by name) and `resolved_config.json` (every key, nulls included). Rules: +Validation.
import Foundation

extension TrainingOptions: Codable {
    /// The defaults, overlaid with every key present; an absent key keeps its default and an
    /// explicit `null` clears an optional. Unknown keys throw `TrainingOptionsError.unknownKey`.
    public init(from decoder: Decoder) throws {
        self.init()
        let path = decoder.userInfo[Self.pathKey] as? String ?? "run configuration"
        let object = try [String: OptionValue](from: decoder)
        // `initial_weights` is information resolved_config.json carries (ResolvedModel), not an option.
        for key in object.keys.sorted() where Self.option(key: key) == nil && key != "initial_weights" {
            throw TrainingOptionsError.unknownKey(path: path, key: key, suggestion: Self.closestKey(to: key))
        }
        for spec in Self.table {
            guard let value = object[spec.key] else { continue }
            guard spec.write(&self, value) else {
                throw TrainingOptionsError.wrongType(path: path, key: spec.key, expected: spec.expectation)
            }
        }
    }

    /// Every key, `null` for unset optionals, so `resolved_config.json` shows the whole run.
    public func encode(to encoder: Encoder) throws {
        try Dictionary(uniqueKeysWithValues: Self.table.map { ($0.key, $0.read(self)) }).encode(to: encoder)
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
        EditDistance.closest(to: key, among: table.map(\.key))
    }
}

/// Levenshtein distance, for "did you mean" hints on keys and flags.
enum EditDistance {
    /// The candidate nearest to `word`, when within `limit` edits.
    static func closest(to word: String, among candidates: [String], limit: Int = 3) -> String? {
        let scored = candidates.map { ($0, distance($0, word)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= limit else { return nil }
        return best.0
    }

    static func distance(_ a: String, _ b: String) -> Int {
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

// Reading a Hugging Face tokenizer directory: vocab.json, merges.txt, special_tokens_map.json,
// tokenizer_config.json. Every failure names its file.
import Foundation

/// The parsed contents of a tokenizer directory, ready to build a `BartTokenizer`.
struct TokenizerFiles {
    var model: BPEModel
    var specialTokens: [SpecialToken]
    var beginID: Int32
    var endID: Int32
    var padID: Int32
    var vocabularySize: Int

    /// BART's special tokens when the directory has no `special_tokens_map.json`.
    static let defaultSpecialTokens: [String: Any] = [
        "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
        "pad_token": "<pad>", "cls_token": "<s>",
        "mask_token": ["content": "<mask>", "lstrip": true, "rstrip": false],
    ]

    static func load(directory: URL) throws -> TokenizerFiles {
        let vocabularyURL = directory.appendingPathComponent("vocab.json")
        let vocabulary = try readVocabulary(vocabularyURL)
        let mergesURL = directory.appendingPathComponent("merges.txt")
        let byteIDs = try (0...255).map { byte -> Int32 in
            let token = ByteLevel.token(ofByte: UInt8(byte))
            guard let id = vocabulary[token] else {
                throw TokenizerError.missingToken(path: vocabularyURL.path, token: token)
            }
            return id
        }
        let merges = try readMerges(mergesURL, vocabulary: vocabulary)
        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        let config = try readOptionalObject(configURL) ?? [:]
        if let addsPrefixSpace = config["add_prefix_space"] as? Bool, addsPrefixSpace {
            throw TokenizerError.unsupported(
                path: configURL.path, setting: "add_prefix_space: true (dalle-mini's BART uses false)")
        }
        let mapURL = directory.appendingPathComponent("special_tokens_map.json")
        let map = try readOptionalObject(mapURL) ?? defaultSpecialTokens
        let specials = try specialTokens(
            map, path: mapURL.path, vocabulary: vocabulary, vocabularyPath: vocabularyURL.path)
        func id(_ key: String, default content: String) throws -> Int32 {
            let content = (map[key].flatMap { tokenDescription($0)?.content }) ?? content
            guard let id = vocabulary[content] else {
                throw TokenizerError.missingToken(path: vocabularyURL.path, token: content)
            }
            return id
        }
        return TokenizerFiles(
            model: BPEModel(byteIDs: byteIDs, merges: merges), specialTokens: specials,
            beginID: try id("bos_token", default: "<s>"), endID: try id("eos_token", default: "</s>"),
            padID: try id("pad_token", default: "<pad>"),
            vocabularySize: Int(vocabulary.values.max() ?? -1) + 1)
    }

    /// The contents of `url`, with a missing file reported as such.
    static func read(_ url: URL) throws -> Data {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TokenizerError.missingFile(path: url.path)
        }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw TokenizerError.unreadable(path: url.path, reason: "\(error)")
        }
    }

    /// `vocab.json`: one object, token string -> non-negative integer id.
    static func readVocabulary(_ url: URL) throws -> [String: Int32] {
        let data = try read(url)
        let decoded: [String: Int]
        do {
            decoded = try JSONDecoder().decode([String: Int].self, from: data)
        } catch {
            throw TokenizerError.malformedJSON(
                path: url.path, reason: "expected one object of token -> integer id: \(error)")
        }
        var vocabulary: [String: Int32] = [:]
        vocabulary.reserveCapacity(decoded.count)
        var owners: [Int: String] = [:]
        for (token, id) in decoded.sorted(by: { $0.key < $1.key }) {
            guard (0..<Int(Int32.max)).contains(id) else {
                throw TokenizerError.malformedJSON(
                    path: url.path, reason: "token \(TokenizerError.quoted(token)) has id \(id)")
            }
            if let other = owners.updateValue(token, forKey: id) {
                throw TokenizerError.malformedJSON(
                    path: url.path,
                    reason:
                        "tokens \(TokenizerError.quoted(other)) and \(TokenizerError.quoted(token)) share id \(id)"
                )
            }
            vocabulary[token] = Int32(id)
        }
        return vocabulary
    }

    /// `merges.txt`: an optional `#version` header line (skipped, as Hugging Face's tokenizers
    /// library does), then one `left right` merge per line, highest priority first. Line ends may
    /// be LF or CRLF.
    static func readMerges(_ url: URL, vocabulary: [String: Int32]) throws -> [UInt64: UInt64] {
        let data = try read(url)
        guard let text = String(data: data, encoding: .utf8) else {
            throw TokenizerError.malformedMerges(path: url.path, line: 1, reason: "the file is not UTF-8")
        }
        // "\r\n" is one Character in Swift: split on both line ends explicitly.
        var lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        while let last = lines.last, last.isEmpty || last == "\r" { lines.removeLast() }
        var merges: [UInt64: UInt64] = [:]
        merges.reserveCapacity(lines.count)
        let headerLines = lines.first?.hasPrefix("#version") == true ? 1 : 0
        for (index, rawLine) in lines.enumerated().dropFirst(headerLines) {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw TokenizerError.malformedMerges(
                    path: url.path, line: index + 1, reason: "expected two tokens separated by one space")
            }
            let left = String(parts[0])
            let right = String(parts[1])
            for token in [left, right, left + right] where vocabulary[token] == nil {
                throw TokenizerError.malformedMerges(
                    path: url.path, line: index + 1,
                    reason: "token \(TokenizerError.quoted(token)) is not in vocab.json")
            }
            let rank = UInt64(index - headerLines)
            merges[BPEModel.pairKey(vocabulary[left]!, vocabulary[right]!)] =
                rank << 32 | UInt64(UInt32(bitPattern: vocabulary[left + right]!))
        }
        return merges
    }

    /// A JSON object from `url`, or nil when the file does not exist.
    static func readOptionalObject(_ url: URL) throws -> [String: Any]? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let data = try read(url)
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TokenizerError.malformedJSON(path: url.path, reason: "expected one JSON object")
        }
        return object
    }

    /// A special token as `special_tokens_map.json` writes it: a string, or an object with
    /// `content` and optional `lstrip` / `rstrip`.
    static func tokenDescription(_ value: Any) -> (content: String, lstrip: Bool, rstrip: Bool)? {
        if let content = value as? String { return (content, false, false) }
        guard let object = value as? [String: Any], let content = object["content"] as? String else {
            return nil
        }
        return (content, object["lstrip"] as? Bool ?? false, object["rstrip"] as? Bool ?? false)
    }

    /// Every special token named in the map (including `additional_special_tokens`), each once.
    static func specialTokens(
        _ map: [String: Any], path: String, vocabulary: [String: Int32], vocabularyPath: String
    ) throws -> [SpecialToken] {
        var values: [(key: String, value: Any)] = []
        for (key, value) in map.sorted(by: { $0.key < $1.key }) {
            if let list = value as? [Any] {
                values += list.map { (key, $0) }
            } else {
                values.append((key, value))
            }
        }
        var tokens: [SpecialToken] = []
        for (key, value) in values {
            guard var description = tokenDescription(value) else {
                throw TokenizerError.malformedJSON(
                    path: path, reason: "\(key): expected a string or an object with \"content\"")
            }
            guard let id = vocabulary[description.content] else {
                throw TokenizerError.missingToken(path: vocabularyPath, token: description.content)
            }
            // BartTokenizerFast (transformers 4.x) gives a plain-string mask token lstrip.
            if key == "mask_token" && value is String { description.lstrip = true }
            let token = SpecialToken(
                content: description.content, id: id, stripsLeft: description.lstrip,
                stripsRight: description.rstrip)
            if let index = tokens.firstIndex(where: { $0.content == token.content }) {
                tokens[index].stripsLeft = tokens[index].stripsLeft || token.stripsLeft
                tokens[index].stripsRight = tokens[index].stripsRight || token.stripsRight
            } else {
                tokens.append(token)
            }
        }
        return tokens
    }
}

// Loading errors: each names the file at fault (missing directory, malformed vocab.json or
// merges.txt, a vocabulary without the byte symbols).
import Foundation
import Shards
import TestSupport
import Testing

@Suite struct TokenizerErrorTests {
    /// A fresh directory holding copies of the `bytebpe-512` files, with `edit` applied.
    func directory(_ edit: (URL) throws -> Void) throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let source = Fixture.directory("tokenizer/bytebpe-512")
        for file in ["vocab.json", "merges.txt", "special_tokens_map.json", "tokenizer_config.json"] {
            try FileManager.default.copyItem(
                at: source.appendingPathComponent(file), to: directory.appendingPathComponent(file))
        }
        try edit(directory)
        return directory
    }

    func loadError(_ directory: URL) -> TokenizerError? {
        do {
            _ = try BartTokenizer(directory: directory)
            return nil
        } catch {
            return error as? TokenizerError
        }
    }

    @Test func missingDirectoryNamesVocabJSON() {
        let missing = URL(fileURLWithPath: "/nonexistent/tokenizer")
        let error = loadError(missing)
        #expect(error == .missingFile(path: "/nonexistent/tokenizer/vocab.json"))
        #expect(error?.description.contains("/nonexistent/tokenizer/vocab.json") == true)
    }

    @Test func missingMerges() throws {
        let directory = try self.directory {
            try FileManager.default.removeItem(at: $0.appendingPathComponent("merges.txt"))
        }
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(
            loadError(directory) == .missingFile(path: directory.appendingPathComponent("merges.txt").path))
    }

    @Test(arguments: ["{\"<s>\": 0, ", "[1, 2, 3]", "{\"<s>\": \"zero\"}", "{\"<s>\": -4}"])
    func malformedVocabulary(contents: String) throws {
        let directory = try self.directory {
            try Data(contents.utf8).write(to: $0.appendingPathComponent("vocab.json"))
        }
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = loadError(directory)
        guard case .malformedJSON(let path, _)? = error else {
            Issue.record("expected malformedJSON, got \(String(describing: error))")
            return
        }
        #expect(path == directory.appendingPathComponent("vocab.json").path)
        #expect(error!.description.contains("vocab.json"))
    }

    @Test func malformedMergesLineIsNamed() throws {
        let directory = try self.directory { directory in
            let url = directory.appendingPathComponent("merges.txt")
            var lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
            lines[3] = "no-space-here"
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
        }
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = loadError(directory)
        guard case .malformedMerges(let path, let line, _)? = error else {
            Issue.record("expected malformedMerges, got \(String(describing: error))")
            return
        }
        #expect(path.hasSuffix("merges.txt"))
        #expect(line == 4)
    }

    @Test func vocabularyWithoutAByteSymbol() throws {
        let directory = try self.directory { directory in
            let url = directory.appendingPathComponent("vocab.json")
            var vocabulary = try JSONDecoder().decode([String: Int].self, from: Data(contentsOf: url))
            vocabulary["Ġ"] = nil
            try JSONEncoder().encode(vocabulary).write(to: url)
        }
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(
            loadError(directory)
                == .missingToken(path: directory.appendingPathComponent("vocab.json").path, token: "Ġ"))
    }

    @Test func malformedSpecialTokensMap() throws {
        let directory = try self.directory {
            try Data("{\"mask_token\": 5}".utf8).write(
                to: $0.appendingPathComponent("special_tokens_map.json"))
        }
        defer { try? FileManager.default.removeItem(at: directory) }
        guard case .malformedJSON(let path, _)? = loadError(directory) else {
            Issue.record("expected malformedJSON for special_tokens_map.json")
            return
        }
        #expect(path.hasSuffix("special_tokens_map.json"))
    }
}

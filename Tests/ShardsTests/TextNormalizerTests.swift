// dalle-mini's TextNormalizer against the golden captions of fixtures/text-normalizer: every
// deterministic case exactly, the <person> cases with the recorded draws, and the hashtag splitter.
import Foundation
import TestSupport
import Testing

@testable import Shards

@Suite struct TextNormalizerTests {
    static let directory = Fixture.directory("text-normalizer")

    static let normalizer: TextNormalizer? = try? TextNormalizer(
        wordFrequencies: directory.appendingPathComponent("words.txt"))

    static func records(_ name: String) throws -> [[String: Any]] {
        let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        return try text.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    /// The recorded `random.random()` values of a case, handed out in order.
    final class Draws {
        var values: [Double]
        init(_ record: [String: Any]) {
            values = (record["person_draws"] as? [[String: Any]] ?? []).compactMap { $0["u"] as? Double }
        }
        func next() -> Double {
            #expect(!values.isEmpty, "more <person> draws than recorded")
            return values.isEmpty ? 0 : values.removeFirst()
        }
    }

    @Test func everyCaseMatchesTheGoldenOutput() throws {
        let normalizer = try #require(Self.normalizer)
        var failures: [String] = []
        var checked = 0
        for record in try Self.records("cases.jsonl") {
            let id = record["id"] as! String
            let input = record["input"] as! String
            let lower = String(decoding: normalizer.asciiLowercase(input), as: UTF8.self)
            if lower != record["after_lower"] as! String {
                failures.append(
                    "\(id) after_lower: \(lower.debugDescription) != \((record["after_lower"] as! String).debugDescription)"
                )
            }
            let draws = Draws(record)
            let output = normalizer.normalize(input, uniform: draws.next)
            if output != record["output"] as! String {
                failures.append(
                    "\(id): \(output.debugDescription) != \((record["output"] as! String).debugDescription)")
            }
            #expect(draws.values.isEmpty, "\(id): unused draws")
            checked += 1
        }
        #expect(checked == 594)
        #expect(failures.isEmpty, "\(failures.count) failures:\n\(failures.joined(separator: "\n"))")
    }

    @Test func drawsPickTheTokenRecorded() throws {
        for record in try Self.records("cases.jsonl") {
            for draw in record["person_draws"] as? [[String: Any]] ?? [] {
                #expect(PersonToken.draw(draw["u"] as! Double) == draw["token"] as! String)
            }
        }
    }

    @Test func traceMatchesEveryHashtagCall() throws {
        let normalizer = try #require(Self.normalizer)
        for record in try Self.records("trace.jsonl") {
            for call in record["hashtag_calls"] as! [[String]] {
                #expect(normalizer.splitter.split(call[0]) == call[1], "\(record["id"]!): \(call[0])")
            }
        }
    }

    @Test func hashtagCasesMatch() throws {
        let normalizer = try #require(Self.normalizer)
        #expect(normalizer.splitter.maxWord == 26)
        var count = 0
        for record in try Self.records("hashtag_cases.jsonl") {
            let input = record["input"] as! String
            #expect(normalizer.splitter.split(input) == record["output"] as! String, "\(record["id"]!)")
            count += 1
        }
        #expect(count == 146)
    }

    @Test func badWordListsThrowNamingTheFile() throws {
        #expect(throws: TextTableError.self) { try HashtagSplitter(lines: "the\n\nof\n", source: "w.txt") }
        #expect(throws: TextTableError.self) { try HashtagSplitter(lines: "", source: "w.txt") }
        #expect(throws: TextTableError.self) {
            try HashtagSplitter(contentsOf: URL(fileURLWithPath: "/nonexistent/words.txt"))
        }
    }
}

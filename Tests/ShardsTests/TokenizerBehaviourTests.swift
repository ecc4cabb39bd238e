// The traps listed in fixtures/tokenizer/README.md, one readable case each, as token strings of
// the `bart` and `bytebpe-4096` vocabularies; plus encode()'s framing and thread safety.
import Foundation
import Shards
import TestSupport
import Testing

/// A fixture tokenizer with its id -> token-string table, to write expectations as strings.
struct NamedTokenizer {
    let tokenizer: BartTokenizer
    let tokenOfID: [Int32: String]

    init(_ name: String) throws {
        let directory = Fixture.directory("tokenizer/\(name)")
        tokenizer = try BartTokenizer(directory: directory)
        let vocabulary = try JSONDecoder().decode(
            [String: Int32].self, from: Data(contentsOf: directory.appendingPathComponent("vocab.json")))
        tokenOfID = Dictionary(uniqueKeysWithValues: vocabulary.map { ($0.value, $0.key) })
    }

    func tokens(_ text: String) -> [String] {
        tokenizer.ids(text).map { tokenOfID[$0] ?? "?\($0)" }
    }
}

@Suite struct TokenizerBehaviourTests {
    static let bart = Result { try NamedTokenizer("bart") }

    @Test(
        arguments: [
            ("café", ["c", "af", "Ã©"]),
            ("cafe\u{301}", ["c", "afe", "Ì", "ģ"]),
            ("a\u{A0}cat", ["a", "Âł", "cat"]),
            ("a  cat", ["a", "Ġ", "Ġcat"]),
            ("a   cat", ["a", "Ġ", "Ġ", "Ġcat"]),
            ("a cat ", ["a", "Ġcat", "Ġ"]),
            (" a cat", ["Ġa", "Ġcat"]),
            ("it's", ["it", "'s"]),
            ("IT'S", ["IT", "'", "S"]),
            ("it\u{2019}s", ["it", "âĢ", "Ļ", "s"]),
            ("'s's's", ["'s", "'s", "'s"]),
            ("1,000,000", ["1", ",", "000", ",", "000"]),
            ("a<s>b", ["a", "<s>", "b"]),
            ("a <s> b", ["a", "Ġ", "<s>", "Ġb"]),
            ("<S>", ["<", "S", ">"]),
            ("a \t\n <mask>", ["a", "<mask>"]),
            ("<mask> cat", ["<mask>", "Ġcat"]),
        ])
    func readmeTrap(text: String, expected: [String]) throws {
        let bart = try Self.bart.get()
        #expect(bart.tokens(text) == expected, "text \"\(text)\"")
    }

    @Test func multiSpaceTokensWhereTheVocabularyHasThem() throws {
        let bytebpe = try NamedTokenizer("bytebpe-4096")
        #expect(bytebpe.tokens("a   cat") == ["a", "ĠĠ", "Ġc", "at"])
    }

    @Test func emptyTextAndLiteralPad() throws {
        let tokenizer = try Self.bart.get().tokenizer
        let empty = tokenizer.encode("", maxLength: 64)
        #expect(empty.inputIDs == [0, 2] + [Int32](repeating: 1, count: 62))
        #expect(empty.attentionMask == [1, 1] + [Int32](repeating: 0, count: 62))
        let pad = tokenizer.encode("text<pad>", maxLength: 8)
        #expect(pad.inputIDs == [0, 29015, 1, 2, 1, 1, 1, 1])
        #expect(pad.attentionMask == [1, 1, 1, 1, 0, 0, 0, 0])
    }

    @Test func truncationKeepsTheFirstIdsThenEnd() throws {
        let tokenizer = try Self.bart.get().tokenizer
        let text = String(repeating: "a cat sat on the mat. ", count: 20)
        let ids = tokenizer.ids(text)
        #expect(ids.count > 62)
        let encoded = tokenizer.encode(text, maxLength: 64)
        #expect(encoded.inputIDs == [0] + ids.prefix(62) + [2])
        #expect(encoded.attentionMask == [Int32](repeating: 1, count: 64))
        #expect(tokenizer.ids(text, limit: 5) == Array(ids.prefix(5)))
        #expect(tokenizer.encode(text, maxLength: 2).inputIDs == [0, 2])
    }

    @Test func sharedAcrossThreadsGivesTheSameIds() throws {
        let tokenizer = try Self.bart.get().tokenizer
        let texts = try TokenizerGolden.load("bart").map(\.text)
        let serial = try NamedTokenizer.fresh()
        let expected = texts.map { serial.ids($0) }
        let results = ThreadResults(count: texts.count)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for index in stride(from: worker, to: texts.count, by: 4) {
                results.set(index, tokenizer.ids(texts[index]))
            }
        }
        for index in texts.indices where results.get(index) != expected[index] {
            Issue.record("thread-shared tokenizer differs on \"\(texts[index])\"")
            break
        }
    }
}

extension NamedTokenizer {
    /// A new `bart` tokenizer with an empty cache.
    static func fresh() throws -> BartTokenizer {
        try BartTokenizer(directory: Fixture.directory("tokenizer/bart"))
    }
}

/// Per-index results written by several threads (each index by one thread).
final class ThreadResults: @unchecked Sendable {
    private var values: [[Int32]]
    private let lock = NSLock()
    init(count: Int) { values = Array(repeating: [], count: count) }
    func set(_ index: Int, _ value: [Int32]) {
        lock.lock()
        values[index] = value
        lock.unlock()
    }
    func get(_ index: Int) -> [Int32] {
        lock.lock()
        defer { lock.unlock() }
        return values[index]
    }
}

// Every public golden of the three fixture tokenizers (real Hugging Face BartTokenizerFast output),
// compared exactly: `ids`, `input_ids` and `attention_mask` at max_length 64.
import Foundation
import Shards
import TestSupport
import Testing

/// One line of `goldens.jsonl` (fixtures/tokenizer/README.md).
struct TokenizerGolden: Decodable {
    var text: String
    var ids: [Int32]
    var input_ids: [Int32]
    var attention_mask: [Int32]
    var kind: String

    /// Every record of `fixtures/tokenizer/<name>/goldens.jsonl`, in file order.
    static func load(_ name: String) throws -> [TokenizerGolden] {
        let url = Fixture.directory("tokenizer/\(name)/goldens.jsonl")
        let text = try String(contentsOf: url, encoding: .utf8)
        let decoder = JSONDecoder()
        return try text.split(separator: "\n").map { line in
            try decoder.decode(TokenizerGolden.self, from: Data(line.utf8))
        }
    }
}

@Suite struct TokenizerGoldenTests {
    @Test(arguments: ["bart", "bytebpe-4096", "bytebpe-512"])
    func everyGoldenMatches(name: String) throws {
        let tokenizer = try BartTokenizer(directory: Fixture.directory("tokenizer/\(name)"))
        let goldens = try TokenizerGolden.load(name)
        #expect(goldens.count == 1999, "\(name): expected 1999 golden records")
        var mismatches = 0
        for (index, golden) in goldens.enumerated() {
            let ids = tokenizer.ids(golden.text)
            let encoded = tokenizer.encode(golden.text, maxLength: 64)
            guard
                ids != golden.ids || encoded.inputIDs != golden.input_ids
                    || encoded.attentionMask != golden.attention_mask
            else { continue }
            mismatches += 1
            if mismatches == 1 {
                let escaped = golden.text.unicodeScalars.map { $0.escaped(asASCII: true) }.joined()
                Issue.record(
                    """
                    \(name) record \(index + 1) (\(golden.kind)) text "\(escaped)":
                      ids       \(ids)
                      expected  \(golden.ids)
                      input_ids \(encoded.inputIDs)
                      expected  \(golden.input_ids)
                      mask      \(encoded.attentionMask)
                      expected  \(golden.attention_mask)
                    """)
            }
        }
        #expect(mismatches == 0, "\(name): \(mismatches) of \(goldens.count) records differ")
    }

    @Test func bundledTokenizerIsBart() throws {
        let bundled = try BartTokenizer.bundled()
        #expect(bundled.vocabularySize == 50265)
        let goldens = try TokenizerGolden.load("bart")
        for golden in goldens.prefix(200) {
            #expect(bundled.ids(golden.text) == golden.ids, "bundled tokenizer on \"\(golden.text)\"")
        }
    }

    @Test func vocabularySizes() throws {
        for (name, size) in [("bart", 50265), ("bytebpe-4096", 4096), ("bytebpe-512", 512)] {
            let tokenizer = try BartTokenizer(directory: Fixture.directory("tokenizer/\(name)"))
            #expect(tokenizer.vocabularySize == size, "\(name)")
        }
    }
}

// The native matcher of ftfy's mojibake heuristic against ICU running the same pattern, and the
// hashtag splitter's word list keeping a Python dict's last-entry-wins costs.
import Foundation
import Testing

@testable import Shards

@Suite struct BadnessMatcherTests {
    /// The matcher and `NSRegularExpression` agree on every golden caption and on random strings
    /// drawn from the characters the pattern names, ASCII letters and spaces.
    @Test func agreesWithTheRegularExpression() throws {
        let tables = try TextTables.bundled()
        let url = Bundle.module.url(forResource: "text", withExtension: nil)
        let data = try Data(contentsOf: try #require(url).appendingPathComponent("ftfy.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let regex = try NSRegularExpression(pattern: try #require(json["badness"] as? String))
        func icu(_ text: [Unicode.Scalar]) -> Bool {
            let string = String(String.UnicodeScalarView(text))
            return regex.firstMatch(in: string, range: NSRange(string.startIndex..., in: string)) != nil
        }
        var texts: [[Unicode.Scalar]] = try TextNormalizerTests.records("cases.jsonl").map {
            Array(($0["input"] as! String).unicodeScalars)
        }
        let pool = Array(
            "abcxyzABC .,?!°×à√≈‚Äâ€вЂГўВЃÃÂβā¦¤¨¬¯¸ƒˆˇ˘˛˜†‡‰⌐◊�ªºßáñăąāćčďđęěēėğģįīķĺľłļœŕśşšťüźżžґﬁﬂÀÑØÜÝ©®»αωσπстуЯЖ"
                .unicodeScalars)
        var random = SplitMix64(seed: 7)
        for _ in 0..<3000 {
            let count = Int(random.next() % 6) + 1
            texts.append((0..<count).map { _ in pool[Int(random.next() % UInt64(pool.count))] })
        }
        var matched = 0
        for text in texts {
            let native = tables.badness.matches(text)
            #expect(native == icu(text), "\(String(String.UnicodeScalarView(text)).debugDescription)")
            if native { matched += 1 }
        }
        #expect(matched > 100)
    }

    @Test func unsupportedSyntaxIsRefused() {
        #expect(BadnessMatcher(pattern: "a(b)") == nil)
        #expect(BadnessMatcher(pattern: "a*") == nil)
        #expect(BadnessMatcher(pattern: "[\\x{41}-\\x{5A}]\\s?b|^c") != nil)
    }

    @Test func aWordListedTwiceKeepsItsLastCost() throws {
        // "ab" first costs log(1) < log(2) + log(3) for "a b"; listed again on line 8 it costs log(8).
        let once = try HashtagSplitter(lines: "ab\na\nb\nc\nd\ne\nf\n", source: "w.txt")
        let twice = try HashtagSplitter(lines: "ab\na\nb\nc\nd\ne\nf\nab\n", source: "w.txt")
        #expect(once.split("ab") == "ab")
        #expect(twice.split("ab") == "a b")
        #expect(once.split("AB_ab") == "AB ab")
    }
}

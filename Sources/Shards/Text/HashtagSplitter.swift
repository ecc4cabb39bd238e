// dalle-mini's `HashtagProcessor`: word segmentation by word-frequency costs (wordninja's dynamic
// programming with dalle-mini's apostrophe and digit re-attachment), over a frequency list.
import Foundation

/// Splits run-together words (`sunsetbeach` -> `sunset beach`) with a frequency-ranked word list.
public final class HashtagSplitter: Sendable {
    /// Cost `log(rank + 1)` of each lowercase word.
    let wordCost: [String: Double]
    /// Length of the longest word, in characters (Python string length: code points).
    let maxWord: Int

    /// Reads `url`: one word per line (its first whitespace-separated field), most frequent first.
    public convenience init(contentsOf url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TextTableError(file: url.path, line: 0, reason: "word-frequency list cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TextTableError(file: url.path, line: 0, reason: "word-frequency list is not UTF-8")
        }
        try self.init(lines: text, source: url.path)
    }

    /// Parses a word list given as text (Python's `splitlines()` line ends).
    public init(lines text: String, source: String) throws {
        var costs: [String: Double] = [:]
        var longest = 0
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0.isNewline })
        if lines.last?.isEmpty == true { lines.removeLast() }
        for (index, line) in lines.enumerated() {
            guard let word = line.split(whereSeparator: { $0.isWhitespace }).first else {
                throw TextTableError(
                    file: source, line: index + 1, reason: "blank line in the word-frequency list")
            }
            costs[String(word)] = Foundation.log(Double(index + 1))
            longest = max(longest, word.unicodeScalars.count)
        }
        guard !costs.isEmpty else {
            throw TextTableError(file: source, line: 0, reason: "the word-frequency list is empty")
        }
        wordCost = costs
        maxWord = longest
    }

    /// `HashtagProcessor.__call__(s)`: pieces split on `[^a-zA-Z0-9']+`, each segmented, all
    /// tokens joined with single spaces.
    public func split(_ s: String) -> String {
        let pieces = Array(s.unicodeScalars).split(whereSeparator: { !($0.isAlphanumericASCII || $0 == "'") })
        return pieces.flatMap { segment(Array($0)) }.joined(separator: " ")
    }

    /// `_split(s)`: the cheapest segmentation (ties: the shorter last word), then the backtrack
    /// that glues a split `'s` and consecutive digit tokens back on.
    func segment(_ s: [Unicode.Scalar]) -> [String] {
        let n = s.count
        guard n > 0 else { return [] }
        var cost = [Double](repeating: 0, count: n + 1)
        func text(_ range: Range<Int>) -> String { String(String.UnicodeScalarView(s[range])) }
        func bestMatch(_ i: Int) -> (Double, Int) {
            var best = (Double.infinity, 1)
            for length in 1...min(i, maxWord) {
                let candidate =
                    cost[i - length] + (wordCost[text((i - length)..<i).lowercased()] ?? .infinity)
                if length == 1 || candidate < best.0 { best = (candidate, length) }
            }
            return best
        }
        for i in 1...n { cost[i] = bestMatch(i).0 }
        var out: [String] = []
        var i = n
        while i > 0 {
            let length = bestMatch(i).1
            let token = text((i - length)..<i)
            var isNew = true
            if token != "'", let last = out.last {
                if last == "'s"
                    || (Self.isDigit(s[i - 1]) && last.unicodeScalars.first.map(Self.isDigit) == true)
                {
                    out[out.count - 1] = token + last
                    isNew = false
                }
            }
            if isNew { out.append(token) }
            i -= length
        }
        return out.reversed()
    }

    /// Python's `str.isdigit()` for one character.
    private static func isDigit(_ c: Unicode.Scalar) -> Bool {
        let type = c.properties.numericType
        return type == .decimal || type == .digit
    }
}

// dalle-mini's `HashtagProcessor`: word segmentation by word-frequency costs (wordninja's dynamic
// programming with dalle-mini's apostrophe and digit re-attachment), over a frequency list.
import Foundation

/// Splits run-together words (`sunsetbeach` -> `sunset beach`) with a frequency-ranked word list.
public final class HashtagSplitter: Sendable {
    /// The listed words a piece can match (those made of `a-z`, `0-9`, `'`), read backwards.
    let words: ReversedWordTrie
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

    /// Parses a word list given as text (Python's `splitlines()` line ends). Word i (0-based
    /// line) costs `log(i + 1)`; a word listed twice keeps its last line, as a Python dict does.
    public init(lines text: String, source: String) throws {
        var trie = ReversedWordTrie()
        var longest = 0
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0.isNewline })
        if lines.last?.isEmpty == true { lines.removeLast() }
        for (index, line) in lines.enumerated() {
            guard let word = line.split(whereSeparator: { $0.isWhitespace }).first else {
                throw TextTableError(
                    file: source, line: index + 1, reason: "blank line in the word-frequency list")
            }
            trie.insert(word.utf8, cost: Foundation.log(Double(index + 1)))
            longest = max(longest, word.unicodeScalars.count)
        }
        guard !lines.isEmpty else {
            throw TextTableError(file: source, line: 0, reason: "the word-frequency list is empty")
        }
        words = trie
        maxWord = longest
    }

    /// `HashtagProcessor.__call__(s)`: pieces split on `[^a-zA-Z0-9']+`, each segmented, all
    /// tokens joined with single spaces.
    public func split(_ s: String) -> String {
        var bytes: [UInt8] = []
        var pieceStart = 0
        // Pieces hold only ASCII; every other character separates them like a space.
        for scalar in s.unicodeScalars {
            bytes.append(Self.isPieceByte(scalar.value) ? UInt8(scalar.value) : 0x20)
        }
        var out: [UInt8] = []
        for i in 0...bytes.count where i == bytes.count || bytes[i] == 0x20 {
            if i > pieceStart { append(segmenting: bytes[pieceStart..<i], to: &out) }
            pieceStart = i + 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `[a-zA-Z0-9']`.
    static func isPieceByte(_ c: UInt32) -> Bool {
        (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A) || c == 0x27
    }

    /// `_split(piece)` appended to `out`, tokens separated by single spaces (with a space before
    /// the first when `out` is not empty). `piece` holds only `[a-zA-Z0-9']`.
    func append(segmenting piece: ArraySlice<UInt8>, to out: inout [UInt8]) {
        let n = piece.count
        guard n > 0 else { return }
        let s = Array(piece)
        // cost[i]: cheapest segmentation of s[..<i]; bestLength[i]: its last word. Ties keep the
        // shorter word: only a strictly cheaper longer word replaces the one-character candidate.
        var cost = [Double](repeating: 0, count: n + 1)
        var bestLength = [Int](repeating: 1, count: n + 1)
        for i in 1...n {
            var best = Double.infinity
            var length = 0
            var node = ReversedWordTrie.root
            while length < i, let child = words.child(node, Self.lowercased(s[i - 1 - length])) {
                node = child
                length += 1
                let candidate = cost[i - length] + words.cost(node)
                if length == 1 {
                    best = candidate
                } else if candidate < best {
                    best = candidate
                    bestLength[i] = length
                }
            }
            if length == 0 { best = cost[i - 1] + .infinity }
            cost[i] = best
        }
        // The backtrack, right to left: a split "'s" and digit runs are glued to the token before.
        var tokens: [Range<Int>] = []
        var i = n
        while i > 0 {
            let token = (i - bestLength[i])..<i
            if !(token.count == 1 && s[token.lowerBound] == 0x27), let last = tokens.last,
                (last.count == 2 && s[last.lowerBound] == 0x27 && s[last.lowerBound + 1] == 0x73)
                    || (Self.isDigit(s[i - 1]) && Self.isDigit(s[last.lowerBound]))
            {
                tokens[tokens.count - 1] = token.lowerBound..<last.upperBound
            } else {
                tokens.append(token)
            }
            i = token.lowerBound
        }
        for token in tokens.reversed() {
            if !out.isEmpty { out.append(0x20) }
            out.append(contentsOf: s[token])
        }
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    private static func lowercased(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c | 0x20 : c }
}

/// The words of a list that consist of `a-z`, `0-9` and `'` only, stored as a trie of their
/// reversed bytes: walking back from the end of a piece visits every listed word ending there.
/// Children live in one open-addressing table keyed by (node, byte).
struct ReversedWordTrie: Sendable {
    static let root: Int32 = 0
    /// Cost of the word ending at each node (+infinity: no word ends there).
    private var costs: [Double] = [.infinity]
    /// Slots of the child table: key (node << 8 | byte) + 1 (0: empty), and the child node.
    private var keys: [UInt64] = Array(repeating: 0, count: 1024)
    private var children: [Int32] = Array(repeating: 0, count: 1024)
    private var used = 0

    /// Adds `word` (ignored unless it is made of `[a-z0-9']`) with `cost`, replacing an earlier cost.
    mutating func insert(_ word: Substring.UTF8View, cost: Double) {
        guard !word.isEmpty,
            word.allSatisfy({ HashtagSplitter.isPieceByte(UInt32($0)) && !($0 >= 0x41 && $0 <= 0x5A) })
        else { return }
        var node = Self.root
        for byte in word.reversed() {
            if let child = child(node, byte) {
                node = child
                continue
            }
            let child = Int32(costs.count)
            costs.append(.infinity)
            setChild(node, byte, child)
            node = child
        }
        costs[Int(node)] = cost
    }

    /// The child of `node` for `byte`, if any.
    @inline(__always)
    func child(_ node: Int32, _ byte: UInt8) -> Int32? {
        let key = (UInt64(node) << 8 | UInt64(byte)) + 1
        let mask = keys.count - 1
        var slot = Self.hash(key) & mask
        while true {
            let stored = keys[slot]
            if stored == key { return children[slot] }
            if stored == 0 { return nil }
            slot = (slot + 1) & mask
        }
    }

    /// The cost of the word ending at `node` (+infinity when none does).
    @inline(__always)
    func cost(_ node: Int32) -> Double { costs[Int(node)] }

    private mutating func setChild(_ node: Int32, _ byte: UInt8, _ child: Int32) {
        if (used + 1) * 2 > keys.count { grow() }
        let key = (UInt64(node) << 8 | UInt64(byte)) + 1
        let mask = keys.count - 1
        var slot = Self.hash(key) & mask
        while keys[slot] != 0 { slot = (slot + 1) & mask }
        keys[slot] = key
        children[slot] = child
        used += 1
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldChildren = children
        keys = Array(repeating: 0, count: oldKeys.count * 2)
        children = Array(repeating: 0, count: oldKeys.count * 2)
        let mask = keys.count - 1
        for (key, child) in zip(oldKeys, oldChildren) where key != 0 {
            var slot = Self.hash(key) & mask
            while keys[slot] != 0 { slot = (slot + 1) & mask }
            keys[slot] = key
            children[slot] = child
        }
    }

    @inline(__always)
    private static func hash(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32)
    }
}

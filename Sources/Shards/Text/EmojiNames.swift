// emoji 2.16.0's `demojize` with its defaults: each emoji becomes ":" + its English name + ":";
// ZWJ sequences missing from the table are split into their parts; stray U+FE0E/U+FE0F are dropped.

/// Port of emoji's tokenizer (`emoji.tokenizer.tokenize`, keep_zwj) and `demojize`.
enum EmojiNames {
    private static let zwj: UInt32 = 0x200D

    /// One token of the tokenizer: a plain character or a matched emoji key.
    private struct Token {
        var scalars: [UInt32]
        var isEmoji: Bool
    }

    /// `emoji.demojize(text)`.
    static func demojize(_ text: [Unicode.Scalar], tables: TextTables) -> [Unicode.Scalar] {
        // No emoji key is a single ASCII character, and an ASCII start (`#`, `*`, digits) only
        // continues with U+FE0F or U+20E3: without a non-ASCII start or selector nothing changes.
        guard
            text.contains(where: {
                !$0.isASCII
                    && ($0.value == 0xFE0E || $0.value == 0xFE0F || $0.value == 0x20E3
                        || tables.emojiStarts.contains($0.value))
            })
        else { return text }
        let string = text.map(\.value)
        var output: [Token] = []
        var result: [Token] = []
        var ignore = Set<Int>()
        var i = 0
        let length = string.count
        func inTree(_ path: [UInt32]) -> Bool {
            tables.emojiPrefixes.contains(path) || tables.emoji[path] != nil
        }
        while i < length {
            var consumed = false
            let char = string[i]
            if ignore.contains(i) {
                i += 1
                if char == zwj { result.append(Token(scalars: [char], isEmoji: false)) }
                continue
            } else if tables.emojiStarts.contains(char) {
                var j = i + 1
                var path = [char]
                while j < length, inTree(path + [string[j]]) {
                    if ignore.contains(j) { break }
                    path.append(string[j])
                    j += 1
                }
                if tables.emoji[path] != nil {
                    result.append(Token(scalars: path, isEmoji: true))
                    i = j - 1
                    consumed = true
                }
            } else if char == zwj, let last = result.last, tables.emoji[last.scalars] != nil, i > 0,
                tables.emojiStarts.contains(string[i - 1])
            {
                ignore.insert(i)
                if tables.emoji[last.scalars]!.isComponent {
                    i -= result.suffix(2).reduce(0) { $0 + $1.scalars.count }
                    if string[i] == zwj {
                        i += 1
                        result.removeLast()
                    } else {
                        result.removeLast(min(2, result.count))
                    }
                } else {
                    i -= last.scalars.count
                    result.removeLast()
                }
                continue
            } else if !result.isEmpty {
                output.append(contentsOf: result)
                result = []
            }
            if !consumed && char != 0xFE0E && char != 0xFE0F {
                result.append(Token(scalars: [char], isEmoji: false))
            }
            i += 1
        }
        output.append(contentsOf: result)
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        for token in output {
            if token.isEmoji, let entry = tables.emoji[token.scalars] {
                out.append(":")
                out.append(contentsOf: entry.name.unicodeScalars)
                out.append(":")
            } else {
                out.append(contentsOf: token.scalars.compactMap(Unicode.Scalar.init))
            }
        }
        return out
    }
}

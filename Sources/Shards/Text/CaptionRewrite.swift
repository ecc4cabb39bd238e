// Steps 6-27 of dalle-mini's `TextNormalizer` on the lowercase ASCII caption: each is one `re.sub`
// of `dalle_mini/model/text.py`, written out as a left-to-right scan with Python's semantics
// (leftmost, non-overlapping matches; a consumed character is no context for the next match).

/// The regular-expression steps of the normalizer, over ASCII bytes.
enum CaptionRewrite {
    typealias Bytes = [UInt8]

    static func isWord(_ c: UInt8) -> Bool { isDigit(c) || isLetter(c) || c == 0x5F }
    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    static func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }
    /// Python's `\s` on the ASCII the caption holds from step 5 on.
    static func isSpace(_ c: UInt8) -> Bool {
        c == 0x20 || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F)
    }

    private static func starts(_ t: Bytes, _ i: Int, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard i + count <= t.count else { return false }
        return literal.withUTF8Buffer { buffer in
            for k in 0..<count where t[i + k] != buffer[k] { return false }
            return true
        }
    }

    /// Whether `literal` occurs in `t`.
    static func find(_ t: Bytes, _ literal: StaticString) -> Bool {
        let first = literal.withUTF8Buffer { $0[0] }
        for i in t.indices where t[i] == first && starts(t, i, literal) { return true }
        return false
    }

    /// Step 6, first part: `<person>([,\s]*(and)*[,\s]*<person>)+` -> " people ".
    static func mergePeople(_ t: Bytes) -> Bytes {
        guard t.count >= 16, t.contains(0x3C) else { return t }
        var out = Bytes()
        out.reserveCapacity(t.count)
        var i = 0
        while i < t.count {
            if starts(t, i, "<person>") {
                var end = i + 8
                var repeats = 0
                while true {
                    var j = end
                    while j < t.count, t[j] == 0x2C || isSpace(t[j]) { j += 1 }
                    while starts(t, j, "and") { j += 3 }
                    while j < t.count, t[j] == 0x2C || isSpace(t[j]) { j += 1 }
                    guard starts(t, j, "<person>") else { break }
                    end = j + 8
                    repeats += 1
                }
                if repeats > 0 {
                    out.append(contentsOf: Array(" people ".utf8))
                    i = end
                    continue
                }
            }
            out.append(t[i])
            i += 1
        }
        return out
    }

    /// Step 6, second part: each remaining `<person>`, left to right, -> " " + drawn token + " ".
    static func replacePersons(_ t: Bytes, draw: () -> String) -> Bytes {
        guard t.count >= 8, t.contains(0x3C) else { return t }
        var out = Bytes()
        var i = 0
        while i < t.count {
            if starts(t, i, "<person>") {
                out.append(0x20)
                out.append(contentsOf: Array(draw().utf8))
                out.append(0x20)
                i += 8
            } else {
                out.append(t[i])
                i += 1
            }
        }
        return out
    }

    /// Step 7: `\A\s*\[\d+\]` removed, then `\[\d+\]\s*\Z` removed.
    static func removeWikiReferences(_ t: Bytes) -> Bytes {
        var t = t
        var i = 0
        while i < t.count, isSpace(t[i]) { i += 1 }
        if i < t.count, t[i] == 0x5B {
            var j = i + 1
            while j < t.count, isDigit(t[j]) { j += 1 }
            if j > i + 1, j < t.count, t[j] == 0x5D { t.removeSubrange(0...j) }
        }
        var end = t.count
        while end > 0, isSpace(t[end - 1]) { end -= 1 }
        if end > 0, t[end - 1] == 0x5D {
            var j = end - 2
            while j >= 0, isDigit(t[j]) { j -= 1 }
            if j >= 0, j < end - 2, t[j] == 0x5B { t.removeSubrange(j...) }
        }
        return t
    }

    /// Step 8: `<[^<]+?>` -> " ".
    static func removeHTMLTags(_ t: Bytes) -> Bytes {
        guard t.contains(0x3C) else { return t }
        var out = Bytes()
        out.reserveCapacity(t.count)
        var i = 0
        while i < t.count {
            if t[i] == 0x3C, i + 1 < t.count, t[i + 1] != 0x3C {
                var k = i + 2
                while k < t.count, t[k] != 0x3E, t[k] != 0x3C { k += 1 }
                if k < t.count, t[k] == 0x3E {
                    out.append(0x20)
                    i = k + 1
                    continue
                }
            }
            out.append(t[i])
            i += 1
        }
        return out
    }

    /// Step 9: `http\S+` removed.
    static func removeURLs(_ t: Bytes) -> Bytes {
        guard find(t, "http") else { return t }
        var out = Bytes()
        out.reserveCapacity(t.count)
        var i = 0
        while i < t.count {
            if starts(t, i, "http"), i + 4 < t.count, !isSpace(t[i + 4]) {
                i += 4
                while i < t.count, !isSpace(t[i]) { i += 1 }
                continue
            }
            out.append(t[i])
            i += 1
        }
        return out
    }

    /// Step 10 (run twice by the caller): `(\d),(\d{3})` -> `\1\2`.
    static func removeCommaNumbers(_ t: Bytes) -> Bytes {
        guard t.contains(0x2C) else { return t }
        var out = Bytes()
        out.reserveCapacity(t.count)
        var i = 0
        while i < t.count {
            if isDigit(t[i]), i + 4 < t.count, t[i + 1] == 0x2C, isDigit(t[i + 2]), isDigit(t[i + 3]),
                isDigit(t[i + 4])
            {
                out.append(t[i])
                out.append(contentsOf: t[(i + 2)...(i + 4)])
                i += 5
                continue
            }
            out.append(t[i])
            i += 1
        }
        return out
    }

    /// `(X)sep(Y)` -> `\1` + `replacement` + `\2` with one-character classes X, Y (steps 11, 13, 14).
    static func replaceBetween(
        _ t: Bytes, separator: UInt8, replacement: StaticString, left: (UInt8) -> Bool, right: (UInt8) -> Bool
    ) -> Bytes {
        guard t.contains(separator) else { return t }
        var out = Bytes()
        out.reserveCapacity(t.count)
        var i = 0
        while i < t.count {
            if left(t[i]), i + 2 < t.count, t[i + 1] == separator, right(t[i + 2]) {
                out.append(t[i])
                replacement.withUTF8Buffer { out.append(contentsOf: $0) }
                out.append(t[i + 2])
                i += 3
                continue
            }
            out.append(t[i])
            i += 1
        }
        return out
    }

    /// Step 12: `'(?=([stdm]|(ll)|(re)|(ve)|(ll))\b)` -> "xtokxquotextokx".
    static func protectQuotes(_ t: Bytes) -> Bytes {
        guard t.contains(0x27) else { return t }
        func boundary(_ p: Int) -> Bool { p == t.count || !isWord(t[p]) }
        var out = Bytes()
        out.reserveCapacity(t.count)
        for i in t.indices {
            guard t[i] == 0x27 else {
                out.append(t[i])
                continue
            }
            let isSingle = i + 1 < t.count && [0x73, 0x74, 0x64, 0x6D].contains(t[i + 1]) && boundary(i + 2)
            let isDouble = starts(t, i + 1, "ll") || starts(t, i + 1, "re") || starts(t, i + 1, "ve")
            if isSingle || (isDouble && boundary(i + 3)) {
                out.append(contentsOf: Array("xtokxquotextokx".utf8))
            } else {
                out.append(t[i])
            }
        }
        return out
    }

    /// Each byte of `set` -> `replacement` (steps 14b, 16, 17, 18).
    static func replaceBytes(_ t: Bytes, _ set: (UInt8) -> Bool, with replacement: StaticString) -> Bytes {
        guard t.contains(where: set) else { return t }
        var out = Bytes()
        out.reserveCapacity(t.count + t.count / 4)
        for c in t {
            if set(c) {
                replacement.withUTF8Buffer { out.append(contentsOf: $0) }
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// Step 14, second part: `([%&\/$*])` -> ` \1 `.
    static func padBytes(_ t: Bytes, _ set: (UInt8) -> Bool) -> Bytes {
        guard t.contains(where: set) else { return t }
        var out = Bytes()
        out.reserveCapacity(t.count + 8)
        for c in t {
            if set(c) {
                out.append(contentsOf: [0x20, c, 0x20])
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// Step 15: `#(\w+)` -> the hashtag processor's output for the word.
    static func expandHashtags(_ t: Bytes, splitter: HashtagSplitter) -> Bytes {
        guard t.contains(0x23) else { return t }
        var out = Bytes()
        var i = 0
        while i < t.count {
            if t[i] == 0x23, i + 1 < t.count, isWord(t[i + 1]) {
                var j = i + 1
                while j < t.count, isWord(t[j]) { j += 1 }
                out.append(
                    contentsOf: Array(splitter.split(String(decoding: t[(i + 1)..<j], as: UTF8.self)).utf8))
                i = j
                continue
            }
            out.append(t[i])
            i += 1
        }
        return out
    }

    /// Steps 19-21: every (non-overlapping, leftmost) `literal` -> `replacement`.
    static func replaceLiteral(_ t: Bytes, _ literal: StaticString, with replacement: UInt8) -> Bytes {
        guard find(t, literal) else { return t }
        var out = Bytes()
        out.reserveCapacity(t.count)
        var i = 0
        while i < t.count {
            if starts(t, i, literal) {
                out.append(replacement)
                i += literal.utf8CodeUnitCount
            } else {
                out.append(t[i])
                i += 1
            }
        }
        return out
    }

    /// Step 22: `(\D)(\1{3,})` -> `\1`: runs of 4 or more equal non-digits become one.
    static func removeRepeatingChars(_ t: Bytes) -> Bytes {
        var longestRun = 1
        var run = 1
        for i in t.indices.dropFirst() {
            run = t[i] == t[i - 1] ? run + 1 : 1
            longestRun = max(longestRun, run)
        }
        guard longestRun >= 4 else { return t }
        var out = Bytes()
        out.reserveCapacity(t.count)
        var i = 0
        while i < t.count {
            var j = i + 1
            while j < t.count, t[j] == t[i] { j += 1 }
            if j - i >= 4 && !isDigit(t[i]) {
                out.append(t[i])
            } else {
                out.append(contentsOf: t[i..<j])
            }
            i = j
        }
        return out
    }

    /// Steps 23 and 24: every maximal run of whitespace and `mark` holding at least one `mark`
    /// -> `replacement` (`(\s*"+\s*)+` -> ' " ', `(\s*,+\s*)+` -> ", ").
    static func mergeRuns(_ t: Bytes, of mark: UInt8, with replacement: StaticString) -> Bytes {
        guard t.contains(mark) else { return t }
        var out = Bytes()
        out.reserveCapacity(t.count)
        var i = 0
        while i < t.count {
            guard t[i] == mark || isSpace(t[i]) else {
                out.append(t[i])
                i += 1
                continue
            }
            var j = i
            var hasMark = false
            while j < t.count, t[j] == mark || isSpace(t[j]) {
                hasMark = hasMark || t[j] == mark
                j += 1
            }
            if hasMark {
                replacement.withUTF8Buffer { out.append(contentsOf: $0) }
            } else {
                out.append(contentsOf: t[i..<j])
            }
            i = j
        }
        return out
    }

    /// Step 25: `\s+` -> " ".
    static func collapseSpaces(_ t: Bytes) -> Bytes {
        guard
            t.indices.contains(where: { isSpace(t[$0]) && (t[$0] != 0x20 || ($0 > 0 && isSpace(t[$0 - 1]))) })
        else { return t }
        var out = Bytes()
        out.reserveCapacity(t.count)
        var i = 0
        while i < t.count {
            if isSpace(t[i]) {
                while i < t.count, isSpace(t[i]) { i += 1 }
                out.append(0x20)
            } else {
                out.append(t[i])
                i += 1
            }
        }
        return out
    }

    /// Step 26: `strip()`, one trailing and one leading comma dropped, `strip()` again.
    static func trimCommas(_ t: Bytes) -> ArraySlice<UInt8> {
        var s = t[...]
        func strip() {
            while let first = s.first, isSpace(first) { s.removeFirst() }
            while let last = s.last, isSpace(last) { s.removeLast() }
        }
        strip()
        if s.last == 0x2C { s.removeLast() }
        if s.first == 0x2C { s.removeFirst() }
        strip()
        return s
    }
}

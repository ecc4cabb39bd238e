// Special tokens (`<s>`, `<pad>`, `</s>`, `<unk>`, `<mask>`) are cut out of the text before
// pre-tokenization, as Hugging Face's added-token splitter does (leftmost, longest, case-sensitive).

/// One special token: its literal text, its id and which adjacent whitespace it swallows.
struct SpecialToken: Sendable, Equatable {
    var content: String
    var id: Int32
    /// Swallow the whitespace run directly before the token (`<mask>` in BART).
    var stripsLeft: Bool
    /// Swallow the whitespace run directly after the token.
    var stripsRight: Bool
}

/// A stretch of the input: text to pre-tokenize, or a special token already resolved to its id.
enum Segment {
    case text(Range<Int>)
    case special(Int32)
}

/// Finds special-token literals in UTF-8 text.
struct SpecialTokenMatcher: Sendable {
    private let tokens: [(bytes: [UInt8], token: SpecialToken)]
    /// Whether some token starts with this byte (most bytes are ruled out with one load).
    private let isFirstByte: [Bool]

    init(_ tokens: [SpecialToken]) {
        let nonEmpty = tokens.filter { !$0.content.isEmpty }
        self.tokens = nonEmpty.map { (Array($0.content.utf8), $0) }
        var isFirstByte = [Bool](repeating: false, count: 256)
        for (bytes, _) in self.tokens { isFirstByte[Int(bytes[0])] = true }
        self.isFirstByte = isFirstByte
    }

    /// Calls `body` with every segment of `bytes` in order; stops early when `body` returns false.
    func forEachSegment(in bytes: UnsafeBufferPointer<UInt8>, _ body: (Segment) -> Bool) {
        var textStart = 0
        var position = 0
        while position < bytes.count {
            guard isFirstByte[Int(bytes[position])], let match = longestMatch(in: bytes, at: position) else {
                position += 1
                continue
            }
            var textEnd = position
            if match.token.stripsLeft {
                while textEnd > textStart, let previous = whitespaceStart(before: textEnd, in: bytes),
                    previous >= textStart
                {
                    textEnd = previous
                }
            }
            if textEnd > textStart, !body(.text(textStart..<textEnd)) { return }
            if !body(.special(match.token.id)) { return }
            position += match.count
            if match.token.stripsRight {
                while position < bytes.count {
                    let (value, length) = PreTokenizer.decode(bytes, at: position)
                    if ScalarClass.of(value) != .whitespace { break }
                    position += length
                }
            }
            textStart = position
        }
        if textStart < bytes.count { _ = body(.text(textStart..<bytes.count)) }
    }

    /// The longest token whose bytes start at `position`.
    private func longestMatch(
        in bytes: UnsafeBufferPointer<UInt8>, at position: Int
    ) -> (token: SpecialToken, count: Int)? {
        var best: (token: SpecialToken, count: Int)? = nil
        for (candidate, token) in tokens where candidate.count <= bytes.count - position {
            if candidate.count <= (best?.count ?? 0) { continue }
            var matches = true
            for (offset, byte) in candidate.enumerated() where bytes[position + offset] != byte {
                matches = false
                break
            }
            if matches { best = (token, candidate.count) }
        }
        return best
    }

    /// Start of the scalar that ends at `end`, if that scalar is whitespace.
    private func whitespaceStart(before end: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var start = end - 1
        while start > 0 && bytes[start] & 0xC0 == 0x80 { start -= 1 }
        let (value, _) = PreTokenizer.decode(bytes, at: start)
        return ScalarClass.of(value) == .whitespace ? start : nil
    }
}

// GPT-2's pre-tokenization, hand-written over UTF-8 bytes: the regex
// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` as Oniguruma runs it.

/// What the GPT-2 pattern distinguishes about one scalar.
enum ScalarClass: UInt8 {
    /// `\p{L}`: general categories Lu, Ll, Lt, Lm, Lo.
    case letter
    /// `\p{N}`: general categories Nd, Nl, No.
    case number
    /// `\s`: the Unicode White_Space property.
    case whitespace
    /// Everything else (`[^\s\p{L}\p{N}]`): punctuation, symbols, marks, controls, unassigned.
    case other

    /// Classes of the 128 ASCII scalars.
    private static let ascii: [ScalarClass] = (0..<128).map { classify(Unicode.Scalar(UInt8($0))) }

    /// The class of the scalar with value `value` (a valid scalar value).
    @inline(__always)
    static func of(_ value: UInt32) -> ScalarClass {
        if value < 128 { return ascii[Int(value)] }
        return classify(Unicode.Scalar(value) ?? "\u{FFFD}")
    }

    /// The class from the scalar's Unicode properties.
    static func classify(_ scalar: Unicode.Scalar) -> ScalarClass {
        let properties = scalar.properties
        if properties.isWhitespace { return .whitespace }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return .other
        }
    }
}

/// Splits text (UTF-8 bytes) into the pieces BPE runs on, exactly as GPT-2's pattern does.
enum PreTokenizer {
    /// Calls `body` with the byte range of every piece of `bytes[range]`, in order.
    ///
    /// The range is matched as a whole string: its end is the end of input for `\s+(?!\S)`.
    /// `bytes` must be valid UTF-8 and `range` must start and end on scalar boundaries.
    static func forEachPiece(
        in bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>, _ body: (Range<Int>) -> Bool
    ) {
        let end = range.upperBound
        var start = range.lowerBound
        while start < end {
            let (value, length) = decode(bytes, at: start)
            let next = start + length
            var pieceEnd: Int
            if value == 0x27, let contraction = contractionLength(bytes, at: next, end: end) {
                pieceEnd = next + contraction
            } else {
                let kind = ScalarClass.of(value)
                if kind != .whitespace {
                    pieceEnd = run(of: kind, in: bytes, from: next, end: end)
                } else if value == 0x20 && next < end, case let (after, _) = decode(bytes, at: next),
                    ScalarClass.of(after) != .whitespace
                {
                    // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: one U+0020 joins the following run.
                    pieceEnd = run(of: ScalarClass.of(after), in: bytes, from: next, end: end)
                } else {
                    pieceEnd = whitespaceRun(in: bytes, from: start, end: end)
                }
            }
            if !body(start..<pieceEnd) { return }
            start = pieceEnd
        }
    }

    /// `\s+(?!\S)|\s+` from `start` (a whitespace scalar): the whole run when it reaches the end,
    /// all but its last scalar when a non-space follows a run of two or more, else the one scalar.
    private static func whitespaceRun(in bytes: UnsafeBufferPointer<UInt8>, from start: Int, end: Int) -> Int
    {
        var lastStart = start
        var position = start
        while position < end {
            let (value, length) = decode(bytes, at: position)
            if ScalarClass.of(value) != .whitespace { break }
            lastStart = position
            position += length
        }
        if position == end || lastStart == start { return position }
        return lastStart
    }

    /// End of the run of scalars of class `kind` starting at `position`.
    @inline(__always)
    private static func run(
        of kind: ScalarClass, in bytes: UnsafeBufferPointer<UInt8>, from position: Int, end: Int
    ) -> Int {
        var position = position
        while position < end {
            let byte = bytes[position]
            if byte < 0x80 {
                if ScalarClass.of(UInt32(byte)) != kind { break }
                position += 1
            } else {
                let (value, length) = decode(bytes, at: position)
                if ScalarClass.of(value) != kind { break }
                position += length
            }
        }
        return position
    }

    /// Length after the apostrophe of `s|t|re|ve|m|ll|d` at `position`, if one starts there.
    @inline(__always)
    private static func contractionLength(
        _ bytes: UnsafeBufferPointer<UInt8>, at position: Int, end: Int
    ) -> Int? {
        guard position < end else { return nil }
        let first = bytes[position]
        switch first {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"):
            return 1
        case UInt8(ascii: "r"), UInt8(ascii: "v"):
            return position + 1 < end && bytes[position + 1] == UInt8(ascii: "e") ? 2 : nil
        case UInt8(ascii: "l"):
            return position + 1 < end && bytes[position + 1] == UInt8(ascii: "l") ? 2 : nil
        default:
            return nil
        }
    }

    /// The scalar value and byte length of the (valid) UTF-8 sequence at `position`.
    @inline(__always)
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at position: Int) -> (UInt32, Int) {
        let lead = UInt32(bytes[position])
        if lead < 0x80 { return (lead, 1) }
        if lead < 0xE0 {
            return ((lead & 0x1F) << 6 | UInt32(bytes[position + 1] & 0x3F), 2)
        }
        if lead < 0xF0 {
            let value =
                (lead & 0x0F) << 12 | UInt32(bytes[position + 1] & 0x3F) << 6
                | UInt32(bytes[position + 2] & 0x3F)
            return (value, 3)
        }
        let value =
            (lead & 0x07) << 18 | UInt32(bytes[position + 1] & 0x3F) << 12
            | UInt32(bytes[position + 2] & 0x3F) << 6 | UInt32(bytes[position + 3] & 0x3F)
        return (value, 4)
    }
}

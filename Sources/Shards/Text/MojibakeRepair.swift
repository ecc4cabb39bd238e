// ftfy 6.3.1's `fix_encoding`: when the "badness" heuristic flags mojibake, re-encode the text in
// the first single-byte encoding that can hold it and decode the bytes as UTF-8 (with ftfy's byte
// fix-ups); otherwise repair embedded UTF-8 runs, Latin-1/Windows-1252 mix-ups and C1 controls.
import Foundation

/// Port of `ftfy.fix_encoding` and its helpers (`restore_byte_a0`, `replace_lossy_sequences`,
/// `decode_inconsistent_utf8`, the `utf-8-variants` codec).
struct MojibakeRepair {
    let tables: TextTables

    /// `fix_encoding(text)`: one-step repairs until the text stops changing.
    func fixEncoding(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var text = text
        while true {
            let fixed = fixOneStep(text)
            if fixed == text { return text }
            text = fixed
        }
    }

    /// `_fix_encoding_one_step_and_explain`.
    func fixOneStep(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        if text.allSatisfy(\.isASCII) || !isBad(text) { return text }
        var possible: [String] = []
        for (name, table) in tables.charmaps {
            guard var bytes = encode(text, table) else { continue }
            possible.append(name)
            if name != "macroman" && Self.hasAlteredUTF8(bytes) { bytes = Self.restoreByteA0(bytes) }
            if name.hasPrefix("sloppy") { bytes = Self.replaceLossySequences(bytes) }
            if let decoded = Self.decodeUTF8Variants(bytes) { return decoded }
        }
        let string = String(String.UnicodeScalarView(text))
        let range = NSRange(string.startIndex..., in: string)
        if tables.utf8Detector.firstMatch(in: string, range: range) != nil {
            let fixed = decodeInconsistentUTF8(string, count: text.count)
            if fixed != text { return fixed }
        }
        if possible.contains("latin-1") {
            let latin1 = text.map { Int($0.value) }
            if latin1.allSatisfy({ tables.windows1252[$0] >= 0 }) {
                let fixed = latin1.map { Unicode.Scalar(UInt32(tables.windows1252[$0]))! }
                if fixed != text { return fixed }
            }
        }
        if text.contains(where: { (0x80...0x9F).contains($0.value) }) {
            return TextRepair(tables: tables).fixC1Controls(text)
        }
        return text
    }

    /// `badness.is_bad`: whether the mojibake heuristic matches anywhere.
    func isBad(_ text: [Unicode.Scalar]) -> Bool {
        guard text.contains(where: { !$0.isASCII && tables.badnessCharacters.contains($0.value) }) else {
            return false
        }
        let string = String(String.UnicodeScalarView(text))
        return tables.badness.firstMatch(in: string, range: NSRange(string.startIndex..., in: string)) != nil
    }

    /// `UTF8_DETECTOR_RE.sub(fix_embedded_mojibake, text)`.
    private func decodeInconsistentUTF8(_ string: String, count: Int) -> [Unicode.Scalar] {
        let matches = tables.utf8Detector.matches(
            in: string, range: NSRange(string.startIndex..., in: string))
        var out: [Unicode.Scalar] = []
        var last = string.startIndex
        for match in matches {
            guard let range = Range(match.range, in: string) else { continue }
            out.append(contentsOf: string.unicodeScalars[last..<range.lowerBound])
            let piece = Array(string.unicodeScalars[range])
            if piece.count < count && isBad(piece) {
                out.append(contentsOf: fixEncoding(piece))
            } else {
                out.append(contentsOf: piece)
            }
            last = range.upperBound
        }
        out.append(contentsOf: string.unicodeScalars[last...])
        return out
    }

    /// The bytes of `text` in a single-byte encoding, nil when a character has no byte
    /// (`chardata.possible_encoding`: ASCII except 0x1A, plus the characters of bytes 0x80-0xFF and 0x1A).
    private func encode(_ text: [Unicode.Scalar], _ table: [Int32]) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        for scalar in text {
            let value = scalar.value
            if value < 0x80 && value != 0x1A {
                bytes.append(UInt8(value))
                continue
            }
            guard
                let byte = (0x80...0xFF).first(where: { table[$0] == Int32(value) })
                    ?? (table[0x1A] == Int32(value) ? 0x1A : nil)
            else { return nil }
            bytes.append(UInt8(byte))
        }
        return bytes
    }

    private typealias ByteSet = (UInt8) -> Bool

    /// Length of a match of one alternative (a sequence of byte sets) at `i`, if any.
    private static func match(_ bytes: [UInt8], _ i: Int, _ sets: [ByteSet]) -> Bool {
        guard i + sets.count <= bytes.count else { return false }
        for (k, set) in sets.enumerated() where !set(bytes[i + k]) { return false }
        return true
    }

    private static let continuation: ByteSet = { (0x80...0xBF).contains($0) }
    private static let altered: [[ByteSet]] = {
        let middle: ByteSet = {
            (0x80...0x84).contains($0) || (0x86...0x9F).contains($0) || (0xA1...0xBF).contains($0)
        }
        let space: ByteSet = { $0 == 0x20 }
        return [
            [{ [0xC2, 0xC3, 0xC5, 0xCE, 0xD0, 0xD9].contains($0) }, space],
            [{ $0 == 0xE2 || $0 == 0xE3 }, space, middle],
            [{ (0xE0...0xE3).contains($0) }, middle, space],
            [{ $0 == 0xF0 }, space, continuation, continuation],
            [{ $0 == 0xF0 }, continuation, space, continuation],
            [{ $0 == 0xF0 }, continuation, continuation, space],
        ]
    }()

    /// `ALTERED_UTF8_RE.search(bytes)`.
    static func hasAlteredUTF8(_ bytes: [UInt8]) -> Bool {
        bytes.indices.contains { i in altered.contains { match(bytes, i, $0) } }
    }

    /// `restore_byte_a0`: "Ã " not before a space or "quele|quela|quilo|s " gets its A0 back, then
    /// every `ALTERED_UTF8_RE` match has its 0x20 bytes turned into 0xA0.
    static func restoreByteA0(_ input: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        var i = 0
        while i < input.count {
            if input[i] == 0xC3, i + 1 < input.count, input[i + 1] == 0x20 {
                let rest = input[(i + 2)...]
                let exceptions: [[UInt8]] = [
                    [0x20], Array("quele".utf8), Array("quela".utf8), Array("quilo".utf8), Array("s ".utf8),
                ]
                if !exceptions.contains(where: { rest.starts(with: $0) }) {
                    bytes.append(contentsOf: [0xC3, 0xA0, 0x20])
                    i += 2
                    continue
                }
            }
            bytes.append(input[i])
            i += 1
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        i = 0
        while i < bytes.count {
            if let alternative = altered.first(where: { match(bytes, i, $0) }) {
                out.append(contentsOf: bytes[i..<(i + alternative.count)].map { $0 == 0x20 ? 0xA0 : $0 })
                i += alternative.count
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    private static let lossy: [[ByteSet]] = {
        let sub: ByteSet = { $0 == 0x1A }
        let lost: ByteSet = { $0 == 0x1A || $0 == 0x3F }
        let lostOrContinuation: ByteSet = { $0 == 0x1A || $0 == 0x3F || (0x80...0xBF).contains($0) }
        let subOrContinuation: ByteSet = { $0 == 0x1A || (0x80...0xBF).contains($0) }
        let ed: ByteSet = { $0 == 0xED }
        let high: ByteSet = { (0xA0...0xAF).contains($0) }
        let low: ByteSet = { (0xB0...0xBF).contains($0) }
        let lead3: ByteSet = { (0xE0...0xEF).contains($0) }
        let lead4: ByteSet = { (0xF0...0xF4).contains($0) }
        return [
            [{ (0xC2...0xDF).contains($0) }, sub],
            [{ $0 == 0xC2 || $0 == 0xC3 }, { $0 == 0x3F }],
            [ed, high, lost, ed, low, lostOrContinuation],
            [ed, high, lostOrContinuation, ed, low, lost],
            [lead3, lost, subOrContinuation],
            [lead3, subOrContinuation, lost],
            [lead4, lost, subOrContinuation, subOrContinuation],
            [lead4, subOrContinuation, lost, subOrContinuation],
            [lead4, subOrContinuation, subOrContinuation, lost],
            [sub],
        ]
    }()

    /// `replace_lossy_sequences`: `LOSSY_UTF8_RE` matches become the UTF-8 bytes of U+FFFD.
    static func replaceLossySequences(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.contains(0x1A) || bytes.contains(0x3F) else { return bytes }
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if let alternative = lossy.first(where: { match(bytes, i, $0) }) {
                out.append(contentsOf: [0xEF, 0xBF, 0xBD])
                i += alternative.count
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    /// Strict UTF-8, plus (ftfy's `utf-8-variants`) CESU-8 surrogate pairs and Java's C0 80 for U+0000.
    static func decodeUTF8Variants(_ bytes: [UInt8]) -> [Unicode.Scalar]? {
        var out: [Unicode.Scalar] = []
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x80 {
                out.append(Unicode.Scalar(b))
                i += 1
                continue
            }
            if b == 0xC0, i + 1 < bytes.count, bytes[i + 1] == 0x80 {
                out.append("\u{0}")
                i += 2
                continue
            }
            if b == 0xED, i + 5 < bytes.count, (0xA0...0xAF).contains(bytes[i + 1]),
                continuation(bytes[i + 2]),
                bytes[i + 3] == 0xED, (0xB0...0xBF).contains(bytes[i + 4]), continuation(bytes[i + 5])
            {
                let high = 0xD000 | (UInt32(bytes[i + 1] & 0x3F) << 6) | UInt32(bytes[i + 2] & 0x3F)
                let low = 0xD000 | (UInt32(bytes[i + 4] & 0x3F) << 6) | UInt32(bytes[i + 5] & 0x3F)
                out.append(Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!)
                i += 6
                continue
            }
            let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
            guard i + length <= bytes.count,
                let string = String(validating: bytes[i..<(i + length)], as: UTF8.self)
            else { return nil }
            out.append(contentsOf: string.unicodeScalars)
            i += length
        }
        return out
    }
}

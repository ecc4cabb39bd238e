// ftfy 6.3.1's `fix_text` with its default configuration: per-line segments, the sticky "auto"
// HTML rule, and the repair loop (entities, mojibake, C1 controls, ligatures, widths, quotes,
// line breaks, terminal escapes, control characters, NFC) run until nothing changes.
import Foundation

/// Port of `ftfy.fix_text(text)` (default `TextFixerConfig`).
struct TextRepair {
    let tables: TextTables

    /// `ftfy.fix_text(text)`.
    func fixText(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        if text.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F && $0 != "&" }) { return text }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var unescapesHTML = true
        var start = 0
        while start < text.count {
            var end = text[start...].firstIndex(of: "\n").map { $0 + 1 } ?? text.count
            end = min(end, start + 1_000_000)
            let segment = Array(text[start..<end])
            if unescapesHTML && segment.contains("<") { unescapesHTML = false }
            out.append(contentsOf: fixSegment(segment, unescapesHTML: unescapesHTML))
            start = end
        }
        return out
    }

    /// `fix_and_explain` of one segment: the repair passes until a pass changes nothing.
    func fixSegment(_ segment: [Unicode.Scalar], unescapesHTML: Bool) -> [Unicode.Scalar] {
        var text = segment
        while true {
            let original = text
            if unescapesHTML { text = HTMLUnescape.ftfy(text, tables: tables) }
            text = MojibakeRepair(tables: tables).fixEncoding(text)
            text = fixC1Controls(text)
            text = translate(text, tables.ligatures)
            text = translate(text, tables.widthMap)
            text = text.map(uncurled)
            text = fixLineBreaks(text)
            text = removeTerminalEscapes(text)
            text = text.filter { !Self.isRemovedControl($0.value) }
            if text.contains(where: { $0.value >= 0x300 }) {  // below U+0300 every text is already NFC
                text = Array(
                    String(String.UnicodeScalarView(text)).precomposedStringWithCanonicalMapping
                        .unicodeScalars)
            }
            if text == original { return text }
        }
    }

    /// `fix_c1_controls`: U+0080-U+009F decoded as (sloppy) Windows-1252.
    func fixC1Controls(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains(where: { (0x80...0x9F).contains($0.value) }) else { return text }
        let sloppy1252 = tables.charmaps.first { $0.name == "sloppy-windows-1252" }!.table
        return text.map {
            (0x80...0x9F).contains($0.value) ? Unicode.Scalar(UInt32(sloppy1252[Int($0.value)]))! : $0
        }
    }

    private func translate(_ text: [Unicode.Scalar], _ map: [UInt32: [Unicode.Scalar]]) -> [Unicode.Scalar] {
        guard text.contains(where: { map[$0.value] != nil }) else { return text }
        return text.flatMap { map[$0.value] ?? [$0] }
    }

    /// `uncurl_quotes`: U+02BC and U+2018-U+201B -> ', U+201C-U+201F -> ".
    private func uncurled(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        switch scalar.value {
        case 0x02BC, 0x2018...0x201B: return "'"
        case 0x201C...0x201F: return "\""
        default: return scalar
        }
    }

    /// `fix_line_breaks`: CRLF, CR, U+2028, U+2029 and U+0085 -> LF.
    private func fixLineBreaks(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            switch text[i].value {
            case 0x0D:
                out.append("\n")
                if i + 1 < text.count && text[i + 1] == "\n" { i += 1 }
            case 0x2028, 0x2029, 0x85: out.append("\n")
            default: out.append(text[i])
            }
            i += 1
        }
        return out
    }

    /// `remove_terminal_escapes`: `\x1b\[((?:\d|;)*)([a-zA-Z])` removed.
    private func removeTerminalEscapes(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains("\u{1B}") else { return text }
        var out: [Unicode.Scalar] = []
        var i = 0
        while i < text.count {
            if text[i] == "\u{1B}", i + 1 < text.count, text[i + 1] == "[" {
                var j = i + 2
                while j < text.count,
                    text[j].isDigitASCII || text[j] == ";" || text[j].properties.numericType == .decimal
                {
                    j += 1
                }
                if j < text.count, ("a"..."z").contains(text[j]) || ("A"..."Z").contains(text[j]) {
                    i = j + 1
                    continue
                }
            }
            out.append(text[i])
            i += 1
        }
        return out
    }

    /// ftfy's `CONTROL_CHARS`: removed by `remove_control_chars` (TAB, LF, FF, CR are kept).
    static func isRemovedControl(_ value: UInt32) -> Bool {
        switch value {
        case 0x00...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x206A...0x206F, 0xFEFF, 0xFFF9...0xFFFC: return true
        default: return false
        }
    }
}

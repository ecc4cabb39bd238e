// HTML character references: Python 3.11's `html.unescape` (HTML5 rules) and ftfy's stricter
// `unescape_html` (only `&…;` with a known name, an all-caps variant, or a number).

/// The two HTML unescapers of the normalizer, over Unicode scalars.
enum HTMLUnescape {
    /// Python's `html.unescape(text)`: references matching
    /// `&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)` are decoded.
    static func python(_ text: [Unicode.Scalar], tables: TextTables) -> [Unicode.Scalar] {
        guard text.contains("&") else { return text }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            guard text[i] == "&", let (end, replacement) = pythonReference(text, at: i, tables: tables) else {
                out.append(text[i])
                i += 1
                continue
            }
            out.append(contentsOf: replacement)
            i = end
        }
        return out
    }

    /// The reference starting at `text[start] == "&"`: its end and replacement, nil when none matches.
    private static func pythonReference(_ text: [Unicode.Scalar], at start: Int, tables: TextTables)
        -> (Int, [Unicode.Scalar])?
    {
        var i = start + 1
        guard i < text.count else { return nil }
        if text[i] == "#" {
            i += 1
            var isHex = false
            if i < text.count, text[i] == "x" || text[i] == "X" {
                isHex = true
                i += 1
            }
            let digitsStart = i
            while i < text.count, isHex ? text[i].isHexDigitASCII : text[i].isDigitASCII { i += 1 }
            guard i > digitsStart else { return nil }
            let digits = String(String.UnicodeScalarView(text[digitsStart..<i]))
            if i < text.count, text[i] == ";" { i += 1 }
            return (i, numericReference(digits, radix: isHex ? 16 : 10, tables: tables))
        }
        let forbidden: Set<Unicode.Scalar> = ["\t", "\n", "\u{0C}", " ", "<", "&", "#", ";"]
        while i < text.count, i - start - 1 < 32, !forbidden.contains(text[i]) { i += 1 }
        guard i > start + 1 else { return nil }
        if i < text.count, text[i] == ";" { i += 1 }
        let name = Array(text[(start + 1)..<i])
        if let value = tables.html5Entities[String(String.UnicodeScalarView(name))] {
            return (i, Array(value.unicodeScalars))
        }
        for length in stride(from: name.count - 1, to: 1, by: -1) {
            if let value = tables.html5Entities[String(String.UnicodeScalarView(name[..<length]))] {
                return (i, Array(value.unicodeScalars) + name[length...])
            }
        }
        return (i, ["&"] + name)
    }

    /// Python's numeric reference rules: the HTML5 replacement table for 0x80-0x9F and 0x0D,
    /// U+FFFD for 0, surrogates and values above 0x10FFFF, nothing for invalid code points.
    static func numericReference(_ digits: String, radix: Int, tables: TextTables) -> [Unicode.Scalar] {
        let trimmed = digits.drop(while: { $0 == "0" })
        guard trimmed.count <= 8, let number = UInt32(trimmed.isEmpty ? "0" : String(trimmed), radix: radix),
            number <= 0x10FFFF
        else { return ["\u{FFFD}"] }
        if number == 0 { return ["\u{FFFD}"] }
        if number == 0x0D { return ["\r"] }
        if (0x80...0x9F).contains(number) {
            let mapped = tables.windows1252[Int(number)]
            return [Unicode.Scalar(UInt32(mapped < 0 ? Int32(number) : mapped))!]
        }
        if (0xD800...0xDFFF).contains(number) { return ["\u{FFFD}"] }
        if (0x01...0x08).contains(number) || number == 0x0B || (0x0E...0x1F).contains(number)
            || (0x7F...0x9F).contains(number) || (0xFDD0...0xFDEF).contains(number)
            || number & 0xFFFE == 0xFFFE
        {
            return []
        }
        return [Unicode.Scalar(number)!]
    }

    /// ftfy's `unescape_html`: each match of `&#?[0-9A-Za-z]{1,24};` is replaced when it is in
    /// ftfy's entity table, or when it is numeric and `html.unescape` consumes it whole.
    static func ftfy(_ text: [Unicode.Scalar], tables: TextTables) -> [Unicode.Scalar] {
        guard text.contains("&") else { return text }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            guard text[i] == "&" else {
                out.append(text[i])
                i += 1
                continue
            }
            var j = i + 1
            let isNumeric = j < text.count && text[j] == "#"
            if isNumeric { j += 1 }
            let nameStart = j
            while j < text.count, j - nameStart < 24, text[j].isAlphanumericASCII { j += 1 }
            guard j > nameStart, j < text.count, text[j] == ";" else {
                out.append(text[i])
                i += 1
                continue
            }
            let reference = Array(text[i...j])
            if let value = tables.ftfyEntities[String(String.UnicodeScalarView(reference))] {
                out.append(contentsOf: value.unicodeScalars)
            } else if isNumeric {
                let decoded = python(reference, tables: tables)
                out.append(contentsOf: decoded.contains(";") ? reference : decoded)
            } else {
                out.append(contentsOf: reference)
            }
            i = j + 1
        }
        return out
    }
}

extension Unicode.Scalar {
    var isDigitASCII: Bool { ("0"..."9").contains(self) }
    var isHexDigitASCII: Bool { isDigitASCII || ("a"..."f").contains(self) || ("A"..."F").contains(self) }
    var isAlphanumericASCII: Bool { isDigitASCII || ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
}

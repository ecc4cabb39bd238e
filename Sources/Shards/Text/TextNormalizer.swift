// dalle-mini 0.1.5's caption normalizer (`TextNormalizer` in dalle_mini/model/text.py), step by
// step in its order: ftfy, HTML unescape, emoji names, transliteration, lower case, then the
// regular-expression rewrites. Used for models whose config sets `normalize_text`.
import Foundation

/// Normalizes captions exactly as dalle-mini's `TextNormalizer()(caption)` does.
public final class TextNormalizer: Sendable {
    let tables: TextTables
    let splitter: HashtagSplitter

    /// A normalizer with the bundled tables and a word-frequency list for hashtags.
    public init(tables: TextTables, splitter: HashtagSplitter) {
        self.tables = tables
        self.splitter = splitter
    }

    /// The bundled tables with the word list in `wordFrequencies` (see `HashtagSplitter`).
    public convenience init(wordFrequencies: URL) throws {
        try self.init(tables: .bundled(), splitter: HashtagSplitter(contentsOf: wordFrequencies))
    }

    /// Why a model with `normalize_text` cannot run without a word list, and where dalle-mini's is.
    public static let missingWordListMessage =
        "normalizing captions as dalle-mini does (normalize_text) needs a word-frequency list for hashtag "
        + "splitting: pass --word-frequencies FILE (run config key word_frequencies), one word per line, most "
        + "frequent first. dalle-mini downloads enwiki-words-frequency.txt from the Hugging Face hub "
        + "repository dalle-mini/dalle-mini"

    /// `TextNormalizer()(caption)`. `uniform` gives the `random.random()` values of the
    /// `<person>` draws (one per `<person>` left after merging runs into "people").
    public func normalize(_ caption: String, uniform: () -> Double) -> String {
        rewrite(asciiLowercase(caption), uniform: uniform)
    }

    /// Steps 1-5: ftfy, `html.unescape` twice, `emoji.demojize`, `unidecode`, `lower`.
    func asciiLowercase(_ caption: String) -> [UInt8] {
        // Printable ASCII without `&` passes steps 1-4 unchanged (ftfy's and `html.unescape`'s
        // triggers are `&`, controls and non-ASCII; emoji and Unidecode map ASCII to itself).
        var caption = caption
        let plain = caption.withUTF8 { utf8 -> [UInt8]? in
            for byte in utf8 where byte < 0x20 || byte >= 0x7F || byte == 0x26 { return nil }
            return [UInt8](unsafeUninitializedCapacity: utf8.count) { buffer, count in
                for (i, byte) in utf8.enumerated() { buffer[i] = byte &+ (byte &- 0x41 < 26 ? 0x20 : 0) }
                count = utf8.count
            }
        }
        if let plain { return plain }
        var text = Array(caption.unicodeScalars)
        text = TextRepair(tables: tables).fixText(text)
        text = HTMLUnescape.python(HTMLUnescape.python(text, tables: tables), tables: tables)
        text = EmojiNames.demojize(text, tables: tables)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        for scalar in text {
            let value = Int(scalar.value)
            if value < 0x80 {
                bytes.append(UInt8(value) | (value >= 0x41 && value <= 0x5A ? 0x20 : 0))
            } else if value < TextTables.transliterationLimit {
                let range = Int(tables.asciiOffsets[value])..<Int(tables.asciiOffsets[value + 1])
                for byte in tables.asciiBytes[range] {
                    bytes.append(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
                }
            }
        }
        return bytes
    }

    /// Steps 6-27 on the lowercase ASCII caption. A step runs only when a byte it rewrites may
    /// occur: `present` holds every byte of the caption and every byte a step that ran inserted.
    func rewrite(_ text: [UInt8], uniform: () -> Double) -> String {
        typealias R = CaptionRewrite
        var present = ByteMask(text)
        var t = text
        if present.contains(0x3C) {  // <
            t = R.mergePeople(t)
            t = R.replacePersons(t) { PersonToken.draw(uniform()) }
            present.insert(" people a person someone somebody ")
        }
        t = R.removeWikiReferences(t)
        if present.contains(0x3C) && present.contains(0x3E) { t = R.removeHTMLTags(t) }
        if present.contains(0x68) { t = R.removeURLs(t) }  // h(ttp)
        if present.contains(0x2C) { t = R.removeCommaNumbers(R.removeCommaNumbers(t)) }
        if present.contains(0x2E) {
            t = R.replaceBetween(
                t, separator: 0x2E, replacement: "xtokxdotxtokx", left: R.isWord, right: R.isWord)
            present.insert("xtokxdotxtokx")
        }
        if present.contains(0x27) {
            t = R.protectQuotes(t)
            present.insert("xtokxquotextokx")
        }
        if present.contains(0x2F) {
            t = R.replaceBetween(
                t, separator: 0x2F, replacement: "xtokxslashxtokx", left: R.isDigit, right: R.isDigit)
            present.insert("xtokxslashxtokx")
        }
        if present.contains(0x2D) {
            t = R.replaceBetween(t, separator: 0x2D, replacement: " ", left: R.isWord, right: R.isWord)
            present.insert(" ")
        }
        if present.containsAny("%&/$*") {
            t = R.padBytes(t) { $0 == 0x25 || $0 == 0x26 || $0 == 0x2F || $0 == 0x24 || $0 == 0x2A }
            present.insert(" ")
        }
        if present.contains(0x23) {  // #
            t = R.expandHashtags(t, splitter: splitter)
            present.insert(" ")
        }
        if present.containsAny("_#\\") {
            t = R.replaceBytes(t, { $0 == 0x5F || $0 == 0x23 || $0 == 0x5C }, with: " ")
            present.insert(" ")
        }
        if present.containsAny("'\"`") {
            t = R.replaceBytes(t, { $0 == 0x27 || $0 == 0x22 || $0 == 0x60 }, with: " \" ")
            present.insert(" \"")
        }
        if present.containsAny("()[].,|:;?!=+~-/{}") {
            t = R.replaceBytes(t, Self.isCommaPunctuation, with: ",")
            present.insert(",")
        }
        if present.contains(0x78) {  // x(tokx)
            t = R.replaceLiteral(t, "xtokxdotxtokx", with: 0x2E)
            t = R.replaceLiteral(t, "xtokxquotextokx", with: 0x27)
            t = R.replaceLiteral(t, "xtokxslashxtokx", with: 0x2F)
        }
        t = R.removeRepeatingChars(t)
        if present.contains(0x22) { t = R.mergeRuns(t, of: 0x22, with: " \" ") }
        if present.contains(0x2C) { t = R.mergeRuns(t, of: 0x2C, with: ", ") }
        t = R.collapseSpaces(t)
        let trimmed = R.trimCommas(t)
        return String(unsafeUninitializedCapacity: trimmed.count + 1) { buffer in
            buffer[0] = 0x20
            _ = UnsafeMutableBufferPointer(rebasing: buffer[1...]).initialize(from: trimmed)
            return trimmed.count + 1
        }
    }

    /// `[()[\].,|:;?!=+~\-\/{}]`.
    private static func isCommaPunctuation(_ c: UInt8) -> Bool {
        switch c {
        case 0x28, 0x29, 0x5B, 0x5D, 0x2E, 0x2C, 0x7C, 0x3A, 0x3B, 0x3F, 0x21, 0x3D, 0x2B, 0x7E, 0x2D, 0x2F,
            0x7B,
            0x7D:
            return true
        default: return false
        }
    }
}

/// A set of ASCII bytes (bytes from 0x80 on are never members).
struct ByteMask {
    private var bits: (UInt64, UInt64) = (0, 0)

    /// The bytes of `text`.
    init(_ text: [UInt8]) {
        var low: UInt64 = 0
        var high: UInt64 = 0
        for byte in text {
            if byte < 64 { low |= 1 << UInt64(byte) } else { high |= 1 << UInt64(byte & 63) }
        }
        bits = (low, high)
    }

    /// Whether `byte` is a member.
    func contains(_ byte: UInt8) -> Bool {
        byte < 64 ? bits.0 & (1 << UInt64(byte)) != 0 : byte < 128 && bits.1 & (1 << UInt64(byte & 63)) != 0
    }

    /// Whether one of the bytes of `bytes` is a member.
    func containsAny(_ bytes: StaticString) -> Bool {
        bytes.withUTF8Buffer { $0.contains(where: contains) }
    }

    /// Adds the bytes of `bytes`.
    mutating func insert(_ bytes: StaticString) {
        let other = ByteMask(bytes.withUTF8Buffer { Array($0) })
        bits = (bits.0 | other.bits.0, bits.1 | other.bits.1)
    }
}

/// dalle-mini's `person_token` weights and the `random.choices` draw over them.
public enum PersonToken {
    /// (token, weight) in dalle-mini's order.
    public static let weighted: [(String, Double)] = [
        ("a person", 282265), ("someone", 121194), ("somebody", 12219),
    ]

    /// The token `random.choices` picks for `random.random() == u`: `bisect_right` of `u * 415678`
    /// in the cumulative weights [282265, 403459, 415678].
    public static func draw(_ u: Double) -> String {
        let x = u * 415678.0
        return x < 282265 ? "a person" : x < 403459 ? "someone" : "somebody"
    }
}

/// Uniform doubles in [0, 1) from SplitMix64 (53 random bits each): the project's seeded
/// generator, as used for the `<person>` draws.
public struct SeededUniforms {
    private var random: SplitMix64

    /// The stream of `seed`.
    public init(seed: UInt64) { random = SplitMix64(seed: seed) }

    /// The stream of one record's `<person>` draws in one epoch of a run with `seed`.
    static func personDraws(seed: UInt64, epoch: Int, record: Int) -> SeededUniforms {
        SeededUniforms(
            seed: SplitMix64.derive(seed, UInt64(epoch), RandomPurpose.personToken.rawValue, UInt64(record)))
    }

    /// The stream of the `<person>` draws of generation prompt `prompt` (0-based) with `seed`.
    public static func promptDraws(seed: UInt64, prompt: Int) -> SeededUniforms {
        SeededUniforms(
            seed: SplitMix64.derive(seed, RandomPurpose.promptPersonToken.rawValue, UInt64(prompt)))
    }

    /// The next value.
    public mutating func next() -> Double { Double(random.next() >> 11) * 0x1p-53 }
}

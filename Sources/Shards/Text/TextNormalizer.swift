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

    /// Steps 6-27 on the lowercase ASCII caption.
    func rewrite(_ text: [UInt8], uniform: () -> Double) -> String {
        typealias R = CaptionRewrite
        var t = R.mergePeople(text)
        t = R.replacePersons(t) { PersonToken.draw(uniform()) }
        t = R.removeWikiReferences(t)
        t = R.removeHTMLTags(t)
        t = R.removeURLs(t)
        t = R.removeCommaNumbers(R.removeCommaNumbers(t))
        t = R.replaceBetween(
            t, separator: 0x2E, replacement: "xtokxdotxtokx", left: R.isWord, right: R.isWord)
        t = R.protectQuotes(t)
        t = R.replaceBetween(
            t, separator: 0x2F, replacement: "xtokxslashxtokx", left: R.isDigit, right: R.isDigit)
        t = R.replaceBetween(t, separator: 0x2D, replacement: " ", left: R.isWord, right: R.isWord)
        t = R.padBytes(t) { $0 == 0x25 || $0 == 0x26 || $0 == 0x2F || $0 == 0x24 || $0 == 0x2A }
        t = R.expandHashtags(t, splitter: splitter)
        t = R.replaceBytes(t, { $0 == 0x5F || $0 == 0x23 || $0 == 0x5C }, with: " ")
        t = R.replaceBytes(t, { $0 == 0x27 || $0 == 0x22 || $0 == 0x60 }, with: " \" ")
        t = R.replaceBytes(t, Self.isCommaPunctuation, with: ",")
        t = R.replaceLiteral(t, "xtokxdotxtokx", with: 0x2E)
        t = R.replaceLiteral(t, "xtokxquotextokx", with: 0x27)
        t = R.replaceLiteral(t, "xtokxslashxtokx", with: 0x2F)
        t = R.removeRepeatingChars(t)
        t = R.mergeRuns(t, of: 0x22, with: " \" ")
        t = R.mergeRuns(t, of: 0x2C, with: ", ")
        t = R.collapseSpaces(t)
        return " " + String(decoding: R.trimCommas(t), as: UTF8.self)
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

    /// The next value.
    public mutating func next() -> Double { Double(random.next() >> 11) * 0x1p-53 }
}

// Prompts for generation: read from a text file (one caption a line) or JSON Lines (`text`),
// normalized (for a `normalize_text` model) and tokenized like training captions, with the
// prompts the tokenizer had to truncate.
import Foundation
import Shards

/// Captions and their token rows (`max_text_length` each).
public struct PromptList: Sendable {
    /// The prompts as given.
    public var texts: [String]
    /// The captions the model sees: `texts` after dalle-mini's normalization, or `texts`.
    public var modelTexts: [String]
    public var inputIDs: [[Int32]]
    public var attentionMasks: [[Int32]]
    /// Indices of the prompts longer than `max_text_length − 2` tokens (cut like training captions).
    public var truncated: [Int]

    /// Normalizes `texts` with `normalizer` (when given; prompt i's `<person>` draws come from
    /// `SeededUniforms.promptDraws(seed:prompt: i)`) and tokenizes them, as dalle-mini's processor
    /// does. Throws for an empty list or an empty prompt.
    public init(
        texts: [String], tokenizer: BartTokenizer, textLength: Int, normalizer: TextNormalizer? = nil,
        seed: UInt64 = 0
    ) throws {
        guard !texts.isEmpty else { throw SetupError("no prompts: give --prompt TEXT or --prompts FILE") }
        if let empty = texts.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw SetupError("prompt \(empty + 1) is empty (the unconditional caption is added by itself)")
        }
        self.texts = texts
        let modelTexts = texts.enumerated().map { index, text in
            guard let normalizer else { return text }
            var draws = SeededUniforms.promptDraws(seed: seed, prompt: index)
            return normalizer.normalize(text, uniform: { draws.next() })
        }
        self.modelTexts = modelTexts
        let encoded = modelTexts.map { tokenizer.encode($0, maxLength: textLength) }
        inputIDs = encoded.map(\.inputIDs)
        attentionMasks = encoded.map(\.attentionMask)
        truncated = modelTexts.indices.filter {
            tokenizer.ids(modelTexts[$0], limit: textLength - 1).count > textLength - 2
        }
    }

    /// Captions from `url`: JSON Lines when every non-blank line is an object with a string
    /// `text`, else one caption per non-blank line. Throws naming the file and line.
    public static func read(_ url: URL) throws -> [String] {
        guard let content = try? String(contentsOf: url, encoding: .utf8) else {
            throw SetupError("--prompts \(url.path): cannot read the file as UTF-8 text")
        }
        let lines = content.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            .map { ($0.offset + 1, $0.element.trimmingCharacters(in: .whitespacesAndNewlines)) }
            .filter { !$0.1.isEmpty }
        guard lines.first?.1.hasPrefix("{") == true else { return lines.map(\.1) }
        return try lines.map { number, line in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            guard let text = object?["text"] as? String else {
                throw SetupError(
                    "--prompts \(url.path): line \(number) is not a JSON object with a string 'text'")
            }
            return text
        }
    }
}

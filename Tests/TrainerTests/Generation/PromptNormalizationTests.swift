// Prompts of a `normalize_text` model: tokenized from dalle-mini's normalized caption with the
// seeded per-prompt <person> draw, while the unconditional caption stays the raw empty one.
import Foundation
import Shards
import TestSupport
import Testing

@testable import Trainer

@Suite struct PromptNormalizationTests {
    static let prompts = ["A <PERSON> at the Café &amp; #SunsetBeach!!!", "Two <person> and a DOG", "plain"]

    static func normalizer() throws -> TextNormalizer {
        try TextNormalizer(
            wordFrequencies: Fixture.directory("text-normalizer").appendingPathComponent("words.txt"))
    }

    @Test func promptsAreTokenizedFromTheirNormalizedCaptions() throws {
        let tokenizer = try BartTokenizer.bundled()
        let normalizer = try Self.normalizer()
        let list = try PromptList(
            texts: Self.prompts, tokenizer: tokenizer, textLength: 32, normalizer: normalizer, seed: 11)
        #expect(list.texts == Self.prompts)
        for (index, text) in Self.prompts.enumerated() {
            var draws = SeededUniforms.promptDraws(seed: 11, prompt: index)
            let expected = normalizer.normalize(text, uniform: { draws.next() })
            #expect(list.modelTexts[index] == expected)
            #expect(list.inputIDs[index] == tokenizer.encode(expected, maxLength: 32).inputIDs)
        }
        #expect(
            list.modelTexts[0].hasPrefix(" a ") && list.modelTexts[0].hasSuffix(" at the cafe & sunset beach")
        )
        #expect(PersonToken.weighted.contains { list.modelTexts[1] == " two \($0.0) and a dog" })
        #expect(list.modelTexts[2] == " plain")
        let again = try PromptList(
            texts: Self.prompts, tokenizer: tokenizer, textLength: 32, normalizer: normalizer, seed: 11)
        #expect(again.inputIDs == list.inputIDs, "the draw is reproducible for a seed")
    }

    @Test func withoutNormalizerPromptsAreTokenizedAsGiven() throws {
        let tokenizer = try BartTokenizer.bundled()
        let list = try PromptList(texts: Self.prompts, tokenizer: tokenizer, textLength: 32)
        #expect(list.modelTexts == Self.prompts)
        #expect(list.inputIDs[1] == tokenizer.encode(Self.prompts[1], maxLength: 32).inputIDs)
    }

    /// dalle-mini's processor tokenizes "" for the unconditional rows and never normalizes it
    /// (normalizing "" would give " ", another token sequence).
    @Test func unconditionalCaptionIsTheRawEmptyCaption() throws {
        let tokenizer = try BartTokenizer.bundled()
        let empty = ImageTokenGenerator.emptyCaption(textLength: 32)
        let encoded = tokenizer.encode("", maxLength: 32)
        #expect(empty.inputIDs == encoded.inputIDs)
        #expect(empty.attentionMask == encoded.attentionMask)
        #expect(
            tokenizer.encode(try Self.normalizer().normalize("", uniform: { 0 }), maxLength: 32).inputIDs
                != empty.inputIDs)
    }
}

// A model whose config sets normalize_text gets dalle-mini's normalizer, and needs a word list.
import Foundation
import Shards
import TestSupport
import Testing

@testable import Trainer

@Suite struct TextNormalizerSetupTests {
    @Test func presetsWithNormalizeTextNeedAWordList() throws {
        var options = TrainingOptions()
        let config = try DalleBartConfig.preset("mini")
        #expect(config.normalizeText)
        #expect {
            try TrainingSetup.textNormalizer(options, config: config)
        } throws: { "\($0)".contains("--word-frequencies") && "\($0)".contains("dalle-mini/dalle-mini") }
        options.wordFrequencies =
            Fixture.directory("text-normalizer").appendingPathComponent("words.txt").path
        let normalizer = try #require(try TrainingSetup.textNormalizer(options, config: config))
        #expect(normalizer.normalize("A Café #SunsetBeach") { 0 } == " a cafe sunset beach")
        #expect(try TrainingSetup.textNormalizer(options, config: DalleBartConfig.preset("tiny")) == nil)
    }
}

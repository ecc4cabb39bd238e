// The training and evaluation readers with a text normalizer: every row holds the BART tokens of
// the normalized caption, with the <person> draws of (seed, epoch, record).
import Foundation
import TestSupport
import Testing

@testable import Shards

@Suite struct NormalizedReaderTests {
    static func caption(_ index: Int) -> String {
        "A <PERSON> at the Café &amp; #SunsetBeach, Record N\u{00BA}\(index)!!!!"
    }

    /// A dataset whose record i has caption `caption(i)` and codes encoding i.
    static func writeDataset(at url: URL, records: Int) throws -> Dataset {
        let writer = try DatasetWriter(
            directory: url, imageLength: identityImageLength, imageVocabSize: 16384, recordsPerShard: Int.max,
            recordsPerBlock: 5, source: "normalizer test")
        for index in 0..<records {
            try writer.append(caption: caption(index), codes: [UInt16(index), 0, 7, 9])
        }
        try writer.endShard()
        try writer.finish()
        return try Dataset(directory: url)
    }

    static func normalizer() throws -> TextNormalizer {
        try TextNormalizer(
            wordFrequencies: Fixture.directory("text-normalizer").appendingPathComponent("words.txt"))
    }

    @Test func trainingRowsHoldTheTokensOfTheNormalizedCaption() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let dataset = try Self.writeDataset(at: directory.url, records: 24)
        let normalizer = try Self.normalizer()
        let tokenizer = try BartTokenizer.bundled()
        var options = ReaderOptions(
            seed: 7, rank: 0, worldSize: 1, batchSize: 8, maxTextLength: 32, decoderStartTokenID: 16384)
        options.textNormalizer = normalizer
        let reader = try RankReader(dataset: dataset, options: options, encoder: tokenizer, prefetch: 2)
        var tokens: [String: Int] = [:]
        for step in 0..<6 {  // two epochs of 3 steps
            let batch = try reader.next()
            let epoch = step / 3
            for row in 0..<batch.size {
                let index = Int(batch.labels[row * batch.imageLength])
                var draws = SeededUniforms.personDraws(seed: 7, epoch: epoch, record: index)
                let normalized = normalizer.normalize(Self.caption(index)) { draws.next() }
                #expect(normalized.hasPrefix(" a "))
                #expect(normalized.contains("cafe & sunset beach, record no"))
                #expect(!normalized.contains("!!"))
                let expected = tokenizer.encode(normalized, maxLength: 32).inputIDs
                #expect(Array(batch.inputIDs[(row * 32)..<((row + 1) * 32)]) == expected, "record \(index)")
                #expect(expected != tokenizer.encode(Self.caption(index), maxLength: 32).inputIDs)
                tokens[
                    normalized.split(separator: " ").dropFirst().first.map(String.init) ?? "", default: 0] +=
                    1
            }
        }
        #expect(tokens.count >= 2, "the <person> draws should not all give the same token: \(tokens)")
    }

    @Test func blankCaptionsAreNormalizedToo() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let dataset = try Self.writeDataset(at: directory.url, records: 10)
        let tokenizer = try BartTokenizer.bundled()
        var options = ReaderOptions(
            seed: 1, rank: 0, worldSize: 1, batchSize: 4, maxTextLength: 8, decoderStartTokenID: 16384,
            blankCaptionProbability: 1)
        options.textNormalizer = try Self.normalizer()
        let batch = try RankReader(dataset: dataset, options: options, encoder: tokenizer, prefetch: 1).next()
        let blank = tokenizer.encode(" ", maxLength: 8).inputIDs
        #expect(blank != tokenizer.encode("", maxLength: 8).inputIDs)
        for row in 0..<batch.size { #expect(Array(batch.inputIDs[(row * 8)..<((row + 1) * 8)]) == blank) }
    }

    @Test func evaluationRowsAreNormalized() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let dataset = try Self.writeDataset(at: directory.url, records: 6)
        let normalizer = try Self.normalizer()
        let tokenizer = try BartTokenizer.bundled()
        var options = ReaderOptions(
            seed: 3, rank: 0, worldSize: 1, batchSize: 6, maxTextLength: 32, decoderStartTokenID: 16384)
        options.textNormalizer = normalizer
        let batch = try #require(
            try EvaluationReader(dataset: dataset, options: options, encoder: tokenizer).next())
        for row in 0..<batch.size {
            var draws = SeededUniforms.personDraws(seed: 3, epoch: 0, record: row)
            let expected = tokenizer.encode(
                normalizer.normalize(Self.caption(row)) { draws.next() }, maxLength: 32)
            #expect(Array(batch.inputIDs[(row * 32)..<((row + 1) * 32)]) == expected.inputIDs)
        }
    }
}

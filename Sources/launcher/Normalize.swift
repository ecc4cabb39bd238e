// `dalle-train normalize`: JSON Lines captions on stdin -> {"text": normalized} on stdout, with
// dalle-mini's TextNormalizer (the text a `normalize_text` model is trained on).
import ArgumentParser
import Foundation
import Shards

/// Normalizes captions exactly as dalle-mini's `TextNormalizer` does.
struct Normalize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Normalize JSON Lines captions ({\"text\": ...} per line) as dalle-mini does.",
        discussion: """
            Writes one line {"text": normalized} per input line; blank lines are skipped. <person> \
            tokens are drawn from a generator seeded afresh for each caption, so equal captions give \
            equal outputs.
            """)

    @Option(help: "Word list for hashtag splitting: one word per line, most frequent first.")
    var wordFrequencies: String

    func run() throws {
        let normalizer = try TextNormalizer(wordFrequencies: URL(fileURLWithPath: wordFrequencies))
        var output = ""
        defer { FileHandle.standardOutput.write(Data(output.utf8)) }  // also the lines before an error
        var lineNumber = 0
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            guard let text = try CaptionLines.text(of: line, lineNumber: lineNumber) else { continue }
            let normalized = normalizer.normalize(text, uniform: CaptionLines.personDraws())
            output += String(decoding: try encoder.encode(["text": normalized]), as: UTF8.self) + "\n"
            if output.utf8.count >= 1 << 16 {
                FileHandle.standardOutput.write(Data(output.utf8))
                output.removeAll(keepingCapacity: true)
            }
        }
    }
}

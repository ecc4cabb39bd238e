// `dalle-train tokenize`: JSON Lines captions on stdin -> BART `input_ids` and `attention_mask`
// on stdout, one line per input; `--benchmark` reports captions/s instead.
import ArgumentParser
import Foundation
import Shards

/// Tokenizes captions exactly as dalle-mini's `DalleBartProcessor` does (padding to max length).
struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tokenize JSON Lines captions ({\"text\": ...} per line) read from stdin.",
        discussion: """
            Writes one JSON line per input line: {"input_ids": [...], "attention_mask": [...]}, \
            <s> ... </s> then <pad> up to --max-length. Blank lines are skipped.
            """)

    @Option(help: "Hugging Face tokenizer directory (vocab.json, merges.txt, ...). Default: bundled BART.")
    var tokenizer: String?

    @Option(help: "Ids per caption, including <s> and </s>.")
    var maxLength = 64

    @Flag(
        help: "Normalize each caption as dalle-mini's TextNormalizer does first (needs --word-frequencies).")
    var normalize = false

    @Option(help: "Word list (most frequent first) for hashtag splitting, with --normalize.")
    var wordFrequencies: String?

    @Flag(help: "Tokenize the inputs repeatedly and print captions/s instead of the ids.")
    var benchmark = false

    @Option(help: "With --benchmark: seconds of repeated (warm-cache) tokenization.")
    var seconds = 5.0

    func validate() throws {
        guard maxLength >= 2 else { throw ValidationError("--max-length must be at least 2 (<s> and </s>)") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
        guard !normalize || wordFrequencies != nil else {
            throw ValidationError(TextNormalizer.missingWordListMessage)
        }
    }

    func run() throws {
        let start = DispatchTime.now().uptimeNanoseconds
        let encoder = try loadTokenizer()
        let normalizer =
            try normalize
            ? wordFrequencies.map { try TextNormalizer(wordFrequencies: URL(fileURLWithPath: $0)) } : nil
        let loadSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if benchmark {
            let texts = try CaptionLines.readAll(from: { readLine(strippingNewline: true) }).map {
                normalizer?.normalize($0, uniform: CaptionLines.personDraws()) ?? $0
            }
            try runBenchmark(texts, encoder: encoder, loadSeconds: loadSeconds)
            return
        }
        var output = ""
        defer { FileHandle.standardOutput.write(Data(output.utf8)) }  // also the lines before an error
        var lineNumber = 0
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            guard var text = try CaptionLines.text(of: line, lineNumber: lineNumber) else { continue }
            if let normalizer { text = normalizer.normalize(text, uniform: CaptionLines.personDraws()) }
            CaptionLines.appendJSON(encoder.encode(text, maxLength: maxLength), to: &output)
            if output.utf8.count >= 1 << 16 {
                FileHandle.standardOutput.write(Data(output.utf8))
                output.removeAll(keepingCapacity: true)
            }
        }
    }

    func loadTokenizer() throws -> BartTokenizer {
        guard let tokenizer else { return try BartTokenizer.bundled() }
        return try BartTokenizer(directory: URL(fileURLWithPath: tokenizer))
    }

    /// One cold pass with `encoder` (fresh: empty word cache), then warm passes for `seconds`;
    /// every warm pass must reproduce the cold pass's ids (checked through a checksum).
    func runBenchmark(_ texts: [String], encoder: BartTokenizer, loadSeconds: Double) throws {
        guard !texts.isEmpty else { throw TokenizeInputError(line: 0, reason: "no captions on stdin") }
        func pass() -> Int {
            var checksum = 0
            for text in texts {
                for id in encoder.encode(text, maxLength: maxLength).inputIDs {
                    checksum = checksum &* 31 &+ Int(id)
                }
            }
            return checksum
        }
        let coldStart = DispatchTime.now().uptimeNanoseconds
        let coldChecksum = pass()
        let coldSeconds = Double(DispatchTime.now().uptimeNanoseconds - coldStart) / 1e9
        let warmStart = DispatchTime.now().uptimeNanoseconds
        var passes = 0
        var warmSeconds = 0.0
        while warmSeconds < seconds {
            guard pass() == coldChecksum else {
                throw TokenizeInputError(line: 0, reason: "a warm pass gave different ids than the cold pass")
            }
            passes += 1
            warmSeconds = Double(DispatchTime.now().uptimeNanoseconds - warmStart) / 1e9
        }
        let words = texts.reduce(0) { $0 + $1.split(separator: " ").count }
        print(
            String(
                format: "tokenize benchmark: %d captions (%.1f words each), max length %d, load %.3f s",
                texts.count, Double(words) / Double(texts.count), maxLength, loadSeconds))
        print(String(format: "  cold cache (one pass):  %9.0f captions/s", Double(texts.count) / coldSeconds))
        print(
            String(
                format: "  warm cache (%d passes): %9.0f captions/s", passes,
                Double(passes * texts.count) / warmSeconds))
    }
}

/// A stdin line that is not a JSON object with a string `text` field.
struct TokenizeInputError: Error, CustomStringConvertible {
    var line: Int
    var reason: String
    var description: String {
        "tokenize: stdin line \(line): \(reason); "
            + "hint: each line must be a JSON object with a string \"text\" field, e.g. {\"text\": \"a cat\"}"
    }
}

/// Reading `{"text": ...}` lines and writing `{"input_ids": ..., "attention_mask": ...}` lines.
enum CaptionLines {
    private struct Record: Decodable { var text: String }

    /// The caption of one input line, or nil for a blank line.
    static func text(of line: String, lineNumber: Int) throws -> String? {
        if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { return nil }
        do {
            return try JSONDecoder().decode(Record.self, from: Data(line.utf8)).text
        } catch DecodingError.keyNotFound {
            throw TokenizeInputError(line: lineNumber, reason: "no \"text\" field")
        } catch DecodingError.typeMismatch {
            throw TokenizeInputError(line: lineNumber, reason: "not an object, or \"text\" is not a string")
        } catch {
            throw TokenizeInputError(line: lineNumber, reason: "not valid JSON")
        }
    }

    /// Every caption from `nextLine` until it returns nil.
    static func readAll(from nextLine: () -> String?) throws -> [String] {
        var texts: [String] = []
        var lineNumber = 0
        while let line = nextLine() {
            lineNumber += 1
            if let text = try text(of: line, lineNumber: lineNumber) { texts.append(text) }
        }
        return texts
    }

    /// `<person>` draws for one caption of a command-line tool: a fresh generator, so a caption
    /// always gives the same output.
    static func personDraws() -> () -> Double {
        var random = SeededUniforms(seed: 0)
        return { random.next() }
    }

    /// Appends `{"input_ids": [...], "attention_mask": [...]}` and a newline.
    static func appendJSON(_ encoded: EncodedText, to output: inout String) {
        output += "{\"input_ids\": ["
        output += encoded.inputIDs.map(String.init).joined(separator: ", ")
        output += "], \"attention_mask\": ["
        output += encoded.attentionMask.map(String.init).joined(separator: ", ")
        output += "]}\n"
    }
}

// Writing generated samples: one PNG per sample (the code-grid rendering) and `samples.jsonl`
// (prompt, indices, seed, settings, codes), each file written to a temporary name and renamed;
// samples.jsonl goes last, so its presence means the directory is complete.
import Foundation
import Shards

/// Rank 0's output of a sample run.
public enum SampleWriter {
    /// Pixels per code in the PNGs.
    public static let cellPixels = 8

    /// The PNG file name of a sample.
    public static func imageName(_ sample: GeneratedSample) -> String {
        String(format: "%04d-%02d.png", sample.prompt, sample.image)
    }

    /// The code-grid PNG of a sample (codes outside the vocabulary, such as the pad id, draw black).
    public static func png(_ sample: GeneratedSample, imageVocabSize: Int) -> [UInt8] {
        CodeGridImage.png(
            codes: sample.codes.map(Int.init), imageVocabSize: imageVocabSize, scale: cellPixels)
    }

    /// Writes every sample's PNG and `samples.jsonl` into `directory` (created if needed).
    public static func write(
        _ samples: [GeneratedSample], prompts: PromptList, settings: SamplingSettings, imageVocabSize: Int,
        to directory: URL
    ) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var lines = ""
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for sample in samples {
            let name = imageName(sample)
            try Data(png(sample, imageVocabSize: imageVocabSize)).write(
                to: directory.appendingPathComponent(name), options: .atomic)
            let record = SampleRecord(
                prompt: prompts.texts[sample.prompt], promptIndex: sample.prompt, index: sample.image,
                seed: settings.seed, settings: settings, image: name,
                truncated: prompts.truncated.contains(sample.prompt), codes: sample.codes)
            lines += String(decoding: try encoder.encode(record), as: UTF8.self) + "\n"
        }
        try Data(lines.utf8).write(to: directory.appendingPathComponent("samples.jsonl"), options: .atomic)
    }
}

/// One line of samples.jsonl.
struct SampleRecord: Codable {
    var prompt: String
    var promptIndex: Int
    var index: Int
    var seed: UInt64
    var settings: SamplingSettings
    var image: String
    var truncated: Bool
    var codes: [Int32]

    enum CodingKeys: String, CodingKey {
        case prompt, promptIndex = "prompt_index", index, seed, settings, image, truncated, codes
    }
}

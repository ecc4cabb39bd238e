// Writing generated samples: one PNG per sample (the decoded picture when a VQGAN is given, else
// the code-grid rendering) and `samples.jsonl`
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

    /// The PNG of each sample: its decoded picture when `pictures` is given, else its code grid.
    public static func pngs(_ samples: [GeneratedSample], imageVocabSize: Int, pictures: [RGBImage]?)
        -> [[UInt8]]
    {
        guard let pictures else { return samples.map { png($0, imageVocabSize: imageVocabSize) } }
        precondition(pictures.count == samples.count, "one picture per sample")
        return pictures.map { PNG.encode(width: $0.width, height: $0.height, rgb: $0.pixels) }
    }

    /// Writes every sample's PNG and `samples.jsonl` into `directory` (created if needed).
    public static func write(
        _ samples: [GeneratedSample], prompts: PromptList, settings: SamplingSettings, imageVocabSize: Int,
        pictures: [RGBImage]? = nil, to directory: URL
    ) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var lines = ""
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let files = pngs(samples, imageVocabSize: imageVocabSize, pictures: pictures)
        for (sample, file) in zip(samples, files) {
            let name = imageName(sample)
            try Data(file).write(to: directory.appendingPathComponent(name), options: .atomic)
            let text = prompts.texts[sample.prompt]
            let caption = prompts.modelTexts[sample.prompt]
            let record = SampleRecord(
                prompt: text, caption: caption == text ? nil : caption, promptIndex: sample.prompt,
                index: sample.image, seed: settings.seed, settings: settings, image: name,
                decoded: pictures != nil, truncated: prompts.truncated.contains(sample.prompt),
                codes: sample.codes)
            lines += String(decoding: try encoder.encode(record), as: UTF8.self) + "\n"
        }
        try Data(lines.utf8).write(to: directory.appendingPathComponent("samples.jsonl"), options: .atomic)
    }
}

/// One line of samples.jsonl.
struct SampleRecord: Codable {
    var prompt: String
    /// The normalized caption the model saw, when normalization changed the prompt.
    var caption: String?
    var promptIndex: Int
    var index: Int
    var seed: UInt64
    var settings: SamplingSettings
    var image: String
    /// True when `image` is the VQGAN's picture, false for the code-grid rendering.
    var decoded: Bool
    var truncated: Bool
    var codes: [Int32]

    enum CodingKeys: String, CodingKey {
        case prompt, caption, promptIndex = "prompt_index", index, seed, settings, image, decoded, truncated
        case codes
    }
}

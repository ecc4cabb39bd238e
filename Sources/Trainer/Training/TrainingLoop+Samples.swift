// Samples during training: every `sample_steps` steps and at the end every rank generates (the
// prompts split across ranks), and rank 0 writes samples/step-<8 digits>/ under the output
// directory and the pictures into the TensorBoard event file.
import Foundation
import Shards

extension TrainingSetup {
    /// Captions of the built-in synthetic dataset sampled when `sample_prompts` is not given.
    public static let syntheticSamplePromptCount = 4

    /// The tokenized sample prompts of a run: `sample_prompts`, else (on the synthetic data) the
    /// first synthetic captions; nil when `sample_steps` is 0. Captions are normalized like
    /// training captions when the model normalizes text.
    public static func samplePrompts(
        _ options: TrainingOptions, config: DalleBartConfig, tokenizer: BartTokenizer,
        normalizer: TextNormalizer?
    ) throws -> PromptList? {
        guard options.sampleSteps > 0 else { return nil }
        let side = Int(Double(config.imageLength).squareRoot())
        guard side * side == config.imageLength else {
            throw SetupError(
                "--sample-steps draws square code grids; image_length \(config.imageLength) is not square")
        }
        var texts: [String]
        if let file = options.samplePrompts {
            texts = try PromptList.read(URL(fileURLWithPath: file))
        } else if options.data == nil {
            texts = (0..<syntheticSamplePromptCount).map {
                SyntheticDataset.record(
                    index: $0, seed: syntheticSeed, imageLength: config.imageLength,
                    imageVocabSize: config.imageVocabSize
                ).caption
            }
        } else {
            throw SetupError("--sample-steps needs --sample-prompts FILE when training on --data")
        }
        return try PromptList(
            texts: texts, tokenizer: tokenizer, textLength: config.maxTextLength, normalizer: normalizer,
            seed: UInt64(options.seed))
    }

    /// The VQGAN of `sample_vqgan`, checked against the model; nil without samples or a VQGAN.
    public static func sampleDecoder(_ options: TrainingOptions, config: DalleBartConfig) throws -> VQGAN? {
        guard options.sampleSteps > 0, let path = options.sampleVQGAN else { return nil }
        let vqgan = try VQGAN(weights: VQGANWeights(directory: URL(fileURLWithPath: path)))
        try SamplePictures.check(vqgan, config: config, origin: "sample_vqgan \(path)")
        return vqgan
    }
}

extension TrainingLoop {
    /// The settings of training-time samples: dalle-mini's notebook defaults, the run's seed.
    var sampleSettings: SamplingSettings { SamplingSettings(seed: UInt64(options.seed)) }

    func shouldSample(isLast: Bool) -> Bool {
        samplePrompts != nil && (isLast || step % options.sampleSteps == 0)
    }

    /// Generates one image per sample prompt; rank 0 writes PNGs, samples.jsonl and TensorBoard images.
    func writeSamples() throws {
        guard let prompts = samplePrompts else { return }
        let samples = try SampleRun.generate(
            prompts: prompts, imagesPerPrompt: 1, settings: sampleSettings, batchSize: 8, config: config,
            parameters: parameters, communicator: comm)
        let pictures = try sampleDecoder.map {
            try SamplePictures.decode(samples, vqgan: $0, communicator: comm)
        }
        guard comm.isRoot else { return }
        let directory = URL(fileURLWithPath: options.outputDir).appendingPathComponent("samples")
            .appendingPathComponent(String(format: "step-%08d", step))
        try SampleWriter.write(
            samples, prompts: prompts, settings: sampleSettings, imageVocabSize: config.imageVocabSize,
            pictures: pictures, to: directory)
        let side =
            sampleDecoder?.config.resolution
            ?? Int(Double(config.imageLength).squareRoot()) * SampleWriter.cellPixels
        let files = SampleWriter.pngs(samples, imageVocabSize: config.imageVocabSize, pictures: pictures)
        try tensorBoard.addImages(
            zip(samples, files).map {
                (tag: "samples/\($0.prompt): \(prompts.texts[$0.prompt])", png: $1, width: side, height: side)
            }, step: step)
    }
}

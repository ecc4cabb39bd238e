// `dalle-train sample`: image tokens for text prompts with dalle-mini's generate semantics, split
// across the ranks; rank 0 writes code-grid PNGs and samples.jsonl. `--benchmark` times it.
import ArgumentParser
import Collective
import Dispatch
import Foundation
import Shards
import Trainer

/// Generates samples for prompts (docs/SAMPLING.md).
struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate image codes for text prompts (super-conditioning, top-k/top-p) and write PNGs.")

    @Option(
        help: "The model: a preset (random weights, --benchmark only), a model directory, checkpoint or run.")
    var model: String

    @Option(name: .customLong("prompt"), help: "A caption (repeatable).")
    var prompt: [String] = []

    @Option(help: "A file of captions: one a line, or JSON Lines with a 'text' field.")
    var prompts: String?

    @Option(help: "Samples per prompt.")
    var imagesPerPrompt = 1

    @Option(help: "Super-conditioning scale (1: no unconditional pass).")
    var conditionScale: Float = 10

    @Option(help: "Sample among the k best tokens.")
    var topK = 50

    @Option(help: "Nucleus sampling mass (1: off).")
    var topP: Float = 1

    @Option(help: "Softmax temperature.")
    var temperature: Float = 1

    @Option(help: "Seed of the sampling stream.")
    var seed: UInt64 = 0

    @Option(help: "Sequences generated together on a rank.")
    var batchSize = 8

    @Option(
        help: "Tokenizer directory (vocab.json, merges.txt); default: the model's, else the bundled BART one."
    )
    var tokenizer: String?

    @Option(
        help: """
            Word-frequency list for hashtag splitting (one word a line, most frequent first); needed \
            when the model's config sets normalize_text.
            """)
    var wordFrequencies: String?

    @Option(help: "vqgan-jax model directory: write the decoded pictures instead of code grids.")
    var vqgan: String?

    @Option(help: "Directory for the PNGs and samples.jsonl.")
    var output = "samples"

    @Flag(help: "Time one batch of --batch-size sequences (after a warm-up) and report image tokens/s.")
    var benchmark = false

    @Option(help: "Timed rounds with --benchmark.")
    var rounds = 3

    func validate() throws {
        guard imagesPerPrompt >= 1 else { throw ValidationError("--images-per-prompt must be at least 1") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
        guard !prompt.isEmpty || prompts != nil || benchmark else {
            throw ValidationError("no prompts: give --prompt TEXT (repeatable) or --prompts FILE")
        }
        try settings.validate()
    }

    var settings: SamplingSettings {
        SamplingSettings(
            conditionScale: conditionScale, topK: topK, topP: topP, temperature: temperature, seed: seed)
    }

    func run() throws {
        let comm = try Communicator.world()
        let resolved = try DalleBartConfig.resolve(model: model)
        let config = resolved.config
        var texts = prompt
        if let prompts { texts += try PromptList.read(URL(fileURLWithPath: prompts)) }
        if benchmark && texts.isEmpty { texts = ["a small red circle at the top left on a blue background"] }
        var options = TrainingOptions()
        options.tokenizer = tokenizer
        options.wordFrequencies = wordFrequencies
        let list = try PromptList(
            texts: texts, tokenizer: try TrainingSetup.tokenizer(options, config: config, model: resolved),
            textLength: config.maxTextLength,
            normalizer: try TrainingSetup.textNormalizer(options, config: config), seed: seed)
        let decoder = try vqgan.map { path in
            let model = try VQGAN(weights: VQGANWeights(directory: URL(fileURLWithPath: path)))
            try SamplePictures.check(model, config: config, origin: "--vqgan \(path)")
            return model
        }
        let layout = ParameterLayout(config: config)
        let parameters = FlatBuffer(count: layout.count)
        var roundsEmbeddingsToFloat16 = false
        if resolved.hasWeights {
            roundsEmbeddingsToFloat16 = try resolved.loadWeights(into: parameters, layout: layout)
        } else if benchmark {
            Initialization.initialize(parameters, layout: layout, config: config, seed: 0)
        } else {
            throw ValidationError(
                "--model \(model) has no weights; give a model directory, checkpoint or run")
        }
        if comm.isRoot {
            for index in list.truncated {
                print(
                    "note: prompt \(index + 1) is longer than \(config.maxTextLength - 2) tokens; truncated")
            }
        }
        if benchmark {
            return try runBenchmark(
                list, config: config, parameters: parameters, comm: comm,
                roundsEmbeddingsToFloat16: roundsEmbeddingsToFloat16)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let samples = try SampleRun.generate(
            prompts: list, imagesPerPrompt: imagesPerPrompt, settings: settings, batchSize: batchSize,
            config: config, parameters: parameters, communicator: comm,
            roundsEmbeddingsToFloat16: roundsEmbeddingsToFloat16)
        let pictures = try decoder.map { try SamplePictures.decode(samples, vqgan: $0, communicator: comm) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if comm.isRoot {
            let directory = URL(fileURLWithPath: output)
            try SampleWriter.write(
                samples, prompts: list, settings: settings, imageVocabSize: config.imageVocabSize,
                pictures: pictures, to: directory)
            print(
                String(
                    format: "wrote %d samples to %@ (%.2f s, %d ranks)", samples.count, directory.path,
                    seconds,
                    comm.worldSize))
        }
    }

    /// Generates `rounds` batches of `batchSize` sequences per rank and reports the median.
    func runBenchmark(
        _ list: PromptList, config: DalleBartConfig, parameters: FlatBuffer, comm: Communicator,
        roundsEmbeddingsToFloat16: Bool
    ) throws {
        let generator = try ImageTokenGenerator(
            config: config, parameters: parameters, promptCapacity: batchSize, sequenceCapacity: batchSize)
        generator.roundsEmbeddingsToFloat16 = roundsEmbeddingsToFloat16
        let rows = (0..<batchSize).map { $0 % list.texts.count }
        func once() throws -> (wall: Double, cpu: Double) {
            let (wall, cpu) = (DispatchTime.now().uptimeNanoseconds, processCPUSeconds())
            _ = try generator.generate(
                inputIDs: rows.flatMap { list.inputIDs[$0] },
                attentionMask: rows.flatMap { list.attentionMasks[$0] },
                prompts: batchSize,
                requests: (0..<batchSize).map { SampleRequest(prompt: $0, streamKey: UInt64($0)) },
                settings: settings)
            return (Double(DispatchTime.now().uptimeNanoseconds - wall) / 1e9, processCPUSeconds() - cpu)
        }
        _ = try once()
        var times: [(wall: Double, cpu: Double)] = []
        for _ in 0..<rounds { times.append(try once()) }
        let wall = times.map(\.wall).sorted()[times.count / 2]
        let cpu = times.map(\.cpu).sorted()[times.count / 2]
        let tokens = Double(batchSize * config.imageLength)
        if comm.isRoot {
            print(
                String(
                    format:
                        "sample benchmark: batch %d, condition scale %g, top-k %d, image_length %d, d_model %d: "
                        + "median %.3f s per batch, %.1f image tokens/s, %.3f s per image; CPU %.3f s per "
                        + "batch, %.1f image tokens per CPU second (per rank; %d ranks",
                    batchSize, conditionScale, topK, config.imageLength, config.dModel, wall, tokens / wall,
                    wall / Double(batchSize), cpu, tokens / cpu, comm.worldSize)
                    + ", OpenBLAS core \(BLASInfo.coreName), \(BLASInfo.threadCount) threads)")
        }
    }
}

/// CPU seconds this process has used so far, all threads together.
private func processCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

// The key/value-cached decoder against the training forward on random weights, for the `small`
// widths and for every norm placement and attention option the model supports; and the
// generator's sampling rules (determinism, independence of batch composition, bad settings).
import Foundation
import Shards
import Testing
import Trainer

struct IncrementalDecodingTests {
    /// Random weights for `config` (seeded).
    static func randomModel(_ config: DalleBartConfig, seed: UInt64 = 7) -> FlatBuffer {
        let layout = ParameterLayout(config: config)
        let parameters = FlatBuffer(count: layout.count)
        Initialization.initialize(parameters, layout: layout, config: config, seed: seed)
        return parameters
    }

    /// Two prompts of `S` tokens: one long caption and one short one.
    static func prompts(_ config: DalleBartConfig) -> (ids: [Int32], mask: [Int32]) {
        let S = config.maxTextLength
        var ids: [Int32] = []
        var mask: [Int32] = []
        for (row, length) in [S, 3].enumerated() {
            for i in 0..<S {
                let isReal = i < length
                let id: Int32 =
                    i == 0
                    ? 0
                    : (i == length - 1 ? 2 : Int32(3 + (row * 31 + i * 17) % (config.encoderVocabSize - 3)))
                ids.append(isReal ? id : 1)
                mask.append(isReal ? 1 : 0)
            }
        }
        return (ids, mask)
    }

    /// Max |incremental − full forward| of the conditional and unconditional logits of a sampled run.
    /// `roundsToFloat16` sets the generator's `roundsEmbeddingsToFloat16`, `fullRoundsToFloat16`
    /// (default: the same) the full forward's.
    static func incrementalVersusFull(
        _ config: DalleBartConfig, settings: SamplingSettings, roundsToFloat16: Bool = false,
        fullRoundsToFloat16: Bool? = nil
    ) throws -> Float {
        let (S, T, V) = (config.maxTextLength, config.imageLength, config.imageClasses)
        let parameters = randomModel(config)
        let (ids, mask) = prompts(config)
        let requests = [
            SampleRequest(prompt: 0, streamKey: 1), SampleRequest(prompt: 1, streamKey: 2),
            SampleRequest(prompt: 1, streamKey: 3),
        ]
        let n = requests.count
        let generator = try ImageTokenGenerator(
            config: config, parameters: parameters, promptCapacity: 2, sequenceCapacity: n)
        generator.roundsEmbeddingsToFloat16 = roundsToFloat16
        var conditional = [Float](repeating: .nan, count: n * T * V)
        var unconditional = [Float](repeating: .nan, count: n * T * V)
        let sequences = try generator.generate(
            inputIDs: ids, attentionMask: mask, prompts: 2, requests: requests, settings: settings
        ) { step in
            for r in 0..<n {
                for v in 0..<V {
                    conditional[(r * T + step.position) * V + v] = step.conditional[r * V + v]
                    unconditional[(r * T + step.position) * V + v] = step.unconditional?[r * V + v] ?? 0
                }
            }
        }
        let model = try DalleBart(config: config, batchSize: n)
        model.roundsEmbeddingsToFloat16 = fullRoundsToFloat16 ?? roundsToFloat16
        func full(_ inputIDs: [Int32], _ attentionMask: [Int32]) -> [Float] {
            let batch = Batch(
                size: n, textLength: S, imageLength: T, inputIDs: inputIDs, attentionMask: attentionMask,
                labels: sequences.flatMap { $0.dropFirst() },
                decoderInputIDs: sequences.flatMap { $0.dropLast() })
            _ = model.forward(parameters: parameters, batch: batch, dropout: nil)
            return model.logits(parameters: parameters)
        }
        let rowIDs = requests.flatMap { ids[$0.prompt * S..<($0.prompt + 1) * S] }
        let rowMask = requests.flatMap { mask[$0.prompt * S..<($0.prompt + 1) * S] }
        var worst = zip(conditional, full(rowIDs, rowMask)).map { abs($0 - $1) }.max()!
        if settings.conditionScale != 1 {
            let empty = ImageTokenGenerator.emptyCaption(textLength: S)
            let fullUnconditional = full(
                Array(repeating: empty.inputIDs, count: n).flatMap { $0 },
                Array(repeating: empty.attentionMask, count: n).flatMap { $0 })
            worst = max(worst, zip(unconditional, fullUnconditional).map { abs($0 - $1) }.max()!)
        }
        return worst
    }

    @Test func smallShapeIncrementalEqualsFullForward() throws {
        var config = try DalleBartConfig.preset("small")
        // The small widths, depth and vocabulary; a shorter image so the debug build stays quick.
        config.imageLength = 48
        config.maxTextLength = 16
        let worst = try Self.incrementalVersusFull(
            config, settings: SamplingSettings(conditionScale: 10, seed: 3))
        #expect(worst <= 1e-5, "max |incremental − full| = \(worst)")
    }

    /// A few-kilobyte model: 2 encoder layers, `decoderLayers` decoder layers, no dropout.
    static func tinyConfig(decoderLayers: Int) -> DalleBartConfig {
        var config = DalleBartConfig()
        (config.encoderVocabSize, config.imageVocabSize, config.imageLength, config.maxTextLength) = (
            300, 64, 20, 8
        )
        (config.dModel, config.encoderLayers, config.decoderLayers) = (32, 2, decoderLayers)
        (config.encoderAttentionHeads, config.decoderAttentionHeads) = (4, 4)
        (config.encoderFFNDim, config.decoderFFNDim) = (48, 48)
        (config.dropout, config.initStd) = (0, 0.02)
        return config
    }

    /// Weights from a float16 model directory: the incremental path rounds its embedding lookups
    /// like the full forward (scaled embeddings, so the product is rounded too).
    @Test func float16EmbeddingsIncrementalEqualsFullForward() throws {
        var config = Self.tinyConfig(decoderLayers: 2)
        config.scaleEmbedding = true
        let settings = SamplingSettings(conditionScale: 3, seed: 5)
        let rounded = try Self.incrementalVersusFull(config, settings: settings, roundsToFloat16: true)
        #expect(rounded <= 1e-5, "max |incremental − full| = \(rounded)")
        let unrounded = try Self.incrementalVersusFull(
            config, settings: settings, roundsToFloat16: true, fullRoundsToFloat16: false)
        #expect(unrounded > 10 * rounded, "the rounding changes the logits: \(unrounded) vs \(rounded)")
    }

    static let variants: [(String, (inout DalleBartConfig) -> Void)] = [
        ("preln", { $0.lnPositions = .preln }), ("cogview", { $0.lnPositions = .cogview }),
        ("swinv2", { $0.lnPositions = .swinv2 }), ("subln", { $0.lnPositions = .subln }),
        ("rmsnorm", { $0.lnType = .rmsnorm }), ("cosine attention", { $0.useCosineAttention = true }),
        (
            "head scale and bias",
            {
                $0.useHeadScale = true
                $0.useBias = true
            }
        ),
        (
            "plain FFN, deepnet, scaled embedding",
            {
                $0.useGLU = false
                $0.useDeepnetScaling = true
                $0.scaleEmbedding = true
            }
        ),
    ]

    @Test(arguments: variants.indices)
    func everyVariantIncrementalEqualsFullForward(index: Int) throws {
        var config = Self.tinyConfig(decoderLayers: 7)
        Self.variants[index].1(&config)
        let worst = try Self.incrementalVersusFull(
            config,
            settings: SamplingSettings(conditionScale: 3, topK: 20, topP: 0.9, temperature: 1.5, seed: 5))
        #expect(worst <= 1e-5, "\(Self.variants[index].0): max |incremental − full| = \(worst)")
    }
}

// Whole-model finite-difference checks for the variants the fixtures do not cover: every
// ln_positions, rmsnorm, cosine attention, head scale, force_ln_scale, every activation, biases,
// deepnet gains, dropout. Per tensor: central difference of the loss along a random direction
// versus the analytic directional derivative.
import Foundation
import Shards
import TestSupport
import Testing
import Trainer

struct GradientCheckTests {
    static func tinyConfig(_ change: (inout DalleBartConfig) -> Void) -> DalleBartConfig {
        var config = DalleBartConfig()
        config.encoderVocabSize = 13
        config.imageVocabSize = 11
        config.maxTextLength = 5
        config.imageLength = 6
        config.dModel = 16
        config.encoderLayers = 2
        config.decoderLayers = 2
        config.encoderAttentionHeads = 2
        config.decoderAttentionHeads = 4
        config.encoderFFNDim = 24
        config.decoderFFNDim = 20
        config.dropout = 0
        config.initStd = 0.3
        change(&config)
        return config
    }

    static func batch(_ config: DalleBartConfig, rows: Int) -> Batch {
        let (S, T) = (config.maxTextLength, config.imageLength)
        var ids: [Int32] = []
        var mask: [Int32] = []
        for row in 0..<rows {
            let length = row == 1 ? 3 : S
            for j in 0..<S {
                ids.append(
                    j == 0 ? 0 : j < length ? Int32(3 + (row * 7 + j * 5) % (config.encoderVocabSize - 3)) : 1
                )
                mask.append(j < length ? 1 : 0)
            }
        }
        let labels = (0..<rows * T).map { Int32(($0 * 7 + 3) % config.imageVocabSize) }
        return Batch(
            size: rows, textLength: S, imageLength: T, inputIDs: ids, attentionMask: mask, labels: labels,
            decoderInputIDs: Batch.shiftRight(
                labels, rows: rows, length: T, startToken: Int32(config.decoderStartTokenID)))
    }

    static let variants: [(String, DalleBartConfig)] = [
        ("normformer layernorm glu", tinyConfig { _ in }),
        (
            "preln rmsnorm ffn bias",
            tinyConfig {
                $0.lnPositions = .preln; $0.lnType = .rmsnorm; $0.useGLU = false; $0.useBias = true
            }
        ),
        (
            "cogview gelu_new scale_embedding",
            tinyConfig {
                $0.lnPositions = .cogview; $0.activationFunction = .geluNew; $0.scaleEmbedding = true
            }
        ),
        (
            "swinv2 cosine attention",
            tinyConfig {
                $0.lnPositions = .swinv2; $0.useCosineAttention = true; $0.tauInit = 0.5; $0.encoderLayers = 7
            }
        ),
        (
            "subln head scale silu",
            tinyConfig {
                $0.lnPositions = .subln; $0.useHeadScale = true; $0.activationFunction = .silu
            }
        ),
        (
            "subln rmsnorm force_ln_scale quick_gelu",
            tinyConfig {
                $0.lnPositions = .subln; $0.lnType = .rmsnorm; $0.forceLNScale = true;
                $0.activationFunction = .quickGelu
            }
        ),
        (
            "normformer force_ln_scale smelu no final encoder norm",
            tinyConfig {
                $0.forceLNScale = true; $0.activationFunction = .smelu; $0.useFinalLNEncoder = false;
                $0.useBias = true
            }
        ),
        (
            "preln deepnet no positions swish",
            tinyConfig {
                $0.lnPositions = .preln; $0.useDeepnetScaling = true;
                $0.useAbsolutePositionEmbeddings = false; $0.activationFunction = .swish
            }
        ),
        (
            "cosine only",
            tinyConfig {
                $0.useCosineAttention = true; $0.tauInit = 0.5
            }
        ),
        ("relu only", tinyConfig { $0.activationFunction = .relu }),
        // 150 images: causal self-attention runs query blocks of 64, 64 and 22 against 64/128/150 keys.
        ("causal query blocks", tinyConfig { $0.imageLength = 150 }),
        (
            "causal query blocks attention dropout",
            tinyConfig {
                $0.imageLength = 150; $0.attentionDropout = 0.3
            }
        ),
        (
            "normformer all dropouts",
            tinyConfig {
                $0.dropout = 0.2; $0.attentionDropout = 0.3; $0.activationDropout = 0.25;
                $0.useHeadScale = true
            }
        ),
    ]

    @Test(arguments: variants.map(\.0))
    func everyTensorMatchesFiniteDifferences(variant: String) throws {
        let config = try #require(Self.variants.first { $0.0 == variant }?.1)
        let model = try DalleBart(config: config, batchSize: 3)
        let batch = Self.batch(config, rows: 2)
        let key = DropoutKey(seed: 5, step: 2, rank: 0)
        let parameters = FlatBuffer(count: model.layout.count)
        Initialization.initialize(parameters, layout: model.layout, config: config, seed: 11)
        // Move scales, biases and head scales off their 1/0 init so their gradients are generic.
        for i in 0..<parameters.count { parameters.pointer[i] += 0.05 * Float(sin(Double(i) * 1.7)) }
        let gradients = FlatBuffer(count: model.layout.count)
        _ = model.forward(parameters: parameters, batch: batch, dropout: key, gradients: gradients)
        model.backward(parameters: parameters, gradients: gradients, gradientScale: 1)
        // Small enough for the relu/smelu kinks, large enough for Float round-off (~1e-6 / 2h).
        let h: Float = 3e-3
        for entry in model.layout.entries {
            // A fixed pseudo-random unit direction within this tensor.
            let raw = (0..<entry.count).map {
                Float(
                    (sin(Double($0 + entry.offset) * 12.9898) * 43758.5453).truncatingRemainder(dividingBy: 1)
                )
            }
            let norm = raw.map { $0 * $0 }.reduce(0, +).squareRoot()
            let direction = raw.map { $0 / norm }
            var analytic = 0.0
            for i in 0..<entry.count {
                analytic += Double(gradients.pointer[entry.offset + i] * direction[i])
            }
            func loss(_ sign: Float) -> Double {
                for i in 0..<entry.count { parameters.pointer[entry.offset + i] += sign * h * direction[i] }
                defer {
                    for i in 0..<entry.count {
                        parameters.pointer[entry.offset + i] -= sign * h * direction[i]
                    }
                }
                return Double(model.forward(parameters: parameters, batch: batch, dropout: key))
            }
            let numeric = (loss(1) - loss(-1)) / Double(2 * h)
            let tolerance = 3e-4 + 1e-2 * abs(numeric)
            #expect(
                abs(numeric - analytic) <= tolerance,
                "\(variant): \(entry.name) numeric \(numeric) analytic \(analytic)")
        }
    }

    @Test func dropoutIsReproducibleForTheSameKeyAndDiffersAcrossSteps() throws {
        let config = Self.tinyConfig {
            $0.dropout = 0.3; $0.attentionDropout = 0.2; $0.activationDropout = 0.1
        }
        let model = try DalleBart(config: config, batchSize: 2)
        let parameters = FlatBuffer(count: model.layout.count)
        Initialization.initialize(parameters, layout: model.layout, config: config, seed: 3)
        let batch = Self.batch(config, rows: 2)
        let first = model.forward(
            parameters: parameters, batch: batch, dropout: DropoutKey(seed: 1, step: 7, rank: 0))
        let again = model.forward(
            parameters: parameters, batch: batch, dropout: DropoutKey(seed: 1, step: 7, rank: 0))
        let nextStep = model.forward(
            parameters: parameters, batch: batch, dropout: DropoutKey(seed: 1, step: 8, rank: 0))
        let otherRank = model.forward(
            parameters: parameters, batch: batch, dropout: DropoutKey(seed: 1, step: 7, rank: 1))
        let evaluation = model.forward(parameters: parameters, batch: batch, dropout: nil)
        #expect(first == again)
        #expect(first != nextStep)
        #expect(first != otherRank)
        #expect(first != evaluation)
    }

    @Test func initializationIsSeededAndFollowsTheReferenceDistributions() throws {
        let config = try DalleBartConfig.preset("tiny")
        let layout = ParameterLayout(config: config)
        let a = FlatBuffer(count: layout.count)
        let b = FlatBuffer(count: layout.count)
        Initialization.initialize(a, layout: layout, config: config, seed: 42)
        Initialization.initialize(b, layout: layout, config: config, seed: 42)
        #expect(a.toArray() == b.toArray())
        let kernel = try #require(layout.view("lm_head.kernel", in: a))
        let mean = kernel.reduce(0, +) / Float(kernel.count)
        let std = (kernel.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(kernel.count)).squareRoot()
        #expect(abs(mean) < 1e-3)
        #expect(abs(std - 0.02) < 5e-4)
        #expect(layout.view("model.encoder.layernorm_embedding.scale", in: a)?.allSatisfy { $0 == 1 } == true)
        #expect(layout.view("model.encoder.layernorm_embedding.bias", in: a)?.allSatisfy { $0 == 0 } == true)
    }
}

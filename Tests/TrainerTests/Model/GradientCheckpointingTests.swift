// Gradient checkpointing (recomputed layers): the same loss, logits and gradients bit for bit as
// the stored activations, for every norm placement and with dropout, and a smaller arena.
import Foundation
import Shards
import TestSupport
import Testing

@testable import Trainer

@Suite struct GradientCheckpointingTests {
    /// Loss, logits and gradients of one forward and backward of `config` on the test batch.
    static func run(_ config: DalleBartConfig, recomputesLayers: Bool) throws -> (Float, [Float], [Float]) {
        let model = try DalleBart(config: config, batchSize: 3, recomputesLayers: recomputesLayers)
        let parameters = FlatBuffer(count: model.layout.count)
        Initialization.initialize(parameters, layout: model.layout, config: config, seed: 9)
        let gradients = FlatBuffer(count: model.layout.count)
        let batch = GradientCheckTests.batch(config, rows: 3)
        let loss = model.forward(
            parameters: parameters, batch: batch, dropout: DropoutKey(seed: 4, step: 2, rank: 0),
            gradients: gradients)
        let logits = model.logits(parameters: parameters)
        model.backward(parameters: parameters, gradients: gradients, gradientScale: 1)
        return (loss, logits, Array(gradients.buffer))
    }

    /// The placements dalle-mini 0.1.5 builds.
    static let placements: [NormPlacement] = [.normformer, .preln, .cogview, .swinv2, .subln]

    @Test(arguments: placements)
    func recomputedLayersGiveIdenticalGradients(placement: NormPlacement) throws {
        let config = GradientCheckTests.tinyConfig {
            $0.lnPositions = placement
            $0.encoderLayers = 3
            $0.decoderLayers = 3
            $0.dropout = 0.2
            $0.attentionDropout = 0.1
            $0.activationDropout = 0.15
        }
        let stored = try Self.run(config, recomputesLayers: false)
        let recomputed = try Self.run(config, recomputesLayers: true)
        #expect(stored.0 == recomputed.0, "loss")
        #expect(stored.1 == recomputed.1, "logits")
        #expect(stored.2 == recomputed.2, "gradients")
        #expect(stored.2.contains { $0 != 0 })
    }

    @Test func checkpointingShrinksTheLayerActivations() throws {
        var config = try DalleBartConfig.preset("small")
        config.imageLength = 64
        let stored = DalleBart.activationCount(config: config, batchSize: 2)
        let recomputed = DalleBart.activationCount(config: config, batchSize: 2, recomputesLayers: true)
        #expect(recomputed < stored)
        let model = try DalleBart(config: config, batchSize: 2, recomputesLayers: true)
        #expect(model.activationCount == recomputed)
    }

    /// Recomputed, the encoder's layers run in the decoder's region: a wider encoder feed-forward
    /// (still smaller than the decoder's layer) costs nothing, where stored layers grow.
    @Test func encoderAndDecoderLayersShareOneRegion() throws {
        var narrow = try DalleBartConfig.preset("small")
        narrow.encoderFFNDim = 256
        var wide = narrow
        wide.encoderFFNDim = 512
        let count = { (config: DalleBartConfig, recomputes: Bool) in
            DalleBart.activationCount(config: config, batchSize: 2, recomputesLayers: recomputes)
        }
        #expect(count(wide, true) == count(narrow, true))
        #expect(count(wide, false) > count(narrow, false))
    }

    /// swinv2 puts a layer-end norm after layer 5 but never after the last: the shared region
    /// must hold the largest layer, not the last one (else layer 5 overwrites what follows it).
    @Test func sharedRegionHoldsTheLargestLayer() throws {
        let config = GradientCheckTests.tinyConfig {
            $0.lnPositions = .swinv2
            $0.encoderLayers = 7
            $0.decoderLayers = 7
        }
        let stored = try Self.run(config, recomputesLayers: false)
        let recomputed = try Self.run(config, recomputesLayers: true)
        #expect(stored.0 == recomputed.0, "loss")
        let differing = zip(stored.1 + stored.2, recomputed.1 + recomputed.2).filter { $0 != $1 }.count
        #expect(differing == 0, "\(differing) logits and gradients differ")
    }

    /// Without checkpointing too, the GLU product and the hidden norm's output live in the scratch
    /// (backward recomputes them): a layer keeps three (rows, width) tensors of its feed-forward
    /// block: the gate's slope, the activation and the linear branch.
    @Test func feedForwardKeepsThreeWideTensorsPerLayer() throws {
        let narrow = try DalleBartConfig.preset("small")  // GLU; normformer: the hidden norm applies
        var wide = narrow
        wide.decoderFFNDim += 16
        let count = { (config: DalleBartConfig) in DalleBart.activationCount(config: config, batchSize: 2) }
        #expect(count(wide) - count(narrow) == narrow.decoderLayers * 3 * (2 * narrow.imageLength) * 16)
    }

    /// `small` at batch 8, the configuration docs/PERFORMANCE.md measures: checkpointing keeps at
    /// most a third of the stored activations.
    @Test func checkpointingKeepsAThirdOfSmallsActivations() throws {
        let config = try DalleBartConfig.preset("small")
        let stored = DalleBart.activationCount(config: config, batchSize: 8)
        let recomputed = DalleBart.activationCount(config: config, batchSize: 8, recomputesLayers: true)
        #expect(stored >= 3 * recomputed, "stored \(stored), recomputed \(recomputed) floats")
    }
}

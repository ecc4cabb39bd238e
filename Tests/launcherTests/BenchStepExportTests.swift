// `bench --export-step`: the parameters, the batch, the loss and the gradient norm it writes are
// the ones the measured step used, readable by the safetensors reader.
import Foundation
import Shards
import Testing
import Trainer

@testable import launcher

struct BenchStepExportTests {
    @Test func exportHoldsTheMeasuredStep() throws {
        let config = try DalleBartConfig.preset("tiny")
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("dalle-train-bench-export-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let report = try BenchRun(
            config: config, batchSize: 2, steps: 1, warmup: 0, rank: 0, exportStepTo: directory
        ).measure(peakGFLOPs: 96, fullStepOn: nil, isSharded: false)

        // The same step, recomputed here.
        let model = try DalleBart(config: config, batchSize: 2)
        let parameters = FlatBuffer(count: model.layout.count)
        let gradients = FlatBuffer(count: model.layout.count)
        Initialization.initialize(parameters, layout: model.layout, config: config, seed: 1)
        let batch = BenchRun.syntheticBatch(config, rows: 2, seed: 0)
        var timer = PhaseTimer()
        let loss = TrainingStep.microStep(
            model: model, parameters: parameters, gradients: gradients, batch: batch, dropout: nil,
            gradientScale: 1, timer: &timer)
        let norm = gradients.buffer.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()

        let written = FlatBuffer(count: model.layout.count)
        try model.layout.load(
            contentsOf: directory.appendingPathComponent("model.safetensors"), into: written)
        #expect(written.toArray() == parameters.toArray())
        let batchFile = try SafeTensorsFile(contentsOf: directory.appendingPathComponent("batch.safetensors"))
        #expect(try batchFile.int32s("input_ids") == batch.inputIDs)
        #expect(try batchFile.int32s("attention_mask") == batch.attentionMask)
        #expect(try batchFile.int32s("decoder_input_ids") == batch.decoderInputIDs)
        #expect(try batchFile.int32s("labels") == batch.labels)
        #expect(try batchFile.entry("labels").shape == [2, config.imageLength])
        let step = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: directory.appendingPathComponent("step.json")))
                as? [String: Any])
        #expect(step["parameters"] as? Int == model.layout.count)
        #expect(step["loss"] as? Double == Double(loss))
        #expect(report.loss == Double(loss))
        #expect(step["gradient_norm"] as? Double == norm)
        #expect(norm > 0)
        #expect(step["dropout"] as? Double == 0)
    }
}

// Samples during training: a short run of the small test model on the synthetic data writes
// samples/step-*/ at its interval and at the end, and image summaries that decode back to the
// PNGs on disk.
import Collective
import Foundation
import Shards
import TestSupport
import Testing

@testable import Trainer

@Suite(.serialized)
struct TrainingSamplesTests {
    @Test func samplesAreWrittenAndShowInTensorBoard() throws {
        let comm = try TestWorld.communicator()
        let directory = try SharedDirectory.make("train-samples", comm: comm)
        var options = try TrainingLoopTests.options(directory, "run", comm: comm)
        options.maxSteps = 5
        options.sampleSteps = 4
        let loop = try TrainingLoop.prepare(comm: comm, options: options)
        _ = try loop.run()
        guard comm.isRoot else { return }
        let output = URL(fileURLWithPath: options.outputDir)
        let final = output.appendingPathComponent("samples/step-00000005")
        for step in ["step-00000004", "step-00000005"] {
            let lines = try String(
                contentsOf: output.appendingPathComponent("samples/\(step)/samples.jsonl"), encoding: .utf8
            ).split(separator: "\n")
            #expect(lines.count == TrainingSetup.syntheticSamplePromptCount)
        }
        // The image summaries: tag, size, colorspace and a PNG equal to the file on disk.
        let events = try FileManager.default.contentsOfDirectory(
            at: output.appendingPathComponent("tensorboard"), includingPropertiesForKeys: nil)
        let records = try readRecords(try Data(contentsOf: try #require(events.first)))
        var images: [(tag: String, png: [UInt8], step: Int)] = []
        for record in records {
            let event = try #require(decodeMessage(record))
            guard case .varint(let step) = event.first(where: { $0.0 == 2 })?.1,
                case .bytes(let summary) = event.first(where: { $0.0 == 5 })?.1
            else { continue }
            for case (1, .bytes(let value)) in try #require(decodeMessage(summary)) {
                let fields = try #require(decodeMessage(value))
                guard case .bytes(let tag) = fields.first(where: { $0.0 == 1 })?.1,
                    case .bytes(let image) = fields.first(where: { $0.0 == 4 })?.1
                else { continue }
                let imageFields = try #require(decodeMessage(image))
                #expect(imageFields.contains { $0.0 == 3 && $0.1 == .varint(3) })
                guard case .bytes(let png) = imageFields.first(where: { $0.0 == 4 })?.1 else { continue }
                images.append((String(decoding: tag, as: UTF8.self), [UInt8](png), Int(step)))
            }
        }
        #expect(images.count == 2 * TrainingSetup.syntheticSamplePromptCount)
        let last = images.filter { $0.step == 5 }
        let prompts = try #require(loop.samplePrompts)
        for (index, caption) in prompts.texts.enumerated() {
            let summary = try #require(last.first { $0.tag == "samples/\(index): \(caption)" })
            let onDisk = try Data(
                contentsOf: final.appendingPathComponent(String(format: "%04d-00.png", index)))
            #expect(summary.png == [UInt8](onDisk))
            let decoded = try ImageDecoder.decode(Data(summary.png), path: "summary \(index)")
            #expect(decoded.width == 8 * SampleWriter.cellPixels && decoded.height == decoded.width)
        }
    }
}

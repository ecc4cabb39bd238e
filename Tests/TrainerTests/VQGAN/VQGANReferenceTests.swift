// The VQGAN against the vqgan-jax fixture: every stage within the fixture README's tolerances,
// the parameter table equal to the reference manifest, the same codes with and without reuse, and
// the same bits for any number of threads.
import Foundation
import TestSupport
import Testing
import Trainer

struct VQGANReferenceTests {
    let directory = Fixture.directory("vqgan/small")

    @Test func everyStageIsWithinTolerance() throws {
        let check = try VQGANReferenceCheck(directory: directory)
        for stage in check.stages {
            #expect(
                stage.passes, "\(stage.name): \(stage.maxAbsolute) vs \(stage.tolerance ?? []) \(stage.note)")
        }
        let names = Set(check.stages.map(\.name))
        for required in [
            "encoder_out", "pre_quant", "indices", "quantized", "best_distance", "decoded", "decoded_uint8",
        ] {
            #expect(names.contains(required), "stage \(required) not compared")
        }
        #expect(check.passes)
    }

    @Test func layoutMatchesTheReferenceManifest() throws {
        let weights = try VQGANWeights(directory: directory.appendingPathComponent("model"))
        let expected =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: directory.appendingPathComponent("expected.json"))) as? [String: Any]
        let manifest = try #require(expected?["param_manifest"] as? [String: [String: Any]])
        #expect(weights.layout.entries.count == manifest.count)
        #expect(weights.layout.count == 1_976_515)
        for entry in weights.layout.entries {
            let reference = try #require(manifest[entry.name], "\(entry.name) not in the manifest")
            #expect(reference["shape"] as? [Int] == entry.shape, "\(entry.name)")
            let sum = (0..<entry.count).reduce(0.0) { $0 + Double(weights.buffer.pointer[entry.offset + $1]) }
            let referenceSum = try #require(reference["sum"] as? Double)
            #expect(abs(sum - referenceSum) <= 1e-6 * max(1, abs(referenceSum)), "\(entry.name) sum \(sum)")
        }
    }

    @Test func encodingTwiceGivesTheSameCodes() throws {
        let model = try VQGAN(weights: VQGANWeights(directory: directory.appendingPathComponent("model")))
        let c = model.config
        let pixels = (0..<c.resolution * c.resolution * 3).map { Float($0 % 251) / 255 }
        var first = [Int32](repeating: 0, count: c.tokensPerImage)
        var second = first
        model.encode(pixels: pixels, codes: &first)
        model.encode(pixels: pixels, codes: &second)
        #expect(first == second)
        #expect(first.allSatisfy { (0..<Int32(c.codebookSize)).contains($0) })
    }

    @Test func anyThreadCountGivesTheSameBits() throws {
        let weights = try VQGANWeights(directory: directory.appendingPathComponent("model"))
        let c = weights.config
        let pixels = (0..<c.resolution * c.resolution * 3).map { Float(($0 * 37) % 251) / 255 }
        func run(threads: Int) -> (latents: [Float], codes: [Int32], decoded: [Float]) {
            WorkerPool.$current.withValue(.shared(threads: threads)) {
                let model = VQGAN(weights: weights)
                var codes = [Int32](repeating: 0, count: c.tokensPerImage)
                var latents = [Float](repeating: 0, count: c.tokensPerImage * c.embeddingDimension)
                var decoded = [Float](repeating: 0, count: c.resolution * c.resolution * c.outputChannels)
                model.encode(pixels: pixels, codes: &codes, latents: &latents)
                model.decode(codes: codes, pixels: &decoded)
                return (latents, codes, decoded)
            }
        }
        let one = run(threads: 1)
        for threads in [2, 3] {
            let other = run(threads: threads)
            #expect(other.latents.map(\.bitPattern) == one.latents.map(\.bitPattern), "\(threads) threads")
            #expect(other.codes == one.codes, "\(threads) threads")
            #expect(other.decoded.map(\.bitPattern) == one.decoded.map(\.bitPattern), "\(threads) threads")
        }
    }
}

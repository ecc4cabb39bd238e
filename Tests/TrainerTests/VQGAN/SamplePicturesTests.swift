// Decoded sample pictures: each equals the VQGAN's own decode of its codes (8 bits, RGB), a code
// outside the codebook takes the last row, and a VQGAN that does not fit the model is refused.
import Collective
import Foundation
import Shards
import TestSupport
import Testing

@testable import Trainer

@Suite struct SamplePicturesTests {
    let model: VQGAN

    init() throws {
        model = try VQGAN(weights: VQGANWeights(directory: Fixture.directory("vqgan/small/model")))
    }

    func sample(_ seed: UInt64, codes: Int) -> GeneratedSample {
        var random = SplitMix64(seed: seed)
        return GeneratedSample(
            prompt: Int(seed), image: 0,
            codes: (0..<codes).map { _ in Int32(random.next() % UInt64(model.config.codebookSize)) })
    }

    @Test func picturesAreTheDecodedCodes() throws {
        let c = model.config
        var samples = (0..<3).map { sample(UInt64($0), codes: c.tokensPerImage) }
        samples[2].codes[5] = Int32(c.codebookSize)  // a pad id
        let pictures = try SamplePictures.decode(samples, vqgan: model, communicator: Communicator.selfOnly())
        #expect(pictures.count == 3)
        var pixels = [Float](repeating: 0, count: c.resolution * c.resolution * c.outputChannels)
        for (index, sample) in samples.enumerated() {
            let codes = sample.codes.map { min($0, Int32(c.codebookSize - 1)) }
            var floats = [Float](repeating: 0, count: pixels.count)
            codes.withUnsafeBufferPointer { model.decode(codes: $0.baseAddress!, pixels: &floats) }
            #expect(pictures[index].width == c.resolution && pictures[index].height == c.resolution)
            #expect(pictures[index].pixels == VQGANPixels.bytes(floats))
            #expect(pictures[index] == model.picture(codes: codes, pixels: &pixels))
        }
        #expect(pictures[0] != pictures[1])
    }

    @Test func aVQGANThatDoesNotFitTheModelIsRefused() throws {
        var config = DalleBartConfig()
        config.imageLength = model.config.tokensPerImage
        config.imageVocabSize = model.config.codebookSize
        try SamplePictures.check(model, config: config, origin: "test")
        config.imageLength += 1
        #expect(throws: SetupError.self) {
            try SamplePictures.check(self.model, config: config, origin: "test")
        }
        config.imageLength -= 1
        config.imageVocabSize += 1
        #expect(throws: SetupError.self) {
            try SamplePictures.check(self.model, config: config, origin: "test")
        }
    }
}

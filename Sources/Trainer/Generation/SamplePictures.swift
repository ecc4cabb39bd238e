// Generated code grids to pictures: the VQGAN decoder runs on every rank for its share of the
// samples (sample i on rank i mod W), and an all-reduce gives every rank every picture.
import Collective
import Shards

/// Decoded pictures of generated samples (`sample --vqgan`, training-time samples).
public enum SamplePictures {
    /// Throws unless `vqgan` decodes the model's code grids: `image_length` codes from a
    /// codebook of at least `image_vocab_size` entries.
    public static func check(_ vqgan: VQGAN, config: DalleBartConfig, origin: String) throws {
        let c = vqgan.config
        guard c.tokensPerImage == config.imageLength, c.codebookSize >= config.imageVocabSize else {
            throw SetupError(
                "\(origin): the VQGAN decodes \(c.tokensPerImage) codes from \(c.codebookSize) entries; "
                    + "the model makes \(config.imageLength) codes from \(config.imageVocabSize)")
        }
    }

    /// One RGB picture per sample, in order, on every rank. A code outside the codebook (the pad
    /// id of a row that ended early) takes the last codebook row, as dalle-mini's clamped gather
    /// does. Samples go in chunks of 8 per rank, so the exchange buffer stays small.
    public static func decode(
        _ samples: [GeneratedSample], vqgan: VQGAN, communicator: Communicator
    ) throws -> [RGBImage] {
        let c = vqgan.config
        let size = c.resolution * c.resolution * 3
        let chunk = 8 * communicator.worldSize
        var pixels = [Float](repeating: 0, count: c.resolution * c.resolution * c.outputChannels)
        var pictures: [RGBImage] = []
        for start in stride(from: 0, to: samples.count, by: chunk) {
            let part = samples[start..<min(start + chunk, samples.count)]
            var bytes = [Float](repeating: 0, count: part.count * size)
            for offset in part.indices.map({ $0 - start })
            where offset % communicator.worldSize == communicator.rank {
                let codes = part[start + offset].codes.map { min(max($0, 0), Int32(c.codebookSize - 1)) }
                let picture = vqgan.picture(codes: codes, pixels: &pixels)
                for (i, value) in picture.pixels.enumerated() { bytes[offset * size + i] = Float(value) }
            }
            try communicator.allReduce(&bytes, .sum)
            pictures += (0..<part.count).map { offset in
                RGBImage(
                    width: c.resolution, height: c.resolution,
                    pixels: bytes[offset * size..<(offset + 1) * size].map { UInt8($0) })
            }
        }
        return pictures
    }
}

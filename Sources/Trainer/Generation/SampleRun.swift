// Generating samples for a list of prompts on every rank: the work is cut into fixed batches of
// sequences (the same batches whatever the number of ranks), batches go round-robin to the ranks,
// and an all-reduce assembles every sequence on every rank, in prompt order.
import Collective
import Foundation

/// One generated image: its prompt, index among the prompt's images, and the image codes.
public struct GeneratedSample: Sendable, Equatable {
    public var prompt: Int
    public var image: Int
    /// The `image_length` codes (`sequences[1...]`); a row that finished early holds the pad id.
    public var codes: [Int32]
}

/// Generation of `imagesPerPrompt` samples per prompt, split across the ranks of `communicator`.
public enum SampleRun {
    /// The sampling stream of image `image` of prompt `prompt` (independent of batching and ranks).
    public static func streamKey(prompt: Int, image: Int) -> UInt64 { UInt64(prompt) << 32 | UInt64(image) }

    /// Every sample, on every rank, in (prompt, image) order. `batchSize` sequences run together.
    /// `roundsEmbeddingsToFloat16`: the weights came from float16 tensors (`ImageTokenGenerator`).
    public static func generate(
        prompts: PromptList, imagesPerPrompt: Int, settings: SamplingSettings, batchSize: Int,
        config: DalleBartConfig, parameters: FlatBuffer, communicator: Communicator,
        roundsEmbeddingsToFloat16: Bool = false
    ) throws -> [GeneratedSample] {
        try settings.validate()
        guard imagesPerPrompt >= 1 else { throw SetupError("--images-per-prompt must be at least 1") }
        guard batchSize >= 1 else { throw SetupError("--batch-size must be at least 1") }
        let order = prompts.texts.indices.flatMap { p in (0..<imagesPerPrompt).map { (prompt: p, image: $0) }
        }
        let T = config.imageLength
        let generator = try ImageTokenGenerator(
            config: config, parameters: parameters, promptCapacity: min(batchSize, order.count),
            sequenceCapacity: min(batchSize, order.count))
        generator.roundsEmbeddingsToFloat16 = roundsEmbeddingsToFloat16
        var codes = [Int32](repeating: 0, count: order.count * T)
        let batches = stride(from: 0, to: order.count, by: batchSize).map {
            $0..<min($0 + batchSize, order.count)
        }
        for (index, batch) in batches.enumerated() where index % communicator.worldSize == communicator.rank {
            let distinct = Array(Set(order[batch].map(\.prompt))).sorted()
            let slot = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($0.element, $0.offset) })
            let sequences = try generator.generate(
                inputIDs: distinct.flatMap { prompts.inputIDs[$0] },
                attentionMask: distinct.flatMap { prompts.attentionMasks[$0] }, prompts: distinct.count,
                requests: order[batch].map {
                    SampleRequest(
                        prompt: slot[$0.prompt]!, streamKey: streamKey(prompt: $0.prompt, image: $0.image))
                }, settings: settings)
            for (offset, sequence) in sequences.enumerated() {
                let at = (batch.lowerBound + offset) * T
                for t in 0..<T { codes[at + t] = sequence[t + 1] }
            }
        }
        try communicator.allReduce(&codes, .sum)
        return order.enumerated().map { i, key in
            GeneratedSample(prompt: key.prompt, image: key.image, codes: Array(codes[i * T..<(i + 1) * T]))
        }
    }
}

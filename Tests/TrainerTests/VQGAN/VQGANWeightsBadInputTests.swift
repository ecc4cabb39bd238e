// Broken VQGAN model directories: each load ends in an error naming the file and the tensor
// (or key), never in a crash or half-loaded weights.
import Foundation
import TestSupport
import Testing
import Trainer

struct VQGANWeightsBadInputTests {
    let source = Fixture.directory("vqgan/small/model")

    /// A copy of the fixture model with `config.json` keys replaced and the weights edited.
    func brokenCopy(config changes: [String: Any] = [:], weights edit: (inout Data) -> Void = { _ in }) throws
        -> URL
    {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vqgan-bad-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var config = try #require(
            JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json")))
                as? [String: Any])
        config.merge(changes) { _, new in new }
        try JSONSerialization.data(withJSONObject: config).write(
            to: directory.appendingPathComponent("config.json"))
        var weights = try Data(contentsOf: source.appendingPathComponent("flax_model.msgpack"))
        edit(&weights)
        try weights.write(to: directory.appendingPathComponent("flax_model.msgpack"))
        return directory
    }

    func loadError(_ directory: URL) -> String? {
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            _ = try VQGANWeights(directory: directory)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func missingTensorIsNamed() throws {
        let message = try #require(loadError(brokenCopy(config: ["num_res_blocks": 3])))
        #expect(message.contains("flax_model.msgpack"))
        #expect(message.contains("encoder.down_0.block_2.norm1.scale: missing tensor"), "\(message)")
    }

    @Test func wrongShapeIsNamed() throws {
        let message = try #require(loadError(brokenCopy(config: ["z_channels": 64])))
        #expect(
            message.contains("encoder.conv_out.kernel: shape [3, 3, 64, 32], the configuration needs"),
            "\(message)")
    }

    @Test func extraTensorIsNamed() throws {
        let message = try #require(loadError(brokenCopy(config: ["attn_resolutions": [Int]()])))
        #expect(message.contains("attn_"), "\(message)")
        #expect(message.contains("not part of the configured model"), "\(message)")
    }

    @Test func truncatedFileIsAnError() throws {
        for keep in [0, 1, 100, 400_000, 7_000_000] {
            let message = try #require(loadError(brokenCopy { $0 = $0.prefix(keep) }), "kept \(keep) bytes")
            #expect(message.contains("flax_model.msgpack"), "\(message)")
        }
    }

    @Test func nonFiniteValueIsNamed() throws {
        let directory = try brokenCopy { data in
            // The last 4 bytes are the final float of the last tensor in file order.
            data.replaceSubrange(data.count - 4..<data.count, with: [0, 0, 0xC0, 0x7F])
        }
        let message = try #require(loadError(directory))
        #expect(message.contains("is nan"), "\(message)")
    }

    @Test func badConfigNamesTheKey() throws {
        for (key, value) in [("ch", 48 as Any), ("ch_mult", [Int]() as Any), ("resolution", "big" as Any)] {
            let message = try #require(loadError(brokenCopy(config: [key: value])), "\(key)")
            #expect(message.contains(key), "\(message)")
        }
    }
}

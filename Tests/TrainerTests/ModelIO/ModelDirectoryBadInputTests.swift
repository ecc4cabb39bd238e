// Broken model directories: each ends in one ModelIOError naming the file, the tensor path and
// what was expected, before any training could start from half-loaded weights.
import Foundation
import TestSupport
import Testing
import Trainer

struct ModelDirectoryBadInputTests {
    /// A copy of tiny-A2-scan whose flax_model.msgpack is `edit`ed (config.json optionally replaced).
    func brokenCopy(_ edit: (inout [UInt8]) throws -> Void, config: DalleBartConfig? = nil) throws -> URL {
        let source = Fixture.directory("dalle-mini-models/tiny-A2-scan")
        let directory = try temporaryDirectory("bad-input")
        var bytes = [UInt8](try Data(contentsOf: source.appendingPathComponent(ModelDirectory.weightsFile)))
        try edit(&bytes)
        try Data(bytes).write(to: directory.appendingPathComponent(ModelDirectory.weightsFile))
        let configText =
            try config.map { PretrainedConfigJSON.text($0) }
            ?? String(contentsOf: source.appendingPathComponent(ModelDirectory.configFile), encoding: .utf8)
        try configText.write(
            to: directory.appendingPathComponent(ModelDirectory.configFile), atomically: true, encoding: .utf8
        )
        return directory
    }

    /// Imports `directory` with its own config and returns the error.
    func importError(_ directory: URL, config: DalleBartConfig? = nil) throws -> ModelIOError? {
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try config ?? ModelDirectory.config(directory)
        let layout = ParameterLayout(config: config)
        do {
            try ModelDirectory.loadWeights(
                directory, config: config, layout: layout, into: FlatBuffer(count: layout.count))
            return nil
        } catch let error as ModelIOError {
            return error
        }
    }

    func fixtureConfig() throws -> DalleBartConfig {
        try ModelDirectory.config(Fixture.directory("dalle-mini-models/tiny-A2-scan"))
    }

    @Test func truncatedFile() throws {
        let error = try importError(brokenCopy { $0.removeLast(1000) })
        #expect(error?.file.hasSuffix("flax_model.msgpack") == true)
        #expect(error?.description.contains("runs past the end") == true, "\(String(describing: error))")
    }

    @Test func notMsgPack() throws {
        let error = try importError(brokenCopy { $0 = Array("{\"not\": \"msgpack\"}".utf8) })
        #expect(
            error?.description.contains("does not start with a msgpack map") == true,
            "\(String(describing: error))")
        let reserved = try importError(brokenCopy { $0[0] = 0xc1 })
        #expect(reserved?.description.contains("byte 0") == true, "\(String(describing: reserved))")
    }

    @Test func trailingBytes() throws {
        let error = try importError(brokenCopy { $0 += [0, 0] })
        #expect(error?.description.contains("2 bytes after the end") == true, "\(String(describing: error))")
    }

    @Test func missingTensor() throws {
        var config = try fixtureConfig()
        // Written without the biases, read with a config that has them.
        config.useBias = false
        let directory = try temporaryDirectory("missing")
        let layout = ParameterLayout(config: config)
        try ModelDirectory.writeWeights(
            FlatBuffer(count: layout.count), layout: layout, to: directory, flaxLayout: .scan, sync: false)
        try PretrainedConfigJSON.text(try fixtureConfig()).write(
            to: directory.appendingPathComponent(ModelDirectory.configFile), atomically: true, encoding: .utf8
        )
        let error = try importError(directory)
        #expect(error?.location?.hasSuffix("/bias") == true, "\(String(describing: error))")
        #expect(error?.reason.hasPrefix("missing") == true)
    }

    @Test func extraTensor() throws {
        var config = try fixtureConfig()
        config.useBias = false
        let error = try importError(brokenCopy({ _ in }, config: config))
        #expect(error?.reason.hasPrefix("unexpected tensor") == true, "\(String(describing: error))")
        #expect(error?.location?.hasSuffix("bias") == true)
    }

    @Test func layoutDisagreesWithConfig() throws {
        var config = try fixtureConfig()
        config.useScan = false
        let error = try importError(brokenCopy({ _ in }, config: config))
        #expect(error?.description.contains("use_scan") == true, "\(String(describing: error))")
    }

    @Test func wrongShape() throws {
        var config = try fixtureConfig()
        config.encoderFFNDim = 48
        let error = try importError(brokenCopy({ _ in }, config: config))
        #expect(error?.reason.contains("needs") == true, "\(String(describing: error))")
        #expect(error?.location?.contains("encoder") == true)
    }

    @Test func unknownDtype() throws {
        let error = try importError(
            brokenCopy { bytes in
                let name = Array("float32".utf8)
                let at = try #require(
                    (0..<bytes.count - name.count).first { Array(bytes[$0..<$0 + name.count]) == name })
                bytes.replaceSubrange(at..<at + name.count, with: Array("float3x".utf8))
            })
        #expect(error?.reason.contains("unknown dtype 'float3x'") == true, "\(String(describing: error))")
        #expect(error?.location == "lm_head/kernel")
    }

    @Test func nonFiniteWeight() throws {
        let error = try importError(
            brokenCopy { bytes in
                let leaves = try bytes.withUnsafeBytes { try FlaxTree.leaves(in: $0, path: "fixture") }
                let leaf = try #require(leaves.first { $0.name == "model/decoder/embed_tokens/embedding" })
                let nan = Float.infinity.bitPattern
                for i in 0..<4 {
                    bytes[leaf.data.lowerBound + 8 + i] = UInt8(truncatingIfNeeded: nan >> (8 * i))
                }
            })
        #expect(error?.location == "model/decoder/embed_tokens/embedding", "\(String(describing: error))")
        #expect(error?.reason.contains("non-finite value inf at index [0, 2]") == true)
    }

    @Test func emptyFile() throws {
        let error = try importError(brokenCopy { $0 = [] })
        #expect(error?.description.contains("truncated") == true, "\(String(describing: error))")
    }
}

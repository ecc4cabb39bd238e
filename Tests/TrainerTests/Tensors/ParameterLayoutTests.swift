// ParameterLayout against the reference parameter files: same names, shapes and total count.
import Foundation
import TestSupport
import Testing
import Trainer

struct ParameterLayoutTests {
    static func fixtureConfig(_ name: String) throws -> DalleBartConfig {
        let data = try Data(contentsOf: Fixture.directory("dallebart/\(name)/expected.json"))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let resolved = try JSONSerialization.data(withJSONObject: object?["resolved_config"] ?? [:])
        return try DalleBartConfig.decode(json: resolved)
    }

    @Test(arguments: [("tiny-A", 84_032), ("tiny-A2", 39_272)])
    func namesShapesAndCountMatchTheFixture(name: String, expectedCount: Int) throws {
        let layout = ParameterLayout(config: try Self.fixtureConfig(name))
        let file = try SafeTensorsFile(contentsOf: Fixture.directory("dallebart/\(name)/params.safetensors"))
        #expect(layout.count == expectedCount)
        #expect(layout.tensorCount == file.entries.count)
        let stored = Dictionary(uniqueKeysWithValues: file.entries.map { ($0.name, $0.shape) })
        for entry in layout.entries {
            #expect(stored[entry.name] == entry.shape, "\(entry.name)")
        }
    }

    @Test func offsetsAreContiguousAndNamesUnique() throws {
        let layout = ParameterLayout(config: try DalleBartConfig.preset("tiny"))
        var next = 0
        for entry in layout.entries {
            #expect(entry.offset == next)
            #expect(entry.count == entry.shape.reduce(1, *))
            next += entry.count
        }
        #expect(next == layout.count)
        #expect(Set(layout.entries.map(\.name)).count == layout.entries.count)
    }

    @Test func smallHasAbout30Point8MillionParameters() throws {
        let layout = ParameterLayout(config: try DalleBartConfig.preset("small"))
        #expect(abs(layout.count - 30_800_000) < 100_000, "small has \(layout.count) parameters")
    }

    @Test func parameterFreeRMSNormsAreAbsentButCountersAdvance() throws {
        var config = try Self.fixtureConfig("tiny-A")
        config.lnType = .rmsnorm
        let layout = ParameterLayout(config: config)
        let prefix = "model.decoder.layers.FlaxBartDecoderLayer_0"
        #expect(layout.entry(named: "\(prefix).RMSNorm_0.scale") == nil)
        #expect(layout.entry(named: "\(prefix).RMSNorm_1.scale") != nil)
        #expect(layout.entry(named: "\(prefix).RMSNorm_2.scale") == nil)
        #expect(layout.entry(named: "\(prefix).RMSNorm_3.scale") != nil)
        #expect(layout.entry(named: "model.decoder.final_ln.scale") == nil)
        #expect(!layout.entries.contains { $0.name.hasSuffix(".bias") })
    }

    @Test func swinv2AddsALayerEndNormEverySixthLayer() throws {
        var config = try DalleBartConfig.preset("tiny")
        config.lnPositions = .swinv2
        config.encoderLayers = 7
        let layout = ParameterLayout(config: config)
        let layer5 = "model.encoder.layers.FlaxBartEncoderLayer_5"
        #expect(layout.entry(named: "\(layer5).LayerNorm_0.scale") != nil)
        #expect(layout.entry(named: "\(layer5).LayerNorm_1.scale") != nil)
        #expect(layout.entry(named: "model.encoder.layers.FlaxBartEncoderLayer_6.LayerNorm_1.scale") == nil)
        #expect(layout.entry(named: "\(layer5).GLU_0.LayerNorm_0.scale")?.shape == [128])
    }

    @Test func safeTensorsRoundTripKeepsEveryTensor() throws {
        let config = try Self.fixtureConfig("tiny-A2")
        let layout = ParameterLayout(config: config)
        let buffer = FlatBuffer(count: layout.count)
        try layout.load(contentsOf: Fixture.directory("dallebart/tiny-A2/params.safetensors"), into: buffer)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "layout-\(UInt64.random(in: 0...UInt64.max)).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try layout.write(buffer, to: url)
        let again = FlatBuffer(count: layout.count)
        try layout.load(contentsOf: url, into: again)
        #expect(again.toArray() == buffer.toArray())
        let other = ParameterLayout(config: try Self.fixtureConfig("tiny-A"))
        #expect(throws: SafeTensorsError.self) {
            try other.load(contentsOf: url, into: FlatBuffer(count: other.count))
        }
    }
}

// The safetensors reader and writer against the real fixture files and a round trip.
import Foundation
import TestSupport
import Testing
import Trainer

struct SafeTensorsTests {
    @Test func readsTheFixtureParameters() throws {
        let file = try SafeTensorsFile(contentsOf: Fixture.directory("dallebart/tiny-A/params.safetensors"))
        let kernel = try file.entry("lm_head.kernel")
        #expect(kernel.dtype == "F32")
        #expect(kernel.shape == [32, 257])
        let total = file.entries.map(\.count).reduce(0, +)
        #expect(total == 84_032)
        let batch = try SafeTensorsFile(contentsOf: Fixture.directory("dallebart/tiny-A/batch.safetensors"))
        let ids = try batch.int32s("input_ids")
        #expect(ids.count == 3 * 12)
        #expect(ids[0] == 0)
    }

    @Test func roundTripKeepsNamesShapesValuesAndMetadata() throws {
        let data = SafeTensorsWriter.serialize(
            [("a.kernel", [2, 3], [1, 2, 3, 4, 5, 6]), ("b", [1], [-0.5]), ("é/\"q\"", [0], [])],
            metadata: ["format": "pt", "note": "x"])
        let file = try SafeTensorsFile(bytes: data, path: "memory")
        #expect(try file.floats("a.kernel") == [1, 2, 3, 4, 5, 6])
        #expect(try file.entry("a.kernel").shape == [2, 3])
        #expect(try file.floats("b") == [-0.5])
        #expect(try file.floats("é/\"q\"") == [])
        #expect(file.metadata == ["format": "pt", "note": "x"])
        let headerLength = data.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect(headerLength % 8 == 0)
    }

    @Test func truncatedAndMalformedFilesAreRejected() throws {
        let data = SafeTensorsWriter.serialize([("w", [4], [1, 2, 3, 4])])
        #expect(throws: SafeTensorsError.self) {
            try SafeTensorsFile(bytes: data.prefix(data.count - 1), path: "t")
        }
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(bytes: data.prefix(5), path: "t") }
        var garbage = data
        garbage[9] = 0x7B
        garbage[10] = 0x7B
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(bytes: garbage, path: "t") }
        let file = try SafeTensorsFile(bytes: data, path: "t")
        #expect(throws: SafeTensorsError.self) { try file.floats("missing") }
    }
}

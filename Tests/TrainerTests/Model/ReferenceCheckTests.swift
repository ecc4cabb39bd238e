// check-reference's comparison: passes on the fixtures, fails naming the tensor on a dump with
// one corrupted gradient, and reports missing files clearly.
import Foundation
import TestSupport
import Testing
import Trainer

struct ReferenceCheckTests {
    /// A copy of a fixture dump in a temporary directory.
    static func copy(_ name: String) throws -> URL {
        let destination = FileManager.default.temporaryDirectory.appendingPathComponent(
            "dalle-train-tests/reference-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(
            at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Fixture.directory("dallebart/\(name)"), to: destination)
        return destination
    }

    @Test(arguments: ["tiny-A", "tiny-A2"])
    func fixturesPass(name: String) throws {
        let check = try ReferenceCheck(directory: Fixture.directory("dallebart/\(name)"))
        #expect(check.passes)
        #expect(check.lossDifference <= 1e-5)
        #expect(check.logitsMaxDifference <= 1e-5)
    }

    @Test func oneCorruptedGradientFailsAndIsNamed() throws {
        let directory = try Self.copy("tiny-A")
        let gradsURL = directory.appendingPathComponent("grads.safetensors")
        let grads = try SafeTensorsFile(contentsOf: gradsURL)
        let victim = "model.decoder.layers.FlaxBartDecoderLayer_1.GLU_0.Dense_2.kernel"
        let tensors = try grads.entries.map { entry -> (name: String, shape: [Int], values: [Float]) in
            var values = try grads.floats(entry.name)
            if entry.name == victim { values = values.map { $0 * 1.01 } }
            return (entry.name, entry.shape, values)
        }
        try SafeTensorsWriter.serialize(tensors).write(to: gradsURL)
        let check = try ReferenceCheck(directory: directory)
        #expect(!check.passes)
        #expect(check.worstGradient?.name == victim)
    }

    @Test func missingFilesAreNamed() throws {
        let directory = try Self.copy("tiny-A2")
        try FileManager.default.removeItem(at: directory.appendingPathComponent("logits.safetensors"))
        #expect {
            try ReferenceCheck(directory: directory)
        } throws: { error in
            "\(error)".contains("logits.safetensors")
        }
    }
}

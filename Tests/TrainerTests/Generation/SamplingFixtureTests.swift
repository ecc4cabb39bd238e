// Generation against dalle-mini's own `generate` (the sampling fixtures): every folder, with the
// weights from the reference dump and from the stacked dalle-mini model directory.
import Foundation
import TestSupport
import Testing
import Trainer

struct SamplingFixtureTests {
    static let cases: [(folder: String, model: String)] = [
        ("tiny-A", "dallebart/tiny-A"), ("tiny-A", "dalle-mini-models/tiny-A-scan"),
        ("tiny-A2", "dallebart/tiny-A2"), ("tiny-A2", "dalle-mini-models/tiny-A2-scan"),
        ("tiny-A-eos", "dallebart/tiny-A"), ("tiny-A-eos", "dalle-mini-models/tiny-A-scan"),
    ]

    @Test(arguments: cases.indices)
    func fixtureFolderPasses(index: Int) throws {
        let (folder, model) = Self.cases[index]
        let check = try SamplingCheck(
            directory: Fixture.directory("sampling/\(folder)"), model: Fixture.directory(model).path)
        let expectedFiles = folder == "tiny-A2" ? 4 : 3
        #expect(check.results.count == expectedFiles)
        for result in check.results {
            #expect(result.mismatchedRows.isEmpty, "\(folder)/\(result.file): sequences differ")
            #expect(result.steps == result.referenceSteps)
            for (name, value, tolerance) in result.differences {
                #expect(value <= tolerance, "\(folder)/\(result.file) \(name): \(value) > \(tolerance)")
            }
        }
        #expect(check.passes)
    }

    @Test func eosFolderUsesTheModifiedHead() throws {
        // Without the folder's lm_head.safetensors the EOS rows would not finish: the check
        // must have applied it (scale-1 rows 0 and 2 end in the pad id).
        let check = try SamplingCheck(
            directory: Fixture.directory("sampling/tiny-A-eos"),
            model: Fixture.directory("dallebart/tiny-A").path)
        #expect(check.results.first { $0.file == "scale-1.safetensors" }?.mismatchedRows == [])
    }

    @Test func aFolderWithoutScaleFilesIsRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "dalle-train-tests/sampling-empty-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for name in ["inputs.safetensors", "expected.json"] {
            try FileManager.default.copyItem(
                at: Fixture.directory("sampling/tiny-A").appendingPathComponent(name),
                to: directory.appendingPathComponent(name))
        }
        #expect(throws: (any Error).self) {
            _ = try SamplingCheck(directory: directory, model: Fixture.directory("dallebart/tiny-A").path)
        }
    }
}

// Where a resolved model's tokenizer files come from: a model directory's own, or the copy a run
// keeps for its checkpoints; copying tokenizer files between directories.
import Foundation
import TestSupport
import Testing
import Trainer

struct ModelSourceTests {
    @Test func modelDirectoryOffersItsOwnTokenizerOnly() throws {
        let withTokenizer = try DalleBartConfig.resolve(
            model: Fixture.directory("dalle-mini-models/tiny-A-scan").path)
        #expect(withTokenizer.tokenizerDirectory?.lastPathComponent == "tiny-A-scan")
        let without = try DalleBartConfig.resolve(
            model: Fixture.directory("dalle-mini-models/tiny-A2-scan").path)
        #expect(without.tokenizerDirectory == nil)
    }

    @Test func checkpointOffersTheTokenizerItsRunKept() throws {
        let run = try temporaryDirectory("run")
        defer { try? FileManager.default.removeItem(at: run) }
        let checkpoint = run.appendingPathComponent("checkpoints/step-00000001")
        try FileManager.default.createDirectory(at: checkpoint, withIntermediateDirectories: true)
        let model = Fixture.directory("dalle-mini-models/tiny-A-scan")
        try Data(PretrainedConfigJSON.text(try ModelDirectory.config(model)).utf8).write(
            to: checkpoint.appendingPathComponent(Checkpoint.configFile))
        try Data("{}".utf8).write(to: checkpoint.appendingPathComponent(Checkpoint.stateFile))
        #expect(try DalleBartConfig.resolve(model: checkpoint.path).tokenizerDirectory == nil)

        let kept = run.appendingPathComponent(ResolvedModel.runTokenizerDirectory)
        try ModelDirectory.copyTokenizerFiles(from: model, to: kept)
        for name in ModelDirectory.tokenizerFiles {
            #expect(
                try Data(contentsOf: kept.appendingPathComponent(name))
                    == Data(contentsOf: model.appendingPathComponent(name)), "\(name)")
        }
        let resolved = try DalleBartConfig.resolve(model: checkpoint.path)
        #expect(resolved.tokenizerDirectory?.standardizedFileURL.path == kept.standardizedFileURL.path)

        // Copying a directory onto itself leaves the files in place.
        try ModelDirectory.copyTokenizerFiles(from: kept, to: kept)
        #expect(FileManager.default.fileExists(atPath: kept.appendingPathComponent("vocab.json").path))
    }
}

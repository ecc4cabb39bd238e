// Checkpoints damaged in ways a checksum of the payloads alone would miss: an edited
// trainer_state.json, an unknown format version, an optimizer count that disagrees with the step,
// a tensor missing. Resume and `inspect` run the same checks, so both refuse each one.
import Foundation
import TestSupport
import Testing
import Trainer

@Suite struct HostileCheckpointTests {
    func freshCheckpoint() throws -> (URL, CheckpointTests.Sample) {
        let sample = try CheckpointTests.Sample()
        let directory = try sample.write(step: 5, to: try CheckpointTests.scratch("hostile"))
        return (directory, sample)
    }

    func stateURL(_ directory: URL) -> URL { directory.appendingPathComponent(Checkpoint.stateFile) }

    /// Rewrites trainer_state.json with `edit` applied and a matching checksum file, so that only
    /// the content checks can catch it.
    func rewriteState(_ directory: URL, _ edit: (inout [String: Any]) -> Void) throws {
        var object = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: stateURL(directory))) as? [String: Any])
        edit(&object)
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        try data.write(to: stateURL(directory))
        let hash = data.withUnsafeBytes { XXHash64.hash($0) }
        try Data((XXHash64.hex(hash) + "\n").utf8).write(
            to: directory.appendingPathComponent(Checkpoint.stateChecksumFile))
    }

    @Test func anEditedTrainerStateIsCaughtByItsChecksum() throws {
        let (directory, _) = try freshCheckpoint()
        let text = try String(contentsOf: stateURL(directory), encoding: .utf8)
        try Data(text.replacingOccurrences(of: "\"step\" : 5", with: "\"step\" : 6").utf8).write(
            to: stateURL(directory))
        let error = #expect(throws: CheckpointError.self) { try Checkpoint.inspect(directory) }
        #expect(error?.description.contains(Checkpoint.stateFile) == true)
    }

    @Test func anUnknownFormatVersionIsRefused() throws {
        let (directory, _) = try freshCheckpoint()
        try rewriteState(directory) { $0["format_version"] = 99 }
        let error = #expect(throws: CheckpointError.self) { try Checkpoint.inspect(directory) }
        #expect(error?.description.contains("format_version 99") == true)
    }

    @Test func anOptimizerCountThatDisagreesWithTheStepIsRefused() throws {
        let (directory, _) = try freshCheckpoint()
        try rewriteState(directory) { $0["skipped_steps"] = 2 }
        let error = #expect(throws: CheckpointError.self) { try Checkpoint.inspect(directory) }
        #expect(error?.description.contains("optimizer count") == true)
    }

    @Test func inspectAndResumeRefuseAConfigThatDoesNotFitTheTensors() throws {
        let (directory, sample) = try freshCheckpoint()
        // A config.json describing a different model (one more decoder layer): tensors are missing.
        let configURL = directory.appendingPathComponent(Checkpoint.configFile)
        var object = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        object["decoder_layers"] = sample.config.decoderLayers + 1
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        try data.write(to: configURL)
        try rewriteState(directory) { state in
            var files = state["files"] as? [String: Any] ?? [:]
            let hash = data.withUnsafeBytes { XXHash64.hash($0) }
            files[Checkpoint.configFile] = ["byte_count": data.count, "xxh64": XXHash64.hex(hash)]
            state["files"] = files
        }
        #expect(throws: (any Error).self) { try Checkpoint.inspect(directory) }
        // A negative eos id is a config error too.
        object["decoder_layers"] = sample.config.decoderLayers
        object["eos_token_id"] = -1
        try JSONSerialization.data(withJSONObject: object).write(to: configURL)
        #expect(throws: (any Error).self) { try Checkpoint.inspect(directory) }
    }
}

// The checkpoints directory: auto-resume skips damaged checkpoints (saying why) and falls back to
// the newest one that verifies; `latest` and keep-last pruning; interrupted writes are ignored.
import Foundation
import TestSupport
import Testing

@testable import Trainer

struct CheckpointStoreTests {
    @Test func newestValidFallsBackPastDamagedCheckpoints() throws {
        let sample = try CheckpointTests.Sample()
        let store = CheckpointStore(directory: try CheckpointTests.scratch("store-fallback"))
        let urls = try (1...4).map { try sample.write(step: $0, to: store.directory) }
        // step 4: one flipped byte; step 3: truncated optimizer file; step 2: no trainer_state.json.
        let model = urls[3].appendingPathComponent(Checkpoint.modelFile)
        var bytes = try Data(contentsOf: model)
        bytes[100] ^= 0x01
        try bytes.write(to: model)
        let optimizer = urls[2].appendingPathComponent(Checkpoint.optimizerFile)
        try Data(try Data(contentsOf: optimizer).prefix(1000)).write(to: optimizer)
        try FileManager.default.removeItem(at: urls[1].appendingPathComponent(Checkpoint.stateFile))
        // An interrupted write (kill -9 mid-checkpoint) leaves only a hidden temporary directory.
        try FileManager.default.createDirectory(
            at: store.directory.appendingPathComponent(".step-00000005.tmp-99"),
            withIntermediateDirectories: false)

        var messages: [String] = []
        let found = try store.newestValid { messages.append($0) }
        #expect(found?.state.step == 1)
        #expect(found?.url.lastPathComponent == "step-00000001")
        #expect(messages.count == 4, "\(messages)")
        #expect(messages[0].contains("step-00000004") && messages[0].contains("checksum"))
        #expect(messages[1].contains("step-00000003") && messages[1].contains("truncated"))
        #expect(messages[2].contains("step-00000002") && messages[2].contains("missing"))
        #expect(messages[3].contains("falling back to step-00000001"))

        try FileManager.default.removeItem(at: urls[0].appendingPathComponent(Checkpoint.configFile))
        expectCheckpointError(
            try store.newestValid { _ in }, is: "noValidCheckpoint", naming: "step-00000001")
    }

    @Test func noCheckpointMeansAFreshStart() throws {
        let store = CheckpointStore(directory: try CheckpointTests.scratch("store-empty"))
        #expect(try store.newestValid { _ in } == nil)
        #expect(store.latest() == nil)
    }

    @Test func latestAndPruningKeepTheNewest() throws {
        let sample = try CheckpointTests.Sample()
        let store = CheckpointStore(directory: try CheckpointTests.scratch("store-prune"))
        for step in [10, 20, 30, 40] {
            let url = try sample.write(step: step, to: store.directory)
            try store.publishLatest(url)
            try store.prune(keepLast: 2)
            #expect(store.latest()?.path == url.path)
        }
        #expect(store.checkpoints().map(\.step) == [30, 40])
        let names = try FileManager.default.contentsOfDirectory(atPath: store.directory.path).sorted()
        #expect(names == ["latest", "step-00000030", "step-00000040"])
    }

    @Test func rewritingAStepReplacesItWhole() throws {
        let first = try CheckpointTests.Sample(seed: 1)
        let second = try CheckpointTests.Sample(seed: 2)
        let root = try CheckpointTests.scratch("store-rewrite")
        _ = try first.write(step: 3, to: root)
        let url = try second.write(step: 3, to: root)
        let parameters = FlatBuffer(count: second.layout.count)
        _ = try Checkpoint.load(
            url, config: second.config, layout: second.layout, parameters: parameters,
            optimizer: AdamW(parameterCount: second.layout.count, hyperparameters: AdamWHyperparameters()))
        #expect(parameters.toArray() == second.parameters.toArray())
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["step-00000003"])
    }
}

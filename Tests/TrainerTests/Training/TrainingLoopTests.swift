// End-to-end training on a small model and the synthetic data: the loss falls, a paused and
// resumed run equals an uninterrupted one bit for bit, N ranks equal 1 rank with the whole
// batch (pmap and sharded modes), and accumulation equals a larger batch. Runs at 1 and N ranks.
import Collective
import Foundation
import Shards
import TestSupport
import Testing
import Trainer

@Suite(.serialized)
struct TrainingLoopTests {
    /// Options for a short run of the small test model in `directory/name`.
    static func options(_ directory: URL, _ name: String, comm: Communicator) throws -> TrainingOptions {
        var options = TrainingOptions()
        options.model = try SmallRun.writeConfig(in: directory, rank: comm.rank)
        options.tokenizer = SmallRun.tokenizerPath
        options.outputDir = directory.appendingPathComponent(name).path
        options.perDeviceTrainBatchSize = 4
        options.maxSteps = 6
        options.warmupSteps = 2
        options.learningRate = 3e-3
        options.weightDecay = 0.01
        options.logInterval = 2
        options.saveSteps = 1000
        options.seed = 7
        return options
    }

    @Test(arguments: [false, true])
    func pausedAndResumedRunEqualsUninterruptedRun(isSharded: Bool) throws {
        let comm = try TestWorld.communicator()
        let directory = try SharedDirectory.make("resume", comm: comm)
        var options = try Self.options(directory, "whole", comm: comm)
        options.shardOptimizerState = isSharded
        let (whole, second) = try Self.pauseAndResume(options, comm: comm)
        let (mSecond, mWhole) = try (
            #require(second.optimizer as? AdamW).m.toArray(), #require(whole.optimizer as? AdamW).m.toArray()
        )
        #expect(mSecond == mWhole)  // sharded: this rank's slice and the tail
    }

    /// Runs `options` for 6 steps in one go and in two pieces (paused at 3, resumed), checks the
    /// losses, parameters and counts agree exactly, and returns the whole run and the second piece.
    static func pauseAndResume(
        _ options: TrainingOptions, comm: Communicator
    ) throws -> (whole: TrainingLoop, second: TrainingLoop) {
        var options = options
        let whole = try TrainingLoop.prepare(comm: comm, options: options)
        #expect(try whole.run() == .finished(step: 6))
        options.outputDir = options.outputDir + "-pieces"
        let first = try TrainingLoop.prepare(comm: comm, options: options)
        #expect(try first.run(pausingAt: 3) == .paused(step: 3))
        // As if the first job had logged steps 4 and 5 before it was killed.
        let metricsURL = URL(fileURLWithPath: options.outputDir).appendingPathComponent("metrics.jsonl")
        if comm.isRoot {
            let handle = try FileHandle(forWritingTo: metricsURL)
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("{\"step\":4,\"loss\":9}\n{\"step\":5,\"loss\":9}\n".utf8))
            try handle.close()
        }
        let second = try TrainingLoop.prepare(comm: comm, options: options)
        #expect(second.step == 3)
        #expect(try second.run() == .finished(step: 6))
        #expect(first.lossHistory + second.lossHistory == whole.lossHistory)
        #expect(second.parameters.toArray() == whole.parameters.toArray())
        #expect(second.optimizer.step == whole.optimizer.step)
        #expect(second.samples == whole.samples)
        if comm.isRoot {  // every step once, in order: the lines past the checkpoint were dropped
            let steps = try String(contentsOf: metricsURL, encoding: .utf8).split(separator: "\n").compactMap
            {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["step"] as? Int
            }
            #expect(steps == Array(Set(steps)).sorted() && steps.last == 6, "\(steps)")
        }
        return (whole, second)
    }

    @Test func lossFallsOnTheSyntheticData() throws {
        let comm = try TestWorld.communicator()
        let directory = try SharedDirectory.make("learn", comm: comm)
        var options = try Self.options(directory, "run", comm: comm)
        options.maxSteps = 60
        options.warmupSteps = 5
        options.learningRate = 1e-2
        options.logInterval = 10
        let loop = try TrainingLoop.prepare(comm: comm, options: options)
        _ = try loop.run()
        let first = loop.lossHistory.prefix(3).reduce(0, +) / 3
        let last = loop.lossHistory.suffix(5).reduce(0, +) / 5
        #expect(last < first - 1.0, "loss went from \(first) to \(last)")
        // metrics.jsonl: one well-formed object per log line (rank 0 writes it).
        if comm.isRoot {
            let text = try String(
                contentsOf: URL(fileURLWithPath: options.outputDir).appendingPathComponent("metrics.jsonl"),
                encoding: .utf8)
            let lines = text.split(separator: "\n")
            #expect(lines.count == 6)
            for line in lines {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                #expect(object?["loss"] is Double)
                #expect(object?["tokens_per_second"] is Double)
            }
        }
    }

    /// Also over two simulated hosts (even and odd ranks): the several-host collectives.
    @Test(arguments: [false, true], [false, true])
    func ranksTogetherEqualOneRankWithTheWholeBatch(isSharded: Bool, twoHosts: Bool) throws {
        let comm = try TestWorld.communicator(twoHosts: twoHosts)
        let directory = try SharedDirectory.make("parallel", comm: comm)
        var options = try Self.options(directory, "ranks", comm: comm)
        options.dropout = 0
        options.attentionDropout = 0
        options.maxSteps = 3
        options.perDeviceTrainBatchSize = 2
        options.shardOptimizerState = isSharded
        options.evalData = try Self.evaluationData(directory, comm: comm)
        let together = try TrainingLoop.prepare(comm: comm, options: options)
        _ = try together.run()

        // The same records in one process: batch = worldSize x 2 (MPI_COMM_SELF, a 1-rank job).
        let alone = try Communicator.selfOnly()
        options.outputDir = directory.appendingPathComponent("alone-\(comm.rank)").path
        options.perDeviceTrainBatchSize = 2 * comm.worldSize
        options.shardOptimizerState = false
        let single = try TrainingLoop.prepare(comm: alone, options: options)
        _ = try single.run()
        // Evaluation splits the eval set over the ranks: the same mean as one rank over all of it.
        #expect(abs(try together.evaluate() - single.evaluate()) <= 1e-5)
        expectClose(
            name: "parameters after 3 steps", actual: together.parameters.toArray(),
            expected: single.parameters.toArray(), atol: 1e-6, rtol: 1e-5)
        for (a, b) in zip(together.lossHistory, single.lossHistory) { #expect(abs(a - b) <= 1e-5) }
    }

    /// A 37-record synthetic evaluation set (not a multiple of any global batch), written by rank 0.
    static func evaluationData(_ directory: URL, comm: Communicator) throws -> String {
        let url = directory.appendingPathComponent("eval-data")
        if comm.isRoot {
            try SyntheticDataset.write(
                to: url, records: 37, seed: 99, imageLength: 64, imageVocabSize: 64, recordsPerShard: 16,
                recordsPerBlock: 8)
        }
        try comm.barrier()
        return url.path
    }

    @Test func evaluationIsLoggedAtItsInterval() throws {
        let comm = try TestWorld.communicator()
        let directory = try SharedDirectory.make("evaluate", comm: comm)
        var options = try Self.options(directory, "run", comm: comm)
        options.maxSteps = 4
        options.evalSteps = 2
        options.logInterval = 1
        options.evalData = try Self.evaluationData(directory, comm: comm)
        let loop = try TrainingLoop.prepare(comm: comm, options: options)
        _ = try loop.run()
        if comm.isRoot {
            let text = try String(
                contentsOf: URL(fileURLWithPath: options.outputDir).appendingPathComponent("metrics.jsonl"),
                encoding: .utf8)
            let objects = try text.split(separator: "\n").map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
            let evaluated = objects.filter { $0["eval_loss"] != nil }.compactMap { $0["step"] as? Int }
            #expect(evaluated == [2, 4])
        }
    }

    @Test func nonFiniteStepsAreSkippedThenTheRunStopsWithACheckpoint() throws {
        let comm = try TestWorld.communicator()
        let directory = try SharedDirectory.make("diverge", comm: comm)
        var options = try Self.options(directory, "run", comm: comm)
        options.learningRate = 1e30  // the second update overflows every parameter
        options.warmupSteps = 0
        options.maxSteps = 20
        let loop = try TrainingLoop.prepare(comm: comm, options: options)
        #expect {
            try loop.run()
        } throws: { error in
            "\(error)".contains("non-finite")
        }
        #expect(loop.skippedSteps == TrainingLoop.maximumConsecutiveSkips)
        let checkpoints = CheckpointStore(
            directory: URL(fileURLWithPath: options.outputDir).appendingPathComponent("checkpoints")
        ).checkpoints()
        #expect(!checkpoints.isEmpty)
    }

    @Test func accumulatedMicroBatchesEqualOneLargerBatch() throws {
        let comm = try Communicator.selfOnly()
        let world = try TestWorld.communicator()
        let directory = try SharedDirectory.make("accumulate-\(world.rank)", comm: comm)
        var options = try Self.options(directory, "accumulated", comm: comm)
        options.dropout = 0
        options.attentionDropout = 0
        options.maxSteps = 3
        options.perDeviceTrainBatchSize = 2
        options.gradientAccumulationSteps = 2
        let accumulated = try TrainingLoop.prepare(comm: comm, options: options)
        _ = try accumulated.run()
        options.outputDir = directory.appendingPathComponent("large").path
        options.perDeviceTrainBatchSize = 4
        options.gradientAccumulationSteps = 1
        let large = try TrainingLoop.prepare(comm: comm, options: options)
        _ = try large.run()
        expectClose(
            name: "parameters after 3 steps", actual: accumulated.parameters.toArray(),
            expected: large.parameters.toArray(), atol: 1e-6, rtol: 1e-5)
    }
}

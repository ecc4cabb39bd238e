// Resuming a checkpoint with a different number of ranks: the data cursor is a position in the
// global epoch order, so with the same global batch the resumed run sees exactly the records an
// uninterrupted run would, and ends with the same parameters (up to float summation order).
// Under mpirun -np N: N ranks -> 1 rank and 1 rank -> N ranks; under `swift test`: 1 -> 1. Adam
// replicated, and Adafactor and Shampoo with their state sharded over the N ranks.
import Collective
import Foundation
import TestSupport
import Testing
import Trainer

@Suite(.serialized)
struct ResumeAcrossWorldSizesTests {
    /// The small test model without dropout (dropout streams depend on the rank), global batch 12.
    static func options(_ directory: URL, _ name: String, ranks: Int, rank: Int) throws -> TrainingOptions {
        var options = TrainingOptions()
        options.model = try SmallRun.writeConfig(in: directory, rank: rank)
        options.tokenizer = SmallRun.tokenizerPath
        options.outputDir = directory.appendingPathComponent(name).path
        options.dropout = 0
        options.attentionDropout = 0
        options.perDeviceTrainBatchSize = 12 / ranks
        options.maxSteps = 6
        options.warmupSteps = 2
        options.learningRate = 3e-3
        options.logInterval = 100
        options.saveSteps = 1000
        options.seed = 11
        return options
    }

    @Test(arguments: ["world to one", "one to world"])
    func resumedRunEqualsUninterruptedRun(direction: String) throws {
        try Self.compareResumed(direction: direction, tag: "adam") { _, _ in }
    }

    /// The world's ranks keep Adafactor's or Shampoo's state sharded by tensors; the single rank
    /// keeps all of it. Shampoo recomputes its inverse roots at step 4 from statistics summed in
    /// another order, which magnifies the summation-order differences: after "world to one" on 3
    /// ranks the worst parameter differs by 0.92e-6 (whole LM head) or 1.10e-6 (head in chunks of
    /// 512 rows) beyond rtol, where Adam stays below 5e-8 and Adafactor below 1e-10.
    @Test(arguments: ["world to one", "one to world"], [OptimizerName.adafactor, .distributedShampoo])
    func shardedStateResumesOnAnotherWorldSize(direction: String, optim: OptimizerName) throws {
        let atol: Float = optim == .distributedShampoo ? 3e-6 : 1e-6
        try Self.compareResumed(direction: direction, tag: optim.rawValue, atol: atol) { options, isWorld in
            options.optim = optim
            options.blockSize = 16
            options.preconditioningComputeSteps = 2
            options.startPreconditioningStep = 2
            options.shardOptimizerState = isWorld
        }
    }

    /// 6 steps on one rank against 3 steps on `direction`'s first world and 3 more on the other,
    /// with `adjust` applied to every run's options (told whether the run is on the world).
    static func compareResumed(
        direction: String, tag: String, atol: Float = 1e-6, adjust: (inout TrainingOptions, Bool) -> Void
    ) throws {
        let world = try TestWorld.communicator()
        let alone = try Communicator.selfOnly()
        guard 12 % world.worldSize == 0 else { return }  // the global batch must split evenly
        let directory = try SharedDirectory.make("resume-world-size-\(tag)", comm: world)
        let (before, after) = direction == "world to one" ? (world, alone) : (alone, world)

        // Reference: 6 uninterrupted steps on one rank, per process.
        var referenceOptions = try Self.options(directory, "whole-\(world.rank)", ranks: 1, rank: world.rank)
        adjust(&referenceOptions, false)
        let reference = try TrainingLoop.prepare(comm: alone, options: referenceOptions)
        _ = try reference.run()

        // The first 3 steps on `before`; a 1-rank `before` runs in every process, rank 0's writes the
        // checkpoint that `after` resumes from.
        let firstName = before === alone ? "first-\(world.rank)" : "first"
        var options = try Self.options(directory, firstName, ranks: before.worldSize, rank: world.rank)
        adjust(&options, before === world)
        _ = try TrainingLoop.prepare(comm: before, options: options).run(pausingAt: 3)
        try world.barrier()
        let checkpoint = directory.appendingPathComponent(
            "first\(before === alone ? "-0" : "")/checkpoints/step-00000003")
        options = try Self.options(
            directory, after === alone ? "second-\(world.rank)" : "second", ranks: after.worldSize,
            rank: world.rank)
        adjust(&options, after === world)
        options.resume = .path(checkpoint.path)
        let second = try TrainingLoop.prepare(comm: after, options: options)
        #expect(second.step == 3)
        #expect(try second.run() == .finished(step: 6))
        expectClose(
            name: "\(tag) parameters after 6 steps (\(direction), \(world.worldSize) rank(s))",
            actual: second.parameters.toArray(), expected: reference.parameters.toArray(), atol: atol,
            rtol: 1e-5)
        for (resumed, whole) in zip(second.lossHistory, reference.lossHistory.suffix(3)) {
            #expect(abs(resumed - whole) <= 1e-5)
        }
        #expect(second.samples == reference.samples)
    }
}

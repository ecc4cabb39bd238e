// Adafactor and Distributed Shampoo inside the training loop, replicated and with state sharded by
// tensors: N ranks equal 1 rank with the whole batch (Shampoo's inverse roots spread over the
// ranks), and a paused and resumed run equals an uninterrupted one bit for bit, state included.
// Runs at 1 and N ranks.
import Collective
import Foundation
import TestSupport
import Testing

@testable import Trainer

@Suite(.serialized)
struct OptimizerTrainingTests {
    /// The small test run with `optim`; Shampoo in blocks of 16 with roots every 2 steps, used from
    /// step 3, so that both directions and two root computations happen within 6 steps.
    static func options(_ directory: URL, _ name: String, optim: OptimizerName, comm: Communicator) throws
        -> TrainingOptions
    {
        var options = try TrainingLoopTests.options(directory, name, comm: comm)
        options.optim = optim
        options.maxGradNorm = 1
        options.blockSize = 16
        options.preconditioningComputeSteps = 2
        options.startPreconditioningStep = 2
        options.graftType = .rmspropNormalized
        return options
    }

    @Test(arguments: [OptimizerName.adafactor, .distributedShampoo], [false, true])
    func ranksTogetherEqualOneRankWithTheWholeBatch(optim: OptimizerName, isSharded: Bool) throws {
        let comm = try TestWorld.communicator()
        let directory = try SharedDirectory.make("optimizer-ranks", comm: comm)
        let name = "\(optim.rawValue)\(isSharded ? "-sharded" : "")"
        var options = try Self.options(directory, "ranks-\(name)", optim: optim, comm: comm)
        options.shardOptimizerState = isSharded
        options.dropout = 0
        options.attentionDropout = 0
        options.maxSteps = 5
        options.perDeviceTrainBatchSize = 2
        let together = try TrainingLoop.prepare(comm: comm, options: options)
        _ = try together.run()

        let alone = try Communicator.selfOnly()
        options.outputDir = directory.appendingPathComponent("alone-\(name)-\(comm.rank)").path
        options.perDeviceTrainBatchSize = 2 * comm.worldSize
        options.shardOptimizerState = false
        let single = try TrainingLoop.prepare(comm: alone, options: options)
        _ = try single.run()
        expectClose(
            name: "\(name) parameters after 5 steps", actual: together.parameters.toArray(),
            expected: single.parameters.toArray(), atol: 1e-6, rtol: 1e-5)
        #expect(
            relativeError(together.parameters.toArray(), single.parameters.toArray(), floor: 1e-30) <= 1e-5)
        for (a, b) in zip(together.lossHistory, single.lossHistory) { #expect(abs(a - b) <= 1e-5) }
        #expect(together.lossHistory.count == single.lossHistory.count && !together.lossHistory.isEmpty)
    }

    @Test(arguments: [OptimizerName.adafactor, .distributedShampoo], [false, true])
    func pausedAndResumedRunEqualsUninterruptedRun(optim: OptimizerName, isSharded: Bool) throws {
        let comm = try TestWorld.communicator()
        let directory = try SharedDirectory.make("optimizer-resume", comm: comm)
        let name = "whole-\(optim.rawValue)\(isSharded ? "-sharded" : "")"
        var options = try Self.options(directory, name, optim: optim, comm: comm)
        options.shardOptimizerState = isSharded
        let (whole, second) = try TrainingLoopTests.pauseAndResume(options, comm: comm)
        let layout = second.model.layout
        let resumed = second.optimizer.stateTensors(layout: layout)
        let uninterrupted = whole.optimizer.stateTensors(layout: layout)
        #expect(resumed.map(\.name) == uninterrupted.map(\.name))
        for (a, b) in zip(resumed, uninterrupted) {
            #expect(memcmp(a.pointer, b.pointer, a.count * 4) == 0, "\(a.name)")
        }
    }

    /// A run paused in one mode (sharded or replicated state) and resumed in the other ends where a
    /// replicated run goes in one piece: the checkpoint holds the complete state in either mode.
    @Test(arguments: [OptimizerName.adafactor, .distributedShampoo], [false, true])
    func resumeSwitchesBetweenShardedAndReplicatedState(optim: OptimizerName, savesSharded: Bool) throws {
        let comm = try TestWorld.communicator()
        let directory = try SharedDirectory.make("optimizer-switch", comm: comm)
        let tag = "\(optim.rawValue)-\(savesSharded ? "from-sharded" : "to-sharded")"
        var options = try Self.options(directory, "whole-\(tag)", optim: optim, comm: comm)
        let whole = try TrainingLoop.prepare(comm: comm, options: options)
        #expect(try whole.run() == .finished(step: 6))

        options.outputDir = directory.appendingPathComponent("pieces-\(tag)").path
        options.shardOptimizerState = savesSharded
        #expect(try TrainingLoop.prepare(comm: comm, options: options).run(pausingAt: 3) == .paused(step: 3))
        options.shardOptimizerState = !savesSharded
        let second = try TrainingLoop.prepare(comm: comm, options: options)
        #expect(second.step == 3)
        #expect(try second.run() == .finished(step: 6))
        expectClose(
            name: "\(tag) parameters after 6 steps", actual: second.parameters.toArray(),
            expected: whole.parameters.toArray(), atol: 0, rtol: 1e-5)
        #expect(second.parameters.toArray() == whole.parameters.toArray())
        #expect(second.lossHistory == Array(whole.lossHistory.suffix(second.lossHistory.count)))
    }
}

// Adafactor and Distributed Shampoo inside the training loop: N ranks equal 1 rank with the whole
// batch (Shampoo's inverse roots spread over the ranks), and a paused and resumed run equals an
// uninterrupted one bit for bit, state included. Runs at 1 and N ranks.
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

    @Test(arguments: [OptimizerName.adafactor, .distributedShampoo])
    func ranksTogetherEqualOneRankWithTheWholeBatch(optim: OptimizerName) throws {
        let comm = try TestWorld.communicator()
        let directory = try SharedDirectory.make("optimizer-ranks", comm: comm)
        var options = try Self.options(directory, "ranks-\(optim.rawValue)", optim: optim, comm: comm)
        options.dropout = 0
        options.attentionDropout = 0
        options.maxSteps = 5
        options.perDeviceTrainBatchSize = 2
        let together = try TrainingLoop.prepare(comm: comm, options: options)
        _ = try together.run()

        let alone = try Communicator.selfOnly()
        options.outputDir = directory.appendingPathComponent("alone-\(optim.rawValue)-\(comm.rank)").path
        options.perDeviceTrainBatchSize = 2 * comm.worldSize
        let single = try TrainingLoop.prepare(comm: alone, options: options)
        _ = try single.run()
        expectClose(
            name: "\(optim.rawValue) parameters after 5 steps", actual: together.parameters.toArray(),
            expected: single.parameters.toArray(), atol: 1e-6, rtol: 1e-5)
        #expect(
            relativeError(together.parameters.toArray(), single.parameters.toArray(), floor: 1e-30) <= 1e-5)
        for (a, b) in zip(together.lossHistory, single.lossHistory) { #expect(abs(a - b) <= 1e-5) }
        #expect(together.lossHistory.count == single.lossHistory.count && !together.lossHistory.isEmpty)
    }

    @Test(arguments: [OptimizerName.adafactor, .distributedShampoo])
    func pausedAndResumedRunEqualsUninterruptedRun(optim: OptimizerName) throws {
        let comm = try TestWorld.communicator()
        let directory = try SharedDirectory.make("optimizer-resume", comm: comm)
        let options = try Self.options(directory, "whole-\(optim.rawValue)", optim: optim, comm: comm)
        let (whole, second) = try TrainingLoopTests.pauseAndResume(options, comm: comm)
        let layout = second.model.layout
        let resumed = second.optimizer.stateTensors(layout: layout)
        let uninterrupted = whole.optimizer.stateTensors(layout: layout)
        #expect(resumed.map(\.name) == uninterrupted.map(\.name))
        for (a, b) in zip(resumed, uninterrupted) {
            #expect(memcmp(a.pointer, b.pointer, a.count * 4) == 0, "\(a.name)")
        }
    }
}

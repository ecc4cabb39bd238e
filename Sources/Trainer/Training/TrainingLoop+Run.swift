// The outer loop: steps until the end or a stop signal, with logging, evaluation, the replica
// check and checkpoints at their intervals. Rank 0 writes; every rank meets the same collectives.
import Foundation
import Shards

extension TrainingLoop {
    /// Steps between replica checks (and at every checkpoint and the end).
    static let replicaCheckInterval = 100

    /// Trains until `totalSteps` or a stop signal; writes the final (or signal) checkpoint.
    /// With `pausingAt`, stops after that step with a checkpoint, as a preemption would. Releases
    /// the output directory's lock when it returns: the run writes nothing more there.
    public func run(pausingAt pauseStep: Int? = nil) throws -> TrainingOutcome {
        defer { runLock = nil }
        var intervalLoss = 0.0
        var intervalSteps = 0
        var intervalStart = ContinuousClock.now
        while step < totalSteps {
            let stepStart = ContinuousClock.now
            let result = try trainStep()
            let stepSeconds = PhaseTimer.seconds(ContinuousClock.now - stepStart)
            trainTime += stepSeconds
            // The process's first step (lossHistory still empty) allocates: it is left out.
            if !lossHistory.isEmpty { longestStepSeconds = max(longestStepSeconds, stepSeconds) }
            try handleNonFinite(result)
            lossHistory.append(result.loss)
            intervalLoss += result.loss
            intervalSteps += 1

            let isLast = step == totalSteps
            let evalLoss = try shouldEvaluate(isLast: isLast) ? evaluate() : nil
            if shouldSample(isLast: isLast) { try writeSamples() }
            if step % options.logInterval == 0 || isLast || evalLoss != nil || result.isStopRequested {
                let wall = PhaseTimer.seconds(ContinuousClock.now - intervalStart)
                try log(
                    result, meanLoss: intervalLoss / Double(max(intervalSteps, 1)), steps: intervalSteps,
                    wallSeconds: wall, evalLoss: evalLoss)
                intervalLoss = 0
                intervalSteps = 0
                intervalStart = ContinuousClock.now
            }
            if step % Self.replicaCheckInterval == 0 || isLast {
                try parallel.verifyReplicas(parameters, step: step)
            }
            if result.isStopRequested {
                progress.note("stop signal (\(StopSignals.signalName)): writing a checkpoint at step \(step)")
                try saveCheckpoint()
                progress.finish()
                return .stoppedBySignal(step: step)
            }
            if isLast || (options.saveSteps > 0 && step % options.saveSteps == 0) || step == pauseStep {
                try saveCheckpoint()
            }
            if step == pauseStep && !isLast {
                progress.finish()
                return .paused(step: step)
            }
        }
        progress.finish()
        return .finished(step: step)
    }

    private func shouldEvaluate(isLast: Bool) -> Bool {
        guard evaluation != nil else { return false }
        return isLast || (options.evalSteps > 0 && step % options.evalSteps == 0)
    }

    /// Counts skipped updates; after too many in a row, checkpoints the last good state and stops.
    private func handleNonFinite(_ result: StepResult) throws {
        guard result.isSkipped else {
            consecutiveSkips = 0
            return
        }
        skippedSteps += 1
        consecutiveSkips += 1
        progress.note(
            "step \(step): loss \(result.loss) or gradient norm \(result.gradientNorm) is not finite; update skipped"
        )
        if consecutiveSkips >= Self.maximumConsecutiveSkips {
            try saveCheckpoint()
            throw SetupError(
                "\(consecutiveSkips) steps in a row had a non-finite loss or gradients (last at step \(step)); "
                    + "stopped after checkpointing the last good parameters. Lower --learning-rate or set "
                    + "--max-grad-norm, then resume")
        }
    }

    private func log(
        _ result: StepResult, meanLoss: Double, steps: Int, wallSeconds: Double, evalLoss: Double?
    ) throws {
        let (phases, _, _) = timer.interval()
        let tokens = Throughput.tokens(
            steps: steps, recordsPerStep: recordsPerStep, imageLength: config.imageLength)
        let tokensPerSecond = Throughput.tokensPerSecond(tokens: tokens, seconds: wallSeconds)
        let record = MetricsRecord(
            step: step, epoch: reader.epoch, samples: samples, loss: meanLoss, evalLoss: evalLoss,
            learningRate: Double(result.learningRate), gradNorm: result.gradientNorm,
            tokensPerSecond: tokensPerSecond, trainTime: trainTime, phases: phases)
        try metrics.append(record)
        try tensorBoard.add(record)
        progress.update(
            step: step, loss: meanLoss, learningRate: Double(result.learningRate),
            tokensPerSecond: tokensPerSecond, stepSeconds: wallSeconds / Double(max(steps, 1)))
    }

    /// Mean loss over the whole evaluation set, split across ranks (no dropout).
    public func evaluate() throws -> Double {
        guard let evaluation else { return .nan }
        let reader = EvaluationReader(
            dataset: evaluation.dataset, options: readerOptions(), encoder: evaluation.encoder)
        var sums = [0.0, 0.0]  // loss x rows, rows
        while let batch = try reader.next() {
            if batch.size > 0 {
                let loss = model.forward(parameters: parameters, batch: batch, dropout: nil)
                sums[0] += Double(loss) * Double(batch.size)
                sums[1] += Double(batch.size)
            }
        }
        try comm.allReduce(&sums, .sum)
        return sums[1] > 0 ? sums[0] / sums[1] : .nan
    }
}

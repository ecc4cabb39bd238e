// The part of a training step after the backward pass, on every rank: gradient average, loss and
// stop-flag average, global norm, optional clipping, the optimizer and the parameter gather. Training
// (TrainingLoop.trainStep) and `dalle-train bench` (StepBenchmark) both run exactly this.
import Collective

/// Applies one averaged update to the replicas (or, sharded, to this rank's slice).
struct StepUpdate {
    let parallel: DataParallel
    let optimizer: any ParameterOptimizer
    /// Clip the global gradient norm to this (dalle-mini's `max_grad_norm`); nil: no clipping.
    let maxGradNorm: Double?

    /// What the ranks agreed on.
    struct Outcome {
        /// The loss averaged over ranks.
        var loss: Double
        /// Global L2 norm of the averaged gradients.
        var gradientNorm: Double
        /// True when the loss or the gradients were not finite: no update was applied.
        var isSkipped: Bool
        /// True when any rank received a stop signal.
        var isStopRequested: Bool
    }

    /// Averages `gradients` (this rank's, summed over its micro-batches and already scaled by
    /// 1/accumulation) and `loss` over ranks, then updates `parameters` with `learningRate`
    /// unless something is not finite. Times the phases `.allreduce` and `.optimizer`.
    func apply(
        parameters: FlatBuffer, gradients: FlatBuffer, loss: Double, isStopRequested: Bool,
        learningRate: Float, timer: inout PhaseTimer
    ) throws -> Outcome {
        // Loss and the stop flag travel together: one small all-reduce per step.
        let (averaged, norm) = try timer.measure(.allreduce) {
            try parallel.averageGradients(gradients)
            let averaged = try parallel.averageMetrics([loss, isStopRequested ? 1 : 0])
            return (averaged, try parallel.globalNorm(gradients))
        }
        let isSkipped = !averaged[0].isFinite || !norm.isFinite
        if !isSkipped {
            try timer.measure(.optimizer) {
                if let maxGradNorm, norm > maxGradNorm {
                    for range in parallel.shards.ownedRanges {
                        GradientClipping.clip(gradients, globalNorm: norm, maxNorm: maxGradNorm, range: range)
                    }
                }
                try parallel.update(
                    optimizer, parameters: parameters, gradients: gradients, learningRate: learningRate)
                try parallel.gatherParameters(parameters)
            }
        }
        return Outcome(
            loss: averaged[0], gradientNorm: norm, isSkipped: isSkipped, isStopRequested: averaged[1] > 0)
    }
}

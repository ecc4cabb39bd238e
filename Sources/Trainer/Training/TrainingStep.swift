// One optimizer step as `train`, `bench` and `check-reference --trajectory` all run it: the
// micro-batches' forward and backward accumulated into the gradients, then StepUpdate.
import Shards

/// The whole step on every rank: the same micro-step and the same update everywhere.
public struct TrainingStep {
    let model: DalleBart
    let update: StepUpdate

    /// Forward and backward of one micro-batch: accumulates `gradientScale`·∇loss into `gradients`
    /// and returns the loss. Times the phases `.forward` and `.backward`.
    public static func microStep(
        model: DalleBart, parameters: FlatBuffer, gradients: FlatBuffer, batch: Batch, dropout: DropoutKey?,
        gradientScale: Float, timer: inout PhaseTimer
    ) -> Float {
        let loss = timer.measure(.forward) {
            model.forward(
                parameters: parameters, batch: batch, dropout: dropout, gradients: gradients,
                gradientScale: gradientScale)
        }
        timer.measure(.backward) {
            model.backward(parameters: parameters, gradients: gradients, gradientScale: gradientScale)
        }
        return loss
    }

    /// Zeroes `gradients`, runs `microBatches` micro-steps on the batches `next(micro)` gives (with
    /// their dropout keys; the `.data` phase), averages them, then applies `update` with
    /// `learningRate`. Every rank calls it with the same `microBatches`.
    func run(
        parameters: FlatBuffer, gradients: FlatBuffer, microBatches: Int, learningRate: Float,
        isStopRequested: Bool, timer: inout PhaseTimer, next: (Int) throws -> (Batch, DropoutKey?)
    ) throws -> StepUpdate.Outcome {
        gradients.zero()
        var lossSum = 0.0
        for micro in 0..<microBatches {
            let (batch, dropout) = try timer.measure(.data) { try next(micro) }
            lossSum += Double(
                Self.microStep(
                    model: model, parameters: parameters, gradients: gradients, batch: batch,
                    dropout: dropout,
                    gradientScale: 1 / Float(microBatches), timer: &timer))
        }
        return try update.apply(
            parameters: parameters, gradients: gradients, loss: lossSum / Double(microBatches),
            isStopRequested: isStopRequested, learningRate: learningRate, timer: &timer)
    }
}

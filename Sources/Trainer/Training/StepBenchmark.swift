// Times whole data-parallel training steps (forward, backward, gradient all-reduce, AdamW,
// and the all-gather of the sharded mode) on a fixed batch, for `dalle-train bench`.
import Collective
import Foundation
import Shards

/// Median seconds per phase of a full training step on this rank.
public struct StepTimings: Codable, Sendable {
    public var step: Double
    public var forward: Double
    public var backward: Double
    public var allreduce: Double
    /// Median over steps of the fastest rank's all-reduce: that of the last rank to arrive, i.e.
    /// what the all-reduce itself adds to the step. The rest of `allreduce` on the other ranks is
    /// waiting for that rank to finish its backward pass.
    public var allreduceLastArrival: Double
    public var optimizer: Double
    /// Every timed step's total, in order.
    public var steps: [Double]
}

/// Runs `warmup + steps` full steps of `model` on `batch` and returns the median timings.
public enum StepBenchmark {
    public static func run(
        comm: Communicator, model: DalleBart, batch: Batch, steps: Int, warmup: Int, isSharded: Bool
    ) throws -> StepTimings {
        let count = model.layout.count
        let parallel = DataParallel(comm: comm, parameterCount: count, isSharded: isSharded)
        let parameters = try parallel.makeBuffer()
        let gradients = try parallel.makeBuffer()
        if comm.isRoot {
            Initialization.initialize(parameters, layout: model.layout, config: model.config, seed: 1)
        }
        try parallel.broadcastParameters(parameters)
        let optimizer = AdamW(
            parameterCount: count, hyperparameters: AdamWHyperparameters(weightDecay: 0.01),
            ownedRanges: parallel.updateRanges)
        var samples: [[Double]] = []
        let clock = ContinuousClock()
        for index in 0..<(warmup + steps) {
            var times = [Double](repeating: 0, count: 4)
            func timed(_ phase: Int, _ body: () throws -> Void) rethrows {
                let start = clock.now
                try body()
                times[phase] += PhaseTimer.seconds(clock.now - start)
            }
            gradients.zero()
            timed(0) { _ = model.forward(parameters: parameters, batch: batch, dropout: nil) }
            timed(1) { model.backward(parameters: parameters, gradients: gradients, gradientScale: 1) }
            try timed(2) { try parallel.averageGradients(gradients) }
            try timed(3) {
                optimizer.update(parameters: parameters, gradients: gradients, learningRate: 1e-4)
                try parallel.gatherParameters(parameters)
            }
            if index >= warmup { samples.append(times) }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let totals = samples.map { $0.reduce(0, +) }
        var lastArrival = samples.map { $0[2] }
        try comm.allReduce(&lastArrival, .min)
        return StepTimings(
            step: median(totals), forward: median(samples.map { $0[0] }),
            backward: median(samples.map { $0[1] }),
            allreduce: median(samples.map { $0[2] }), allreduceLastArrival: median(lastArrival),
            optimizer: median(samples.map { $0[3] }), steps: totals)
    }
}

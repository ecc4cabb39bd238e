// Times whole data-parallel training steps on a fixed batch, for `dalle-train bench`: forward,
// backward, then the same StepUpdate as training (gradient and loss averages, global norm,
// the optimizer, and the parameter gather of the sharded mode).
import Collective
import Foundation
import Shards

/// Median seconds per phase of a full training step on this rank.
public struct StepTimings: Codable, Sendable {
    public var step: Double
    public var forward: Double
    public var backward: Double
    /// The all-reduce phase as training times it: gradient average, loss average, global norm.
    public var allreduce: Double
    /// Median over steps of the fastest rank's all-reduce phase: that of the last rank to
    /// arrive, i.e. what the phase itself adds to the step. The rest of `allreduce` on the other
    /// ranks is waiting for that rank to finish its backward pass.
    public var allreduceLastArrival: Double
    public var optimizer: Double
    /// Median over steps of the gradient average's time between hosts (the largest over ranks:
    /// the host leaders' MPI stage); nil on one host.
    public var betweenHosts: Double?
    /// Every timed step's total, in order.
    public var steps: [Double]
}

/// Whole data-parallel steps of one model: the parameter and gradient buffers training would
/// make (`DataParallel`), initialized and broadcast from rank 0. `bench` times its forward and
/// backward passes on the same buffers, so that its peak memory is that of one training step.
public struct StepBenchmark {
    let comm: Communicator
    let settings: OptimizerSettings
    let shards: ParameterShards
    let parallel: DataParallel
    public let parameters: FlatBuffer
    public let gradients: FlatBuffer

    /// Collective: makes and broadcasts the buffers.
    public init(
        comm: Communicator, layout: ParameterLayout, config: DalleBartConfig, isSharded: Bool,
        optimizer settings: OptimizerSettings = .adam(AdamWHyperparameters(weightDecay: 0.01))
    ) throws {
        self.comm = comm
        self.settings = settings
        shards = settings.shards(
            layout: layout, worldSize: comm.worldSize, rank: comm.rank, isSharded: isSharded)
        parallel = DataParallel(comm: comm, shards: shards)
        parameters = try parallel.makeBuffer()
        gradients = try parallel.makeBuffer()
        if comm.isRoot { Initialization.initialize(parameters, layout: layout, config: config, seed: 1) }
        try parallel.broadcastParameters(parameters)
    }

    /// Collective: runs `warmup + steps` full steps of `model` on `batch` and returns the median
    /// timings.
    public func run(model: DalleBart, batch: Batch, steps: Int, warmup: Int) throws -> StepTimings {
        let optimizer = settings.makeOptimizer(layout: model.layout, shards: shards)
        // The same step as TrainingLoop.trainStep, with its phase timer.
        let step = TrainingStep(
            model: model, update: StepUpdate(parallel: parallel, optimizer: optimizer, maxGradNorm: nil))
        var samples: [[Double]] = []
        var betweenHosts: [Double] = []
        for index in 0..<(warmup + steps) {
            let betweenHostsBefore = parallel.betweenHostsSeconds
            var timer = PhaseTimer()
            _ = try step.run(
                parameters: parameters, gradients: gradients, microBatches: 1, learningRate: 1e-4,
                isStopRequested: false, timer: &timer
            ) { _ in (batch, nil) }
            timer.endStep()
            let phases = timer.interval().phases
            if index >= warmup {
                samples.append([phases.forward, phases.backward, phases.allreduce, phases.optimizer])
                betweenHosts.append(parallel.betweenHostsSeconds - betweenHostsBefore)
            }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let totals = samples.map { $0.reduce(0, +) }
        var lastArrival = samples.map { $0[2] }
        try comm.allReduce(&lastArrival, .min)
        try comm.allReduce(&betweenHosts, .max)
        let isOneHost = (parallel.hostLayout?.hostCount ?? 1) == 1
        return StepTimings(
            step: median(totals), forward: median(samples.map { $0[0] }),
            backward: median(samples.map { $0[1] }),
            allreduce: median(samples.map { $0[2] }), allreduceLastArrival: median(lastArrival),
            optimizer: median(samples.map { $0[3] }), betweenHosts: isOneHost ? nil : median(betweenHosts),
            steps: totals)
    }
}

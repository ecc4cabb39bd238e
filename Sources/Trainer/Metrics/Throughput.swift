// Wall-clock timing of the training step's phases and tokens per second. Not here: where the
// numbers are written (MetricsLog, TensorBoardWriter, ProgressLine).

/// One phase of a training step, in step order.
public enum TrainingPhase: Int, CaseIterable, Sendable {
    case data, forward, backward, allreduce, optimizer
}

/// Accumulates monotonic wall-clock seconds per phase over a log interval.
/// `measure(.forward) { … }` around each phase; `interval()` returns the per-step means and
/// starts a new interval. No allocation per call.
public struct PhaseTimer {
    private var totals = [Double](repeating: 0, count: TrainingPhase.allCases.count)
    private var steps = 0
    private var intervalStart: ContinuousClock.Instant
    private let clock = ContinuousClock()

    public init() { intervalStart = clock.now }

    /// Runs `body`, adding its duration to `phase`.
    public mutating func measure<T>(_ phase: TrainingPhase, _ body: () throws -> T) rethrows -> T {
        let start = clock.now
        defer { totals[phase.rawValue] += Self.seconds(clock.now - start) }
        return try body()
    }

    /// Marks the end of one optimizer step.
    public mutating func endStep() { steps += 1 }

    /// Steps ended in the current interval.
    public var stepsInInterval: Int { steps }

    /// Seconds since the interval started (all phases and everything between them).
    public var elapsed: Double { Self.seconds(clock.now - intervalStart) }

    /// Mean seconds per step of each phase and the interval's wall time; then starts a new
    /// interval.
    public mutating func interval() -> (phases: TrainingPhaseSeconds, wallSeconds: Double, steps: Int) {
        let divisor = Double(max(steps, 1))
        let means = totals.map { $0 / divisor }
        let result = (
            TrainingPhaseSeconds(
                data: means[0], forward: means[1], backward: means[2], allreduce: means[3],
                optimizer: means[4]),
            elapsed, steps
        )
        for i in totals.indices { totals[i] = 0 }
        steps = 0
        intervalStart = clock.now
        return result
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}

/// Tokens per second: decoder tokens (rows × image_length) over all ranks per wall second.
public enum Throughput {
    /// `tokens / seconds`, 0 when no time has passed.
    public static func tokensPerSecond(tokens: Int, seconds: Double) -> Double {
        seconds > 0 ? Double(tokens) / seconds : 0
    }

    /// Decoder tokens of `steps` optimizer steps of the global batch.
    public static func tokens(steps: Int, recordsPerStep: Int, imageLength: Int) -> Int {
        steps * recordsPerStep * imageLength
    }
}

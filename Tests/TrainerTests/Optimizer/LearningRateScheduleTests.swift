// The learning-rate schedule against the trajectory fixture (real optax rates), the README's
// worked examples and the edge cases of DALLEBART.md §7 note 11.
import Foundation
import TestSupport
import Testing
import Trainer

/// |a - e| <= 1e-9 · |e| (exact zero when e is zero).
private func expectRelative(_ actual: Double, _ expected: Double, _ label: String) {
    #expect(abs(actual - expected) <= 1e-9 * abs(expected), "\(label): \(actual) vs \(expected)")
}

struct LearningRateScheduleTests {
    /// Every per-step rate of `trajectory/tiny-A`: the float32 rate optax applied (the same float32
    /// value), and the closed form `lr_exact` within 1e-9 relative.
    @Test func reproducesTheTrajectoryRates() throws {
        let url = Fixture.directory("trajectory/tiny-A/trajectory.json")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let schedule = try #require(json["schedule"] as? [String: Any])
        let steps = try #require(json["steps"] as? [[String: Any]])
        let lr = try #require(schedule["learning_rate"] as? Double)
        let warmup = try #require(schedule["warmup_steps"] as? Int)
        let total = try #require(schedule["num_train_steps"] as? Int)
        let perStep = try #require(schedule["lr_per_step"] as? [Double])
        let subject = LearningRateSchedule(
            learningRate: lr, warmupSteps: warmup, decay: .linear(totalSteps: total))
        #expect(steps.count == 10 && perStep.count == 10)
        for record in steps {
            let step = try #require(record["step"] as? Int)
            let count = try #require(record["optimizer_count_before_update"] as? Int)
            let applied = try #require(record["lr"] as? Double)
            let exact = try #require(record["lr_exact"] as? Double)
            #expect(count == step - 1)
            // The JSON holds exact float32 values, but Foundation's JSON parser can land one
            // double ulp away; so: the same float32, and within 1e-9 relative.
            #expect(subject.rate(forUpdate: step) == Float(applied), "step \(step)")
            #expect(subject.rate(atCount: count) == Float(perStep[step - 1]), "step \(step)")
            expectRelative(Double(subject.rate(atCount: count)), applied, "float32 step \(step)")
            expectRelative(subject.exactRate(atCount: count), exact, "exact step \(step)")
        }
    }

    /// README: 0, 2.5e-4, 5e-4, then 1e-3 (never 7.5e-4); zero only at c = N; last update lr/(N-W).
    @Test func workedExamplesOfTheReadme() {
        let s = LearningRateSchedule(learningRate: 1e-3, warmupSteps: 3, decay: .linear(totalSteps: 10))
        let rates = (0..<10).map { s.exactRate(atCount: $0) }
        expectRelative(rates[0], 0, "c=0")
        expectRelative(rates[1], 2.5e-4, "c=1")
        expectRelative(rates[2], 5e-4, "c=2")
        expectRelative(rates[3], 1e-3, "c=3")
        #expect(!rates.contains { abs($0 - 7.5e-4) < 1e-9 })
        expectRelative(rates[9], 1e-3 / 7, "last update")
        #expect(s.rate(atCount: 10) == 0 && s.exactRate(atCount: 10) == 0)
        #expect(s.rate(atCount: 25) == 0)
        #expect(s.rate(atCount: 0) == 0)
    }

    /// Note 11: without decay the first update has lr = 0, also for warmup_steps = 0.
    @Test func withoutDecayTheRampIsTheWholeSchedule() {
        let s = LearningRateSchedule(learningRate: 1e-3, warmupSteps: 3)
        let expected = [0, 2.5e-4, 5e-4, 7.5e-4, 1e-3, 1e-3, 1e-3]
        for (c, value) in expected.enumerated() {
            expectRelative(s.exactRate(atCount: c), value, "c=\(c)")
            #expect(abs(Double(s.rate(atCount: c)) - value) <= 1e-9, "float32 c=\(c)")
        }
        let noWarmup = LearningRateSchedule(learningRate: 1e-3, warmupSteps: 0)
        #expect(noWarmup.rate(forUpdate: 1) == 0)
        #expect(noWarmup.rate(forUpdate: 2) == Float(1e-3))
        #expect(noWarmup.exactRate(atCount: 0) == 0 && noWarmup.exactRate(atCount: 1) == 1e-3)
    }

    /// Note 11: with linear decay and warmup_steps = 0 the first update already uses the full rate.
    @Test func linearDecayWithoutWarmupStartsAtTheFullRate() {
        let s = LearningRateSchedule(learningRate: 2e-3, warmupSteps: 0, decay: .linear(totalSteps: 4))
        #expect(s.rate(forUpdate: 1) == Float(2e-3))
        let expected = [2e-3, 1.5e-3, 1e-3, 5e-4, 0]
        for (c, value) in expected.enumerated() {
            expectRelative(s.exactRate(atCount: c), value, "c=\(c)")
            #expect(abs(Double(s.rate(atCount: c)) - value) <= 1e-9, "float32 c=\(c)")
        }
        // num_train_steps <= warmup_steps: optax's linear schedule degenerates to a constant.
        let degenerate = LearningRateSchedule(
            learningRate: 1e-3, warmupSteps: 5, decay: .linear(totalSteps: 5))
        #expect(degenerate.rate(atCount: 5) == Float(1e-3) && degenerate.rate(atCount: 50) == Float(1e-3))
        #expect(degenerate.exactRate(atCount: 50) == 1e-3)
    }

    /// lr_offset keeps the rate at 0 for `offset` counts, then the whole schedule runs shifted;
    /// the linear decay span (num_train_steps - warmup_steps) is not shifted, as in train.py.
    @Test func offsetKeepsZeroThenShifts() {
        let base = LearningRateSchedule(learningRate: 1e-3, warmupSteps: 3, decay: .linear(totalSteps: 10))
        var shifted = base
        shifted.offset = 5
        for c in 0..<5 {
            #expect(shifted.rate(atCount: c) == 0 && shifted.exactRate(atCount: c) == 0)
        }
        for c in 0..<12 {
            #expect(shifted.rate(atCount: c + 5) == base.rate(atCount: c), "c=\(c)")
            expectRelative(shifted.exactRate(atCount: c + 5), base.exactRate(atCount: c), "exact c=\(c)")
        }
        var ramp = LearningRateSchedule(learningRate: 1e-3, warmupSteps: 1)
        ramp.offset = 2
        #expect((0..<5).map { ramp.exactRate(atCount: $0) } == [0, 0, 0, 5e-4, 1e-3])
    }

    /// optax `exponential_decay` after the boundary: continuous and staircase.
    @Test func exponentialDecay() {
        let continuous = LearningRateSchedule(
            learningRate: 1e-2, warmupSteps: 2,
            decay: .exponential(transitionSteps: 4, rate: 0.5, staircase: false))
        let staircase = LearningRateSchedule(
            learningRate: 1e-2, warmupSteps: 2,
            decay: .exponential(transitionSteps: 4, rate: 0.5, staircase: true))
        expectRelative(continuous.exactRate(atCount: 1), 1e-2 / 3, "ramp")
        for after in 0..<12 {
            let c = after + 2
            let smooth = 1e-2 * pow(0.5, Double(after) / 4)
            let stepped = 1e-2 * pow(0.5, (Double(after) / 4).rounded(.down))
            expectRelative(continuous.exactRate(atCount: c), smooth, "continuous c=\(c)")
            expectRelative(staircase.exactRate(atCount: c), stepped, "staircase c=\(c)")
            // float32 evaluation: a few ulps of the value.
            #expect(abs(Double(continuous.rate(atCount: c)) - smooth) <= 1e-6 * smooth, "f32 c=\(c)")
            #expect(abs(Double(staircase.rate(atCount: c)) - stepped) <= 1e-6 * stepped, "f32 c=\(c)")
        }
        // optax keeps init_value when transition_steps <= 0 or decay_rate == 0.
        let flat = LearningRateSchedule(
            learningRate: 1e-3, warmupSteps: 0,
            decay: .exponential(transitionSteps: 0, rate: 0.5, staircase: false))
        #expect(flat.rate(atCount: 100) == Float(1e-3) && flat.exactRate(atCount: 100) == 1e-3)
        let zeroRate = LearningRateSchedule(
            learningRate: 1e-3, warmupSteps: 0,
            decay: .exponential(transitionSteps: 5, rate: 0, staircase: false))
        #expect(zeroRate.rate(atCount: 100) == Float(1e-3) && zeroRate.exactRate(atCount: 100) == 1e-3)
    }
}

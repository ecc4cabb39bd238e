// The progress line: live redraw on a terminal, one line per log interval in a log file,
// the text and the ETA; and the phase timer behind the per-phase seconds.
import Foundation
import Testing
import Trainer

/// Collects what a ProgressLine prints.
private final class Sink: @unchecked Sendable {
    var text = ""
    func write(_ piece: String) { text += piece }
}

struct ProgressLineTests {
    @Test func formatShowsStepLossRateThroughputAndETA() {
        let line = ProgressLine.format(
            step: 120, totalSteps: 300, loss: 5.43214, learningRate: 1e-3, tokensPerSecond: 12345.4,
            stepSeconds: 0.5)
        #expect(line == "step 120/300 | loss 5.4321 | lr 1.00e-03 | 12345 tok/s | ETA 1m30s")
        #expect(
            ProgressLine.format(
                step: 5, totalSteps: nil, loss: 1, learningRate: 0, tokensPerSecond: 0, stepSeconds: 1)
                == "step 5 | loss 1.0000 | lr 0.00e+00 | 0 tok/s")
        #expect(ProgressLine.duration(45) == "45s" && ProgressLine.duration(187) == "3m07s")
        #expect(ProgressLine.duration(7500) == "2h05m" && ProgressLine.duration(.infinity) == "?")
    }

    @Test func logFilesGetOneLinePerInterval() {
        let sink = Sink()
        var progress = ProgressLine(
            isActive: true, totalSteps: 25, logInterval: 10, isTerminal: false, output: sink.write)
        for step in 1...25 {
            progress.update(step: step, loss: 2, learningRate: 1e-3, tokensPerSecond: 100, stepSeconds: 0.1)
        }
        progress.finish()
        let lines = sink.text.split(separator: "\n")
        #expect(lines.count == 3 && !sink.text.contains("\r"))
        #expect(
            lines[0].hasPrefix("step 10/25") && lines[1].hasPrefix("step 20/25")
                && lines[2].hasPrefix("step 25/25"))
    }

    @Test func terminalsGetALiveLine() {
        let sink = Sink()
        var progress = ProgressLine(
            isActive: true, totalSteps: 3, logInterval: 10, isTerminal: true, output: sink.write)
        for step in 1...3 {
            progress.update(step: step, loss: 2, learningRate: 1e-3, tokensPerSecond: 100, stepSeconds: 0.1)
        }
        progress.note("checkpoint written")
        #expect(sink.text.components(separatedBy: "\r").count == 4)
        #expect(sink.text.hasSuffix("\u{1B}[K\ncheckpoint written\n"))
        let silent = Sink()
        var inactive = ProgressLine(
            isActive: false, totalSteps: 3, logInterval: 1, isTerminal: false, output: silent.write)
        inactive.update(step: 1, loss: 2, learningRate: 1e-3, tokensPerSecond: 100, stepSeconds: 0.1)
        #expect(silent.text.isEmpty)
    }

    @Test func phaseTimerAveragesPerStepAndResets() {
        var timer = PhaseTimer()
        for _ in 0..<2 {
            timer.measure(.forward) { usleep(20_000) }
            timer.measure(.backward) { usleep(40_000) }
            let value = timer.measure(.data) { 42 }
            #expect(value == 42)
            timer.endStep()
        }
        #expect(timer.stepsInInterval == 2)
        let interval = timer.interval()
        // Per-step averages: each step slept 20 ms in forward and 40 ms in backward.
        #expect(interval.steps == 2 && interval.phases.forward >= 0.02 && interval.phases.forward < 1)
        #expect(interval.phases.backward >= 0.04 && interval.phases.backward < 1)
        #expect(interval.phases.data >= 0 && interval.phases.data < 0.5 && interval.wallSeconds >= 0)
        #expect(timer.interval().phases == TrainingPhaseSeconds())
        #expect(
            Throughput.tokensPerSecond(
                tokens: Throughput.tokens(steps: 10, recordsPerStep: 16, imageLength: 256), seconds: 4)
                == 10240)
        #expect(Throughput.tokensPerSecond(tokens: 5, seconds: 0) == 0)
    }
}

// The human-facing progress line: a live `\r` line on a terminal, one plain line per log
// interval otherwise (SLURM logs). Not here: the metrics files.
import Foundation

/// Prints training progress on rank 0: `step 120/300 | loss 5.4321 | lr 1.00e-03 |
/// 12345 tok/s | ETA 1m23s`. On a terminal the line is redrawn in place every step; in a log
/// file one line is printed per `logInterval` steps (and for the last step).
public struct ProgressLine {
    /// Whether this rank prints.
    public let isActive: Bool
    /// Redraw in place (`\r`, clear to end of line) instead of printing lines.
    public let isTerminal: Bool
    /// Steps of the run, when known.
    public let totalSteps: Int?
    /// Steps between lines when not on a terminal.
    public let logInterval: Int
    private let output: (String) -> Void
    private var hasLiveLine = false

    /// `output` receives the exact text to print (default: standard output, flushed).
    public init(
        isActive: Bool, totalSteps: Int?, logInterval: Int, isTerminal: Bool = isatty(STDOUT_FILENO) != 0,
        output: @escaping (String) -> Void = ProgressLine.writeToStandardOutput
    ) {
        precondition(logInterval > 0, "log_interval \(logInterval) must be positive")
        self.isActive = isActive
        self.isTerminal = isTerminal
        self.totalSteps = totalSteps
        self.logInterval = logInterval
        self.output = output
    }

    /// Reports optimizer step `step`; `stepSeconds` is the recent mean wall time per step (ETA).
    public mutating func update(
        step: Int, loss: Double, learningRate: Double, tokensPerSecond: Double, stepSeconds: Double
    ) {
        guard isActive else { return }
        let text = Self.format(
            step: step, totalSteps: totalSteps, loss: loss, learningRate: learningRate,
            tokensPerSecond: tokensPerSecond, stepSeconds: stepSeconds)
        if isTerminal {
            output("\r" + text + "\u{1B}[K")
            hasLiveLine = true
        } else if step % logInterval == 0 || step == totalSteps {
            output(text + "\n")
        }
    }

    /// Prints `message` on its own line (ending a live line first).
    public mutating func note(_ message: String) {
        guard isActive else { return }
        finish()
        output(message + "\n")
    }

    /// Ends the live line with a newline (terminal only).
    public mutating func finish() {
        guard isActive, hasLiveLine else { return }
        output("\n")
        hasLiveLine = false
    }

    /// The line's text.
    public static func format(
        step: Int, totalSteps: Int?, loss: Double, learningRate: Double, tokensPerSecond: Double,
        stepSeconds: Double
    ) -> String {
        var parts = [totalSteps.map { "step \(step)/\($0)" } ?? "step \(step)"]
        parts.append("loss " + String(format: "%.4f", loss))
        parts.append("lr " + String(format: "%.2e", learningRate))
        parts.append(String(format: "%.0f", tokensPerSecond) + " tok/s")
        if let totalSteps, stepSeconds > 0 {
            parts.append("ETA " + duration(Double(max(totalSteps - step, 0)) * stepSeconds))
        }
        return parts.joined(separator: " | ")
    }

    /// `45s`, `3m07s`, `2h05m`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m" + String(format: "%02d", total % 60) + "s" }
        return "\(total / 3600)h" + String(format: "%02d", (total % 3600) / 60) + "m"
    }

    /// Writes to standard output without buffering delay.
    public static func writeToStandardOutput(_ text: String) {
        StandardStream.out(text)
    }
}

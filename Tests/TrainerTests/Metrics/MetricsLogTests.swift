// metrics.jsonl: one parseable JSON object per line with every field, written through at once,
// nothing from inactive ranks, appended on reopen.
import Foundation
import Testing
import Trainer

private func temporaryDirectory() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID().uuidString)")
}

struct MetricsLogTests {
    private let record = MetricsRecord(
        step: 10, epoch: 0, samples: 160, loss: 5.25, learningRate: 1e-3, gradNorm: 1.5,
        tokensPerSecond: 4096.5, trainTime: 12.5,
        phases: TrainingPhaseSeconds(
            data: 0.01, forward: 0.2, backward: 0.4, allreduce: 0.05, optimizer: 0.02))

    @Test func writesOneJSONObjectPerLineImmediately() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = try MetricsLog(directory: directory, isActive: true)
        try log.append(record)
        // Readable before the log is closed: nothing waits in a buffer.
        var second = record
        second.step = 20
        second.evalLoss = 5.5
        second.gradNorm = .nan
        try log.append(second)
        let text = try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2 && text.hasSuffix("\n"))
        let first = try #require(
            try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["step"] as? Int == 10 && first["epoch"] as? Int == 0 && first["samples"] as? Int == 160)
        #expect(first["loss"] as? Double == 5.25 && first["learning_rate"] as? Double == 1e-3)
        #expect(first["grad_norm"] as? Double == 1.5 && first["tokens_per_second"] as? Double == 4096.5)
        #expect(first["train_time"] as? Double == 12.5 && first["eval_loss"] == nil)
        #expect(first["time_data"] as? Double == 0.01 && first["time_forward"] as? Double == 0.2)
        #expect(first["time_backward"] as? Double == 0.4 && first["time_allreduce"] as? Double == 0.05)
        #expect(first["time_optimizer"] as? Double == 0.02)
        let next = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(next["eval_loss"] as? Double == 5.5 && next["grad_norm"] is NSNull)
    }

    @Test func reopeningAppendsAndInactiveRanksWriteNothing() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try MetricsLog(directory: directory, isActive: true).append(record)
        try MetricsLog(directory: directory, isActive: true).append(record)
        let text = try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        #expect(text.split(separator: "\n").count == 2)
        let other = temporaryDirectory()
        let inactive = try MetricsLog(directory: other, isActive: false)
        try inactive.append(record)
        #expect(inactive.url == nil && !FileManager.default.fileExists(atPath: other.path))
    }

    @Test func unwritableDirectoryNamesThePath() {
        #expect(throws: MetricsError.self) {
            try MetricsLog(directory: URL(fileURLWithPath: "/proc/no-such-dir"), isActive: true)
        }
    }
}

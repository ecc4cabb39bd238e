// One job per output directory (the run lock), and a resumed run's metrics: the lines past its
// checkpoint are dropped so that every step appears once; TensorBoard gets a purge marker.
import Foundation
import Testing
import Trainer

struct RunDirectoryTests {
    func scratch(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func aSecondJobOnTheSameDirectoryIsRefusedNamingTheHolder() throws {
        let directory = try scratch("lock")
        defer { try? FileManager.default.removeItem(at: directory) }
        var first: RunLock? = try RunLock(directory: directory)
        let error = #expect(throws: SetupError.self) { try RunLock(directory: directory) }
        #expect(error?.description.contains("pid \(getpid())") == true)
        #expect(error?.description.contains(directory.path) == true)
        first = nil
        _ = first
        _ = try RunLock(directory: directory)  // released with its holder
    }

    func record(step: Int) -> MetricsRecord {
        MetricsRecord(
            step: step, epoch: 0, samples: 8 * step, loss: 1, learningRate: 1e-3, gradNorm: 1,
            tokensPerSecond: 1, trainTime: Double(step))
    }

    @Test func resumingDropsTheLinesPastTheCheckpoint() throws {
        let directory = try scratch("metrics")
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            let log = try MetricsLog(directory: directory, isActive: true)
            for step in 1...5 { try log.append(record(step: step)) }
        }
        let resumed = try MetricsLog(directory: directory, isActive: true)
        try resumed.keepSteps(through: 3)
        for step in 4...6 { try resumed.append(record(step: step)) }
        let text = try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        let steps = text.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["step"] as? Int
        }
        #expect(steps == [1, 2, 3, 4, 5, 6])
    }

    @Test func tensorBoardGetsASessionStartAtTheResumedStep() throws {
        let directory = try scratch("events")
        defer { try? FileManager.default.removeItem(at: directory) }
        let writer = try TensorBoardWriter(directory: directory, isActive: true, wallTime: 1, hostName: "h")
        try writer.startSession(atStep: 4, wallTime: 2)
        let data = try Data(contentsOf: try #require(writer.url))
        // Event{wall_time 2.0 (field 1), step 4 (field 2), session_log (field 6) {status START}}.
        let event: [UInt8] =
            [0x09] + withUnsafeBytes(of: Double(2).bitPattern.littleEndian) { Array($0) }
            + [0x10, 0x04, 0x32, 0x02, 0x08, 0x01]
        #expect(data.range(of: Data(event)) != nil)
    }
}

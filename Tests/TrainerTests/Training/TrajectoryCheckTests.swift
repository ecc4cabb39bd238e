// The trajectory replay against dalle-mini's 10-step AdamW + warm-up/decay trajectory, and a
// deliberately wrong optimizer setting that it must catch.
import Foundation
import TestSupport
import Testing
import Trainer

struct TrajectoryCheckTests {
    @Test func replaysTheReferenceTrajectory() throws {
        let check = try TrajectoryCheck(directory: Fixture.directory("trajectory/tiny-A"))
        #expect(check.violations == [])
        #expect(check.steps.count == 10)
        #expect(check.steps[0].learningRate == 0)
        #expect(check.snapshots.first?.isBitIdentical == true)  // the first update has lr 0
        #expect(abs(check.finalLoss - 5.5683975) <= 1e-5)
    }

    @Test func aMissingWeightDecayIsCaught() throws {
        let source = Fixture.directory("trajectory/tiny-A")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "dalle-train-tests/trajectory-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(
            at: directory.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: source, to: directory)
        let jsonURL = directory.appendingPathComponent("trajectory.json")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: jsonURL.path)
        var object = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: jsonURL)) as? [String: Any])
        var optimizer = try #require(object["optimizer"] as? [String: Any])
        optimizer["weight_decay"] = 0.0
        object["optimizer"] = optimizer
        try JSONSerialization.data(withJSONObject: object).write(to: jsonURL)
        let check = try TrajectoryCheck(directory: directory)
        #expect(!check.passes)
        #expect(check.violations.contains { $0.contains("global relative L2") })
    }
}

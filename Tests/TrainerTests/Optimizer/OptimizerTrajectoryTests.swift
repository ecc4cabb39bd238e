// dalle-mini's own optimizers replayed over their 10-step reference trajectories (Adafactor
// unfactored and factored, Distributed Shampoo with RMSProp-normalized grafting, and with AdaGrad
// grafting, Nesterov, ragged blocks and skipped tensors) within the fixtures' tolerances.
import Foundation
import TestSupport
import Testing
import Trainer

struct OptimizerTrajectoryTests {
    @Test(arguments: [
        "tiny-A-adafactor", "tiny-A-adafactor-factored", "tiny-A-shampoo", "tiny-A-shampoo-adagrad-nesterov",
    ])
    func replaysTheReferenceTrajectory(folder: String) throws {
        let check = try TrajectoryCheck(directory: Fixture.directory("trajectory/\(folder)"))
        #expect(check.violations == [])
        #expect(check.steps.count == 10)
        #expect(check.steps[0].learningRate == 0)
        // Update 1 has lr 0 (params_step_1 is params_initial, or p − 0.001·p with Adafactor decay).
        #expect(check.snapshots.first?.isBitIdentical == true)
        try expectFinalStateMatches(check, folder: folder)
    }

    /// The optimizer state after update 10 against the tensors the reference recorded
    /// (`<parameter>::<field>` there, `<field>.<parameter>` or `<field>.<i>.<parameter>` here).
    func expectFinalStateMatches(_ check: TrajectoryCheck, folder: String) throws {
        let file = try SafeTensorsFile(
            contentsOf: Fixture.directory("trajectory/\(folder)/optimizer_state_final.safetensors"))
        let optimizer = try #require(check.optimizer)
        let ours = Dictionary(
            uniqueKeysWithValues: optimizer.stateTensors(layout: try #require(check.layout)).map {
                ($0.name, $0)
            })
        var compared = 0
        for entry in file.entries where entry.name.contains("::") && !entry.name.hasPrefix("inverse_root") {
            let parts = entry.name.components(separatedBy: "::")
            let field = parts[1].split(separator: ".")
            let name = field.count == 2 ? "\(field[0]).\(field[1]).\(parts[0])" : "\(parts[1]).\(parts[0])"
            let tensor = try #require(ours[name], "\(name) missing")
            #expect(tensor.shape == entry.shape, "\(name)")
            let expected = try file.floats(entry.name)
            let actual = Array(UnsafeBufferPointer(start: tensor.pointer, count: tensor.count))
            let scale = expected.map(abs).max() ?? 0
            #expect(relativeError(actual, expected, floor: 1e-30) <= 1e-3 || scale < 1e-20, "\(name)")
            compared += 1
        }
        #expect(compared > 0)
    }
}

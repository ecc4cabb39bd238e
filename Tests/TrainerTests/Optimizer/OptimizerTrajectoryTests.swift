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
    }
}

// `dalle-train check-reference DIR`: the model against a reference dump (fixture layout).
import ArgumentParser
import Foundation
import Trainer

/// Runs forward and backward on a reference dump and compares loss, logits and every gradient
/// with the fixture README's tolerances; exits 1 when any is outside them.
struct CheckReference: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-reference",
        abstract:
            "Compare loss, logits and gradients with a reference dump (params/batch/grads/logits/expected.json)."
    )

    @Argument(
        help:
            "Directory holding params.safetensors, batch.safetensors, grads.safetensors, logits.safetensors and expected.json."
    )
    var directory: String

    @Option(
        help:
            "A dalle-mini model directory of the same model: take the weights from it instead of params.safetensors."
    )
    var model: String?

    @Flag(help: "List the relative error of every gradient tensor.")
    var verbose = false

    @Flag(
        help: """
            DIR is a multi-step trajectory (trajectory.json, batches.safetensors, params_initial/step_1/\
            step_2/final.safetensors): replay dalle-mini's schedule and the optimizer trajectory.json names \
            (adam, adafactor, distributed_shampoo) and compare every step.
            """)
    var trajectory = false

    @Flag(
        help: """
            DIR is a sampling fixture folder (inputs.safetensors, scale-*.safetensors, expected.json): \
            generate as dalle-mini's generate with --model's weights and compare sequences, step logits, \
            scores and the teacher-forced forward.
            """)
    var sampling = false

    func run() throws {
        if trajectory { return try runTrajectory() }
        if sampling { return try runSampling() }
        let check = try ReferenceCheck(
            directory: URL(fileURLWithPath: directory), modelDirectory: model.map { URL(fileURLWithPath: $0) }
        )
        let t = check.tolerances
        print(
            String(
                format: "loss        %.9f (reference %.9f)  |Δ| %.3e  (tolerance %.0e)", check.loss,
                check.referenceLoss, check.lossDifference, t.loss))
        print(
            String(format: "logits      max |Δ| %.3e  (tolerance %.0e)", check.logitsMaxDifference, t.logits))
        if let worst = check.worstGradient {
            print(
                String(
                    format:
                        "gradients   worst relative error %.3e in %@  (tolerance %.0e, floor %.0e x global norm)",
                    worst.relative, worst.name, t.gradientRelative, t.gradientFloor))
        }
        for gradient in check.gradients where !gradient.isCompared {
            print(
                String(
                    format: "            %@: max |Δ| %.3e (analytically zero; not compared)", gradient.name,
                    gradient.maxAbsolute))
        }
        if verbose {
            for gradient in check.gradients where gradient.isCompared {
                print(String(format: "            %.3e  %@", gradient.relative, gradient.name))
            }
        }
        print(check.passes ? "OK: within tolerances" : "FAILED: outside tolerances")
        if !check.passes { throw ExitCode(1) }
    }
}

extension CheckReference {
    /// Replays a trajectory and prints per-step learning rate, loss and gradient norm against the reference.
    func runTrajectory() throws {
        let check = try TrajectoryCheck(directory: URL(fileURLWithPath: directory))
        print("step  lr (ours / reference)      loss (ours / reference)     |Δloss|    grad norm rel. Δ")
        for step in check.steps {
            let normError = abs(step.gradientNorm - step.referenceGradientNorm) / step.referenceGradientNorm
            print(
                String(
                    format: "%4d  %.6e / %.6e  %.7f / %.7f  %.2e   %.2e", step.step,
                    Double(step.learningRate),
                    step.referenceLearningRate, step.loss, step.referenceLoss,
                    abs(step.loss - step.referenceLoss),
                    normError))
        }
        for snapshot in check.snapshots {
            print(
                String(
                    format: "%@: max |Δ| %.2e, global relative L2 %.2e, worst tensor %.2e (%@)%@",
                    snapshot.file,
                    snapshot.maxAbsolute, snapshot.globalRelative, snapshot.worstTensorRelative,
                    snapshot.worstTensor, snapshot.isBitIdentical ? ", bit-identical" : ""))
        }
        print(
            String(
                format: "final loss %.7f (reference %.7f)  |Δ| %.2e", check.finalLoss,
                check.referenceFinalLoss,
                abs(check.finalLoss - check.referenceFinalLoss)))
        for violation in check.violations { print("outside tolerance: \(violation)") }
        print(check.passes ? "OK: within tolerances" : "FAILED: outside tolerances")
        if !check.passes { throw ExitCode(1) }
    }
}

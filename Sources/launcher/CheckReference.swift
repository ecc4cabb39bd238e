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

    @Flag(help: "List the relative error of every gradient tensor.")
    var verbose = false

    func run() throws {
        let check = try ReferenceCheck(directory: URL(fileURLWithPath: directory))
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

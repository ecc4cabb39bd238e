// `dalle-train check-reference --vqgan DIR`: a VQGAN against a fixture folder, stage by stage.
import ArgumentParser
import Foundation
import Trainer

extension CheckReference {
    /// Prints every stage's worst per-image difference and tolerance; exits 1 when one fails.
    func runVQGAN() throws {
        let check = try VQGANReferenceCheck(directory: URL(fileURLWithPath: directory))
        for stage in check.stages {
            let worst = stage.maxAbsolute.max() ?? 0
            let verdict = stage.tolerance == nil ? "info" : (stage.passes ? "ok" : "FAILED")
            let limits =
                stage.tolerance.map {
                    " (tolerance \($0.map { String(format: "%.0e", $0) }.joined(separator: " ")))"
                } ?? ""
            print(String(format: "%-40@ max |Δ| %.3e%@  %@", stage.name, worst, limits, verdict))
            if !stage.note.isEmpty && (verbose || !stage.passes || stage.tolerance != nil) {
                print("    \(stage.note)")
            }
        }
        print(check.passes ? "OK: within tolerances" : "FAILED: outside tolerances")
        if !check.passes { throw ExitCode(1) }
    }
}

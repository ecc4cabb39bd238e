// `dalle-train check-reference --sampling DIR --model MODEL`: generation against a sampling fixture.
import ArgumentParser
import Foundation
import Trainer

extension CheckReference {
    /// Replays every scale file of a sampling fixture folder; exits 1 outside the tolerances.
    func runSampling() throws {
        guard let model else {
            throw ValidationError("--sampling needs --model (the fixture's model, with weights)")
        }
        let check = try SamplingCheck(directory: URL(fileURLWithPath: directory), model: model)
        for result in check.results {
            let minLength = result.minLength.map { ", min_length \($0)" } ?? ""
            let sequences =
                result.mismatchedRows.isEmpty
                ? "sequences exact" : "sequences DIFFER in rows \(result.mismatchedRows)"
            print(
                "\(result.file) (scale \(result.scale)\(minLength)): \(sequences), "
                    + "\(result.steps)/\(result.referenceSteps) steps")
            for (name, value, tolerance) in result.differences {
                let mark = value <= tolerance ? "" : "  OUTSIDE"
                print(
                    String(format: "    %-48@ max |Δ| %.3e  (tolerance %.1e)%@", name, value, tolerance, mark)
                )
            }
        }
        print(check.passes ? "OK: within tolerances" : "FAILED: outside tolerances")
        if !check.passes { throw ExitCode(1) }
    }
}

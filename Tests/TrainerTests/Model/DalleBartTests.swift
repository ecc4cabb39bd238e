// The whole model against the real dalle-mini fixtures: loss, logits and every gradient tensor.
import Foundation
import TestSupport
import Testing
import Trainer

struct DalleBartTests {
    @Test(arguments: ["tiny-A", "tiny-A2"])
    func matchesTheReferenceLossLogitsAndEveryGradient(name: String) throws {
        let check = try ReferenceCheck(directory: Fixture.directory("dallebart/\(name)"))
        #expect(check.lossDifference <= 1e-5, "loss \(check.loss) vs \(check.referenceLoss)")
        #expect(check.logitsMaxDifference <= 1e-5)
        for gradient in check.gradients where gradient.isCompared {
            #expect(gradient.relative <= 1e-4, "\(gradient.name): relative error \(gradient.relative)")
        }
        for gradient in check.gradients where !gradient.isCompared {
            // k_proj.bias: analytically zero; the reference holds ~1e-9 round-off noise.
            #expect(gradient.maxAbsolute <= 1e-6, "\(gradient.name): max |Δ| \(gradient.maxAbsolute)")
        }
        print(
            "\(name): loss Δ \(check.lossDifference), logits max Δ \(check.logitsMaxDifference), worst gradient \(check.worstGradient.map { "\($0.name) \($0.relative)" } ?? "-")"
        )
    }
}

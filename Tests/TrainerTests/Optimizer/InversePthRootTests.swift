// Shampoo's inverse p-th root against the library's worked examples (a statistic padded with an
// identity block, and a full-size one), and numpy's start vector for its power iteration.
import Foundation
import TestSupport
import Testing

@testable import Trainer

struct InversePthRootTests {
    /// numpy.random.RandomState(1729).uniform(-1, 1, 6).astype(float32).
    @Test func startVectorIsNumpys() {
        let expected: [Float] = [
            -0.5756828188896179, -0.48196351528167725, -0.15295624732971191, 0.43932202458381653,
            0.3845018446445465, 0.456349641084671,
        ]
        #expect(numpyUniformStartVector(seed: 1729, count: 6) == expected)
    }

    @Test(arguments: [("padded_p2", 32), ("full_p2", 48)])
    func matchesTheWorkedExample(kind: String, size: Int) throws {
        let directory = Fixture.directory("trajectory/tiny-A-shampoo-adagrad-nesterov")
        let file = try SafeTensorsFile(
            contentsOf: directory.appendingPathComponent("optimizer_state_final.safetensors"))
        let padded = try file.floats("inverse_root_example.\(kind)::input_padded")
        let expectedPadded = try file.floats("inverse_root_example.\(kind)::output")
        let paddedSize = 48
        var statistic = [Float](repeating: 0, count: size * size)
        var expected = statistic
        for i in 0..<size {
            for j in 0..<size {
                statistic[i * size + j] = padded[i * paddedSize + j]
                expected[i * size + j] = expectedPadded[i * paddedSize + j]
            }
        }
        let root = InversePthRoot(capacity: size, paddedCapacity: paddedSize)
        var output = [Float](repeating: .nan, count: size * size)
        let result = root.compute(
            out: &output, statistic: statistic, size: size, paddedSize: paddedSize, exponent: 2)
        let json = try JSONSerialization.jsonObject(
            with: Data(contentsOf: directory.appendingPathComponent("trajectory.json")))
        let probe = try #require(
            ((json as? [String: Any])?["state_probe"] as? [String: Any])?["inverse_root_examples"]
                as? [String: Any])
        let example = try #require(probe[kind] as? [String: Any])
        let iterations = try #require(example["newton_iterations"] as? Int)
        let eigenvalue = try #require((example["power_iteration_max_eigenvalue"] as? NSNumber)?.floatValue)
        #expect(result.iterations == iterations)
        #expect(abs(result.maxEigenvalue - eigenvalue) <= 1e-6 * max(eigenvalue, 1e-6) + 1e-12)
        #expect(result.error < 1e-5)
        let scale = expected.map(abs).max() ?? 1
        expectClose(name: kind, actual: output, expected: expected, atol: 2e-5 * scale, rtol: 0)
    }
}

// Global gradient norm (Double accumulation) and optax clip_by_global_norm semantics.
import TestSupport
import Testing
import Trainer

struct GradientClippingTests {
    @Test func globalNormAccumulatesInDouble() {
        // 10^6 values of 1e-3 plus one 3: float32 accumulation would drift; Double gives the exact sum.
        let count = 1_000_001
        let g = FlatBuffer(count: count)
        for i in 0..<(count - 1) { g.pointer[i] = 1e-3 }
        g.pointer[count - 1] = 3
        let small = Double(Float(1e-3))
        let expected = (Double(count - 1) * small * small + 9).squareRoot()
        #expect(abs(GradientClipping.globalNorm(g) - expected) <= 1e-12 * expected)
        let partial =
            GradientClipping.sumOfSquares(g.pointer, count: 500_000)
            + GradientClipping.sumOfSquares(g.pointer + 500_000, count: count - 500_000)
        #expect(abs(partial.squareRoot() - expected) <= 1e-12 * expected)
    }

    @Test func clipLeavesSmallGradientsAlone() {
        let g = FlatBuffer(count: 3)
        g.pointer[0] = 3
        g.pointer[1] = 4
        let norm = GradientClipping.globalNorm(g)
        #expect(norm == 5)
        #expect(!GradientClipping.clip(g, globalNorm: norm, maxNorm: 5.5))
        #expect(g.toArray() == [3, 4, 0])
    }

    /// optax: `select(norm < max, g, (g / norm) * max)`; at norm == max it still rescales (a no-op).
    @Test func clipRescalesToTheMaximumNorm() {
        let g = FlatBuffer(count: 4)
        let values: [Float] = [3, -4, 12, 0]
        for (i, v) in values.enumerated() { g.pointer[i] = v }
        let norm = GradientClipping.globalNorm(g)
        #expect(norm == 13)
        #expect(GradientClipping.clip(g, globalNorm: norm, maxNorm: 1))
        #expect(g.toArray() == values.map { ($0 / 13) * 1 })
        expectClose(
            name: "clipped norm", actual: [Float(GradientClipping.globalNorm(g))], expected: [1], atol: 0,
            rtol: 1e-6)
        let slice = FlatBuffer(count: 4)
        for (i, v) in values.enumerated() { slice.pointer[i] = v }
        #expect(GradientClipping.clip(slice, globalNorm: 13, maxNorm: 6.5, range: 2..<4))
        #expect(slice.toArray() == [3, -4, 6, 0])
    }
}

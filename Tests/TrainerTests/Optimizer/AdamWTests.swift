// AdamW against optax's one-step fixtures (real dalle-mini/optax), plus the order of operations,
// the sliced (sharded-optimizer) update and the shared step count.
import Foundation
import TestSupport
import Testing
import Trainer

/// All tensors of a safetensors file concatenated in the order of `names` (one flat buffer).
private func flatBuffer(_ file: SafeTensorsFile, names: [String]) throws -> FlatBuffer {
    let total = try names.map { try file.entry($0).count }.reduce(0, +)
    let buffer = FlatBuffer(count: total)
    var offset = 0
    for name in names {
        let count = try file.entry(name).count
        try file.copyFloats(name, into: buffer.pointer + offset, count: count)
        offset += count
    }
    return buffer
}

struct AdamWTests {
    /// One `optax.adam` / `optax.adamw` step (lr 1e-3, b1 0.9, b2 0.999, eps 1e-8, wd 0.01) from
    /// the fixture's parameters and gradients. The kernel repeats optax's float32 operations in
    /// optax's order (no fused multiply-add, `b^1` exact), so the result is bit-identical: the
    /// tolerance is zero. The mistakes the fixture README lists (eps inside the sqrt, no bias
    /// correction, L2 instead of decoupled decay) move single elements by ~1e-4 to 1e-3 here.
    @Test(arguments: ["tiny-A", "tiny-A2"], [0.0, 0.01])
    func oneStepMatchesOptax(config: String, weightDecay: Double) throws {
        let directory = Fixture.directory("dallebart/\(config)")
        let params = try SafeTensorsFile(contentsOf: directory.appendingPathComponent("params.safetensors"))
        let grads = try SafeTensorsFile(contentsOf: directory.appendingPathComponent("grads.safetensors"))
        let expectedName = weightDecay == 0 ? "params_after_adam" : "params_after_adamw"
        let expected = try SafeTensorsFile(
            contentsOf: directory.appendingPathComponent("\(expectedName).safetensors"))
        let names = params.entries.map(\.name)
        let parameters = try flatBuffer(params, names: names)
        let gradients = try flatBuffer(grads, names: names)
        let initial = parameters.toArray()
        let optimizer = AdamW(
            parameterCount: parameters.count,
            hyperparameters: AdamWHyperparameters(
                beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: weightDecay))
        optimizer.update(parameters: parameters, gradients: gradients, learningRate: 1e-3)
        #expect(optimizer.step == 1)
        let reference = try flatBuffer(expected, names: names)
        expectClose(
            name: "\(config) \(expectedName)", actual: parameters.toArray(), expected: reference.toArray(),
            atol: 0, rtol: 0)
        // The step really moved the parameters (by about lr per element).
        let moved = zip(parameters.toArray(), initial).map { abs($0 - $1) }.max() ?? 0
        #expect(moved > 5e-4)
    }

    /// Several steps on a small tensor against the update rule written out in Double. The
    /// gradients include values far below eps and decaying magnitudes, so eps inside the square
    /// root, a missing bias correction or coupled (L2) decay would each miss by far more than
    /// the float32 tolerance (rtol 1e-5 over 5 steps of float32 rounding of O(1) values).
    @Test func orderOfOperationsMatchesTheWrittenRule() {
        let h = AdamWHyperparameters(beta1: 0.9, beta2: 0.95, epsilon: 1e-6, weightDecay: 0.1)
        let initial: [Float] = [0.5, -1.25, 2, 0.01, -0.3, 0, 1, -2]
        let parameters = FlatBuffer(count: initial.count)
        for (i, p) in initial.enumerated() { parameters.pointer[i] = p }
        let gradients = FlatBuffer(count: initial.count)
        let optimizer = AdamW(parameterCount: initial.count, hyperparameters: h)
        var p = initial.map(Double.init)
        var m = [Double](repeating: 0, count: p.count)
        var v = m
        let rates: [Float] = [0, 1e-2, 5e-2, 2e-2, 1e-1]
        for (k, lr) in rates.enumerated() {
            let t = Double(k + 1)
            let g: [Float] = [1e-8, -3e-7, 0.5, -0.25, 4, 0, 1e-3 * Float(k + 1), -2 / Float(k + 1)]
            for (i, value) in g.enumerated() { gradients.pointer[i] = value }
            optimizer.update(parameters: parameters, gradients: gradients, learningRate: lr)
            for i in p.indices {
                let gi = Double(g[i])
                m[i] = (1 - h.beta1) * gi + h.beta1 * m[i]
                v[i] = (1 - h.beta2) * gi * gi + h.beta2 * v[i]
                let mHat = m[i] / (1 - pow(h.beta1, t))
                let vHat = v[i] / (1 - pow(h.beta2, t))
                p[i] -= Double(lr) * (mHat / (vHat.squareRoot() + h.epsilon) + h.weightDecay * p[i])
            }
            if k == 0 {
                // lr = 0 (dalle-mini's first update): parameters bit-identical, moments advanced.
                #expect(parameters.toArray() == initial)
                #expect(optimizer.m.pointer[2] != 0 && optimizer.v.pointer[2] != 0)
            }
        }
        #expect(optimizer.step == rates.count)
        expectClose(
            name: "p after 5 steps", actual: parameters.toArray(), expected: p.map(Float.init),
            atol: 1e-7, rtol: 1e-5)
        expectClose(
            name: "m after 5 steps", actual: optimizer.m.toArray(), expected: m.map(Float.init), atol: 0,
            rtol: 1e-5)
        expectClose(
            name: "v after 5 steps", actual: optimizer.v.toArray(), expected: v.map(Float.init), atol: 1e-30,
            rtol: 1e-5)
    }

    /// The sharded-optimizer mode: two ranks' slices updated by two optimizers equal the whole
    /// buffer updated by one, bit for bit, and elements outside a slice are untouched. The sizes
    /// cross the kernel's blocks and lanes at different elements, so the packed and the scalar
    /// paths must agree bit for bit too.
    @Test func slicesComposeToTheWholeUpdate() {
        let count = 2 * AdamW.blockCount + 455
        let h = AdamWHyperparameters(weightDecay: 0.01)
        let whole = FlatBuffer(count: count)
        let sliced = FlatBuffer(count: count)
        let gradients = FlatBuffer(count: count)
        for i in 0..<count {
            whole.pointer[i] = Float(i % 17) * 0.03 - 0.2
            sliced.pointer[i] = whole.pointer[i]
        }
        let one = AdamW(parameterCount: count, hyperparameters: h)
        let rank0 = AdamW(parameterCount: count, hyperparameters: h)
        let rank1 = AdamW(parameterCount: count, hyperparameters: h)
        let split = AdamW.blockCount + 213
        for step in 1...3 {
            for i in 0..<count { gradients.pointer[i] = Float((i * 7 + step) % 23) * 0.01 - 0.1 }
            one.update(parameters: whole, gradients: gradients, learningRate: 1e-3)
            let before = sliced.toArray()
            rank0.update(parameters: sliced, gradients: gradients, learningRate: 1e-3, range: 0..<split)
            #expect(Array(sliced.toArray()[split...]) == Array(before[split...]))
            rank1.update(parameters: sliced, gradients: gradients, learningRate: 1e-3, range: split..<count)
        }
        #expect(sliced.toArray() == whole.toArray())
        #expect(rank0.step == 3 && rank1.step == 3)
        #expect(Array(rank0.m.toArray()[..<split]) == Array(one.m.toArray()[..<split]))
        #expect(Array(rank1.v.toArray()[split...]) == Array(one.v.toArray()[split...]))
        #expect(rank0.m.toArray()[split...].allSatisfy { $0 == 0 })
    }

    /// A restored count continues the bias correction where it stopped (checkpoint resume).
    @Test func restoredStepContinuesTheBiasCorrection() {
        let h = AdamWHyperparameters()
        let a = FlatBuffer(count: 4)
        let b = FlatBuffer(count: 4)
        let g = FlatBuffer(count: 4)
        for i in 0..<4 { g.pointer[i] = Float(i) - 1.5 }
        let first = AdamW(parameterCount: 4, hyperparameters: h)
        for _ in 0..<3 { first.update(parameters: a, gradients: g, learningRate: 1e-2) }
        let resumed = AdamW(parameterCount: 4, hyperparameters: h)
        let fresh = AdamW(parameterCount: 4, hyperparameters: h)
        b.copy(from: a)
        resumed.m.copy(from: first.m)
        resumed.v.copy(from: first.v)
        resumed.step = first.step
        fresh.m.copy(from: first.m)
        fresh.v.copy(from: first.v)
        let c = FlatBuffer(count: 4)
        c.copy(from: a)
        first.update(parameters: a, gradients: g, learningRate: 1e-2)
        resumed.update(parameters: b, gradients: g, learningRate: 1e-2)
        fresh.update(parameters: c, gradients: g, learningRate: 1e-2)
        #expect(a.toArray() == b.toArray())
        #expect(a.toArray() != c.toArray())
    }
}

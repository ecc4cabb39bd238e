// Layer kernels against plain Double references: forward values, and backward against central
// finite differences of sum(out * dOut) computed in Double.
import Foundation
import TestSupport
import Testing

@testable import Trainer

struct LayerTests {
    static func values(_ count: Int, seed: Double) -> [Float] {
        (0..<count).map { i -> Float in
            let t = Double(i)
            let value: Double = sin(t * 1.37 + seed) * 1.5 + 0.2 * cos(t * 0.31)
            return Float(value)
        }
    }

    /// Double reference of LayerNorm (rms: RMSNorm) applied row-wise.
    static func normReference(
        _ x: [Double], scale: [Double], bias: [Double], rows: Int, channels: Int, rms: Bool
    )
        -> [Double]
    {
        var out = x
        for r in 0..<rows {
            let row = Array(x[r * channels..<(r + 1) * channels])
            let mean = rms ? 0 : row.reduce(0, +) / Double(channels)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(channels)
            let rstd = 1 / (variance + (rms ? mean * mean : 0) + 1e-5).squareRoot()
            for c in 0..<channels { out[r * channels + c] = (row[c] - mean) * rstd * scale[c] + bias[c] }
        }
        return out
    }

    @Test(arguments: [false, true])
    func normsMatchDoubleReferenceAndFiniteDifferences(rms: Bool) {
        let (rows, channels) = (3, 20)
        let x = Self.values(rows * channels, seed: 0.5)
        let scale = Self.values(channels, seed: 1.5).map { 1 + 0.3 * $0 }
        let bias = rms ? [Float](repeating: 0, count: channels) : Self.values(channels, seed: 2.5)
        let dOut = Self.values(rows * channels, seed: 3.5)
        var out = [Float](repeating: 0, count: rows * channels)
        var mean = [Float](repeating: 0, count: rows)
        var rstd = [Float](repeating: 0, count: rows)
        var dx = [Float](repeating: 0, count: rows * channels)
        var dScale = [Float](repeating: 0, count: channels)
        var dBias = [Float](repeating: 0, count: channels)
        if rms {
            RMSNorm.forward(out: &out, rstd: &rstd, input: x, scale: scale, rows: rows, channels: channels)
            RMSNorm.backward(
                dInput: &dx, dScale: &dScale, dOut: dOut, input: x, scale: scale, rstd: rstd, rows: rows,
                channels: channels)
        } else {
            LayerNorm.forward(
                out: &out, mean: &mean, rstd: &rstd, input: x, scale: scale, bias: bias, rows: rows,
                channels: channels)
            LayerNorm.backward(
                dInput: &dx, dScale: &dScale, dBias: &dBias, dOut: dOut, input: x, scale: scale, mean: mean,
                rstd: rstd,
                rows: rows, channels: channels)
        }
        let xd = x.map(Double.init)
        let (sd, bd, dd) = (scale.map(Double.init), bias.map(Double.init), dOut.map(Double.init))
        let reference = Self.normReference(xd, scale: sd, bias: bd, rows: rows, channels: channels, rms: rms)
        expectClose(
            name: "norm forward", actual: out, expected: reference.map(Float.init), atol: 1e-5, rtol: 1e-4)
        func fake(_ x: [Double], _ s: [Double], _ b: [Double]) -> Double {
            zip(Self.normReference(x, scale: s, bias: b, rows: rows, channels: channels, rms: rms), dd).map {
                $0 * $1
            }.reduce(0, +)
        }
        let h = 1e-6
        let numericX = (0..<xd.count).map { i -> Float in
            var (p, m) = (xd, xd)
            p[i] += h
            m[i] -= h
            return Float((fake(p, sd, bd) - fake(m, sd, bd)) / (2 * h))
        }
        let numericScale = (0..<channels).map { i -> Float in
            var (p, m) = (sd, sd)
            p[i] += h
            m[i] -= h
            return Float((fake(xd, p, bd) - fake(xd, m, bd)) / (2 * h))
        }
        expectClose(name: "dInput", actual: dx, expected: numericX, atol: 1e-4, rtol: 1e-3)
        expectClose(name: "dScale", actual: dScale, expected: numericScale, atol: 1e-4, rtol: 1e-3)
        if !rms {
            let numericBias = (0..<channels).map { c in
                (0..<rows).map { dOut[$0 * channels + c] }.reduce(0, +)
            }
            expectClose(name: "dBias", actual: dBias, expected: numericBias, atol: 1e-5, rtol: 1e-4)
        }
    }

    static func activationReference(_ kind: ActivationKind, _ x: Double) -> Double {
        switch kind {
        case .gelu: return 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
        case .geluNew: return 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
        case .relu: return max(x, 0)
        case .silu, .swish: return x / (1 + exp(-x))
        case .quickGelu: return x / (1 + exp(-1.702 * x))
        case .smelu: return x <= -1 ? 0 : x >= 1 ? x : (x + 1) * (x + 1) / 4
        }
    }

    @Test(arguments: ActivationKind.allCases)
    func activationsMatchDoubleReferenceAndDerivatives(kind: ActivationKind) {
        // Points away from the kinks of relu (0) and smelu (±1).
        let x: [Float] = (0..<41).map { -4.05 + 0.2 * Float($0) }
        var out = [Float](repeating: 0, count: x.count)
        Activation.forward(kind, out: &out, input: x, count: x.count)
        expectClose(
            name: "\(kind) forward", actual: out,
            expected: x.map { Float(Self.activationReference(kind, Double($0))) },
            atol: 1e-6, rtol: 1e-5)
        var slope = [Float](repeating: 0.5, count: x.count)
        let ones = [Float](repeating: 1, count: x.count)
        Activation.backward(kind, dInput: &slope, dOut: ones, input: x, count: x.count)
        let h = 1e-6
        let numeric = x.map { v -> Float in
            let v = Double(v)
            return Float(
                (Self.activationReference(kind, v + h) - Self.activationReference(kind, v - h)) / (2 * h))
                + 0.5
        }
        expectClose(
            name: "\(kind) backward (accumulated onto 0.5)", actual: slope, expected: numeric, atol: 1e-5,
            rtol: 1e-4)
        // The forward that keeps the slope gives the same value, and its slope the same gradient.
        var kept = x
        var keptOut = [Float](repeating: 0, count: x.count)
        Activation.forwardKeepingSlope(kind, out: &keptOut, inputThenSlope: &kept, count: x.count)
        #expect(keptOut == out)
        var keptGradient = [Float](repeating: 0.5, count: x.count)
        Activation.backward(dInput: &keptGradient, dOut: ones, slope: kept, count: x.count)
        expectClose(
            name: "\(kind) kept slope", actual: keptGradient, expected: slope, atol: 1e-7, rtol: 1e-6)
    }

    @Test func crossEntropyMatchesDoubleReferenceAndItsGradient() {
        let (rows, classes) = (4, 37)
        let logits = Self.values(rows * classes, seed: 0.9).map { $0 * 3 }
        let labels: [Int32] = [0, 36, 5, 17]
        var gradient = logits
        var losses = [Float](repeating: 0, count: rows)
        let total = CrossEntropy.lossAndGradient(
            inPlace: &gradient, labels: labels, losses: &losses, rows: rows, classes: classes)
        var reference = 0.0
        var dReference = [Float](repeating: 0, count: rows * classes)
        for r in 0..<rows {
            let z = (0..<classes).map { Double(logits[r * classes + $0]) }
            let peak = z.max()!
            let sum = z.map { exp($0 - peak) }.reduce(0, +)
            reference += peak + log(sum) - z[Int(labels[r])]
            for c in 0..<classes {
                dReference[r * classes + c] = Float(exp(z[c] - peak) / sum - (c == Int(labels[r]) ? 1 : 0))
            }
        }
        #expect(abs(total - reference) < 1e-5)
        expectClose(name: "dLogits", actual: gradient, expected: dReference, atol: 1e-7, rtol: 1e-5)
    }

    @Test func dropoutMasksAreReproducibleAndKeepTheExpectedFraction() throws {
        let key = DropoutKey(seed: 9, step: 3, rank: 1)
        let mask = try #require(DropoutMask(key: key, rate: 0.25, site: .hidden, isDecoder: true, layer: 2))
        let again = try #require(DropoutMask(key: key, rate: 0.25, site: .hidden, isDecoder: true, layer: 2))
        let other = try #require(DropoutMask(key: key, rate: 0.25, site: .hidden, isDecoder: true, layer: 3))
        let factors = (0..<100_000).map(mask.factor)
        #expect(factors == (0..<100_000).map(again.factor))
        #expect(factors != (0..<100_000).map(other.factor))
        let kept = Double(factors.filter { $0 > 0 }.count) / 100_000
        #expect(abs(kept - 0.75) < 0.01)
        #expect(Set(factors) == [0, Float(1 / 0.75)])
        #expect(DropoutMask(key: nil, rate: 0.25, site: .hidden, isDecoder: true, layer: 2) == nil)
        #expect(DropoutMask(key: key, rate: 0, site: .hidden, isDecoder: true, layer: 2) == nil)
    }
}

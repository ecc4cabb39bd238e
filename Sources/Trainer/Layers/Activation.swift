// Feed-forward activations (docs/MODEL.md §5.2): exact-erf gelu, tanh gelu_new, relu, silu/swish,
// quick_gelu and dalle-mini's smelu (beta = 1), element-wise forward and backward.
import Foundation

/// Element-wise activation functions and their derivatives.
enum Activation {
    /// out[i] = f(input[i]); `out` may equal `input`.
    static func forward(
        _ kind: ActivationKind,
        out: UnsafeMutablePointer<Float>,  // (count)
        input: UnsafePointer<Float>,  // (count)
        count: Int
    ) {
        switch kind {
        case .gelu: for i in 0..<count { out[i] = gelu(input[i]).value }
        case .geluNew: for i in 0..<count { out[i] = geluTanh(input[i]).value }
        case .relu: for i in 0..<count { out[i] = max(input[i], 0) }
        case .silu, .swish: for i in 0..<count { out[i] = sigmoidLinear(input[i], 1).value }
        case .quickGelu: for i in 0..<count { out[i] = sigmoidLinear(input[i], 1.702).value }
        case .smelu: for i in 0..<count { out[i] = smelu(input[i]).value }
        }
    }

    /// out[i] = f(x[i]), and x[i] becomes f'(x[i]): the forward keeps the slope the backward needs
    /// (`backward(dInput:dOut:slope:)`), computed with the value (for gelu they share erf).
    static func forwardKeepingSlope(
        _ kind: ActivationKind,
        out: UnsafeMutablePointer<Float>,  // (count)
        inputThenSlope x: UnsafeMutablePointer<Float>,  // (count)
        count: Int
    ) {
        WorkerPool.current.forEachRange(count) { range in
            let (out, x, count) = (out + range.lowerBound, x + range.lowerBound, range.count)
            switch kind {
            case .gelu: evaluate(out, x, count) { gelu($0) }
            case .geluNew: evaluate(out, x, count) { geluTanh($0) }
            case .relu: evaluate(out, x, count) { $0 > 0 ? ($0, 1) : (0, 0) }
            case .silu, .swish: evaluate(out, x, count) { sigmoidLinear($0, 1) }
            case .quickGelu: evaluate(out, x, count) { sigmoidLinear($0, 1.702) }
            case .smelu: evaluate(out, x, count) { smelu($0) }
            }
        }
    }

    /// out[i] = f(x[i]).value; x[i] = f(x[i]).slope (same pointer read and written: vectorizes).
    @inline(__always)
    private static func evaluate(
        _ out: UnsafeMutablePointer<Float>, _ x: UnsafeMutablePointer<Float>, _ count: Int,
        _ f: (Float) -> (value: Float, slope: Float)
    ) {
        for i in 0..<count {
            let (value, slope) = f(x[i])
            out[i] = value
            x[i] = slope
        }
    }

    /// dInput[i] (+)= dOut[i] * slope[i] with the slope `forwardKeepingSlope` left behind
    /// (`.overwrite` does not read dInput).
    static func backward(
        dInput: UnsafeMutablePointer<Float>,  // (count)
        dOut: UnsafePointer<Float>,  // (count)
        slope: UnsafePointer<Float>,  // (count)
        count: Int, mode: GradientMode = .accumulate
    ) {
        chain(dInput, dOut, slope, count, mode) { $0 }
    }

    /// Accumulates dInput[i] += dOut[i] * f'(input[i]) (or assigns with `.overwrite`, without reading
    /// dInput). Loops vectorize only when dInput does not alias dOut or input.
    static func backward(
        _ kind: ActivationKind,
        dInput: UnsafeMutablePointer<Float>,  // (count)
        dOut: UnsafePointer<Float>,  // (count)
        input: UnsafePointer<Float>,  // (count)
        count: Int, mode: GradientMode = .accumulate
    ) {
        switch kind {
        case .gelu: chain(dInput, dOut, input, count, mode) { gelu($0).slope }
        case .geluNew: chain(dInput, dOut, input, count, mode) { geluTanh($0).slope }
        case .relu: chain(dInput, dOut, input, count, mode) { $0 > 0 ? 1 : 0 }
        case .silu, .swish: chain(dInput, dOut, input, count, mode) { sigmoidLinear($0, 1).slope }
        case .quickGelu: chain(dInput, dOut, input, count, mode) { sigmoidLinear($0, 1.702).slope }
        case .smelu: chain(dInput, dOut, input, count, mode) { smelu($0).slope }
        }
    }

    /// dInput[i] (+)= dOut[i] * slope(input[i]).
    @inline(__always)
    private static func chain(
        _ dInput: UnsafeMutablePointer<Float>, _ dOut: UnsafePointer<Float>, _ input: UnsafePointer<Float>,
        _ count: Int, _ mode: GradientMode, _ slope: (Float) -> Float
    ) {
        if mode == .overwrite {
            for i in 0..<count { dInput[i] = dOut[i] * slope(input[i]) }
        } else {
            for i in 0..<count { dInput[i] += dOut[i] * slope(input[i]) }
        }
    }

    /// 0.5·x·(1 + erf(x/√2)) and its derivative.
    @inline(__always)
    static func gelu(_ x: Float) -> (value: Float, slope: Float) {
        let cdf = 0.5 * (1 + fastErf(x * 0.707_106_781_186_547_6))
        let pdf = fastExp(-0.5 * x * x) * 0.398_942_280_401_432_7
        return (x * cdf, cdf + x * pdf)
    }

    /// 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) and its derivative.
    @inline(__always)
    static func geluTanh(_ x: Float) -> (value: Float, slope: Float) {
        let c: Float = 0.797_884_560_802_865_4
        let t = tanh(c * (x + 0.044_715 * x * x * x))
        return (0.5 * x * (1 + t), 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044_715 * x * x))
    }

    /// x·sigmoid(a·x) (silu for a = 1, quick_gelu for a = 1.702) and its derivative.
    @inline(__always)
    static func sigmoidLinear(_ x: Float, _ a: Float) -> (value: Float, slope: Float) {
        let s = 1 / (1 + exp(-a * x))
        return (x * s, s + a * x * s * (1 - s))
    }

    /// smelu with beta 1: 0 below -1, x above 1, (x + 1)²/4 between.
    @inline(__always)
    static func smelu(_ x: Float) -> (value: Float, slope: Float) {
        if x <= -1 { return (0, 0) }
        if x >= 1 { return (x, 1) }
        return ((x + 1) * (x + 1) * 0.25, (x + 1) * 0.5)
    }
}

// The gated hidden unit of dalle-mini's GLU (docs/MODEL.md §4.5): act(x·W0) * (x·W1), with the
// activation on the Dense_0 (gate) branch. The surrounding projections and norms are in FFN.swift.

enum GLU {
    /// activated = act(gate); product = activated * linear; `gate` is replaced by act'(gate).
    static func forward(
        product: UnsafeMutablePointer<Float>,  // (N, F)
        activated: UnsafeMutablePointer<Float>,  // (N, F)
        gateThenSlope: UnsafeMutablePointer<Float>,  // (N, F) in: Dense_0 output; out: act'
        linear: UnsafePointer<Float>,  // (N, F)
        activation: ActivationKind, count: Int
    ) {
        Activation.forwardKeepingSlope(
            activation, out: activated, inputThenSlope: gateThenSlope, count: count)
        multiply(product: product, activated: activated, linear: linear, count: count)
    }

    /// product = activated * linear (also backward's recomputation of the product).
    static func multiply(
        product: UnsafeMutablePointer<Float>, activated: UnsafePointer<Float>, linear: UnsafePointer<Float>,
        count: Int
    ) {
        for i in 0..<count { product[i] = activated[i] * linear[i] }
    }

    /// Overwrites dGate = dProduct * linear * slope and dLinear = dProduct * activated, with the
    /// slope act'(gate) that `forward` left. No output may alias an input (LLVM vectorizes only
    /// loops whose buffers do not overlap).
    static func backward(
        dGate: UnsafeMutablePointer<Float>,  // (N, F)
        dLinear: UnsafeMutablePointer<Float>,  // (N, F)
        dProduct: UnsafePointer<Float>,  // (N, F)
        slope: UnsafePointer<Float>,  // (N, F)
        activated: UnsafePointer<Float>,  // (N, F)
        linear: UnsafePointer<Float>,  // (N, F)
        count: Int
    ) {
        precondition(UnsafePointer(dGate) != dProduct, "GLU.backward: dGate must not alias dProduct")
        for i in 0..<count {
            let d = dProduct[i]
            dLinear[i] = d * activated[i]
            dGate[i] = d * linear[i] * slope[i]
        }
    }
}

// The gated hidden unit of dalle-mini's GLU (DALLEBART.md §4.6): act(x·W0) * (x·W1), with the
// activation on the Dense_0 (gate) branch. The surrounding projections and norms are in FFN.swift.

enum GLU {
    /// activated = act(gate); product = activated * linear.
    static func forward(
        product: UnsafeMutablePointer<Float>,  // (N, F)
        activated: UnsafeMutablePointer<Float>,  // (N, F)
        gate: UnsafePointer<Float>,  // (N, F)
        linear: UnsafePointer<Float>,  // (N, F)
        activation: ActivationKind, count: Int
    ) {
        Activation.forward(activation, out: activated, input: gate, count: count)
        for i in 0..<count { product[i] = activated[i] * linear[i] }
    }

    /// Overwrites dGate = dProduct * linear * act'(gate) and dLinear = dProduct * activated.
    /// No output may alias an input: LLVM vectorizes only loops whose buffers do not overlap.
    static func backward(
        dGate: UnsafeMutablePointer<Float>,  // (N, F)
        dLinear: UnsafeMutablePointer<Float>,  // (N, F)
        dProduct: UnsafePointer<Float>,  // (N, F)
        gate: UnsafePointer<Float>,  // (N, F)
        activated: UnsafePointer<Float>,  // (N, F)
        linear: UnsafePointer<Float>,  // (N, F)
        activation: ActivationKind, count: Int
    ) {
        precondition(UnsafePointer(dGate) != dProduct, "GLU.backward: dGate must not alias dProduct")
        if activation == .gelu {
            for i in 0..<count {
                let d = dProduct[i]
                dLinear[i] = d * activated[i]
                dGate[i] = d * linear[i] * Activation.gelu(gate[i]).slope
            }
            return
        }
        for i in 0..<count {
            let d = dProduct[i]
            dLinear[i] = d * activated[i]
            dGate[i] = d * linear[i]
        }
        Activation.backward(
            activation, dInput: dGate, dOut: dGate, input: gate, count: count, mode: .overwrite)
    }
}

// One norm site as the model sees it: LayerNorm or RMSNorm (per ln_type), applied or skipped,
// with the weights it has. Dispatches to LayerNorm/RMSNorm; no string comparisons.

/// Parameter (or gradient) pointers of one norm site.
struct NormWeights {
    var kind: NormKind
    var isApplied: Bool
    var scale: UnsafeMutablePointer<Float>?  // (D)
    var bias: UnsafeMutablePointer<Float>?  // (D)

    init(_ tensors: NormTensors, kind: NormKind, in base: UnsafeMutablePointer<Float>) {
        self.kind = kind
        isApplied = tensors.isApplied
        scale = tensors.scale.map { base + $0 }
        bias = tensors.bias.map { base + $0 }
    }
}

/// What a norm site saves for backward; `out` aliases the input when the norm is not applied.
struct NormActivations {
    var out: UnsafeMutablePointer<Float>  // (N, D)
    var mean: UnsafeMutablePointer<Float>  // (N), LayerNorm only
    var rstd: UnsafeMutablePointer<Float>  // (N)
}

enum Normalization {
    /// saved.out = norm(input), unless the site is not applied (then `saved.out` is `input`).
    static func forward(
        _ saved: NormActivations, input: UnsafePointer<Float>, weights: NormWeights, rows: Int, channels: Int
    ) {
        guard weights.isApplied else { return }
        switch weights.kind {
        case .layernorm:
            LayerNorm.forward(
                out: saved.out, mean: saved.mean, rstd: saved.rstd, input: input, scale: weights.scale,
                bias: weights.bias, rows: rows, channels: channels)
        case .rmsnorm:
            RMSNorm.forward(
                out: saved.out, rstd: saved.rstd, input: input, scale: weights.scale, rows: rows,
                channels: channels)
        }
    }

    /// Writes saved.out again from `input` and the saved statistics, as `forward` did (nothing
    /// to do where the site is not applied).
    static func recompute(
        _ saved: NormActivations, input: UnsafePointer<Float>, weights: NormWeights, rows: Int, channels: Int
    ) {
        guard weights.isApplied else { return }
        switch weights.kind {
        case .layernorm:
            LayerNorm.normalize(
                out: saved.out, input: input, mean: saved.mean, rstd: saved.rstd, scale: weights.scale,
                bias: weights.bias, rows: rows, channels: channels)
        case .rmsnorm:
            RMSNorm.normalize(
                out: saved.out, input: input, rstd: saved.rstd, scale: weights.scale, rows: rows,
                channels: channels)
        }
    }

    /// Accumulates the input gradient into dInput and the weight gradients into `gradients`.
    /// Only valid for an applied site.
    static func backward(
        dInput: UnsafeMutablePointer<Float>, gradients: NormWeights, dOut: UnsafePointer<Float>,
        input: UnsafePointer<Float>, weights: NormWeights, saved: NormActivations, rows: Int, channels: Int
    ) {
        precondition(weights.isApplied)
        switch weights.kind {
        case .layernorm:
            LayerNorm.backward(
                dInput: dInput, dScale: gradients.scale, dBias: gradients.bias, dOut: dOut, input: input,
                scale: weights.scale, mean: saved.mean, rstd: saved.rstd, rows: rows, channels: channels)
        case .rmsnorm:
            RMSNorm.backward(
                dInput: dInput, dScale: gradients.scale, dOut: dOut, input: input, scale: weights.scale,
                rstd: saved.rstd, rows: rows, channels: channels)
        }
    }
}

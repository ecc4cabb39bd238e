// Seeded random initialization per docs/MODEL.md §6: N(0, init_std²) kernels and embeddings,
// zero biases, unit scales, deepnet / subln gains. Reproducible from (seed) on any machine.
// NOTE(divergence): the random stream is ours (counter-based), not JAX's PRNG; the distribution matches.
import Foundation

public enum Initialization {
    /// Fills every tensor of `parameters` (laid out by `layout` for `config`) from `seed`.
    public static func initialize(
        _ parameters: FlatBuffer, layout: ParameterLayout, config: DalleBartConfig, seed: UInt64
    ) {
        precondition(parameters.count == layout.count)
        let p = parameters.pointer
        for (index, entry) in layout.entries.enumerated() {
            let values = p + entry.offset
            if entry.name.hasSuffix(".kernel") || entry.name.hasSuffix(".embedding") {
                let random = CounterRandom(seed, UInt64(index))
                for i in 0..<entry.count { values[i] = random.normal(i) * config.initStd }
            } else if entry.name.hasSuffix(".scale") || entry.name.hasSuffix(".head_scale") {
                values.update(repeating: 1, count: entry.count)
            } else {
                values.update(repeating: 0, count: entry.count)
            }
        }
        applyGains(p, tensors: layout.tensors, config: config)
    }

    /// Deepnet alpha for the residual branch of (encoder, decoder) layers; 1 without deepnet scaling.
    static func residualGains(_ config: DalleBartConfig) -> (encoder: Float, decoder: Float) {
        guard config.useDeepnetScaling else { return (1, 1) }
        let (e, d) = (Double(config.encoderLayers), Double(config.decoderLayers))
        return (Float(0.81 * pow(pow(e, 4) * d, 1.0 / 16)), Float(pow(3 * d, 0.25)))
    }

    /// Multiplies v_proj/out_proj and feed-forward kernels by the deepnet beta and subln gains.
    private static func applyGains(
        _ p: UnsafeMutablePointer<Float>, tensors: ModelTensors, config: DalleBartConfig
    ) {
        let (e, d) = (Double(config.encoderLayers), Double(config.decoderLayers))
        for isDecoder in [false, true] {
            var beta = 1.0
            var subln = 1.0
            if config.useDeepnetScaling {
                beta = isDecoder ? pow(12 * d, -0.25) : 0.87 * pow(pow(e, 4) * d, -1.0 / 16)
            }
            if config.useSublnInit {
                subln = isDecoder ? log(3 * d).squareRoot() : (log(3 * d) * log(2 * e) / 3).squareRoot()
            }
            guard beta != 1 || subln != 1 else { continue }
            func scale(_ linear: LinearTensors, by gain: Double) {
                let kernel = p + linear.kernel
                for i in 0..<linear.inputs * linear.outputs { kernel[i] *= Float(gain) }
            }
            for layer in (isDecoder ? tensors.decoder : tensors.encoder).layers {
                for attention in [layer.selfAttention] + (layer.crossAttention.map { [$0] } ?? []) {
                    let isSelf = attention.query.kernel == layer.selfAttention.query.kernel
                    let gain = beta * (isSelf ? subln : 1)
                    scale(attention.value, by: gain)
                    scale(attention.output, by: gain)
                }
                let ffn = layer.feedForward
                for linear in [ffn.gate, ffn.output] + (ffn.linear.map { [$0] } ?? []) {
                    scale(linear, by: beta * subln)
                }
            }
        }
    }
}

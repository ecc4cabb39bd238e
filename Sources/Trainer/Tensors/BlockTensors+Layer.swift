// Per-layer names: Flax's per-class counters (LayerNorm_k / RMSNorm_k, FlaxBartAttention_k,
// GLU_0 / FFN_0, Dense_k), where a parameter-free norm still consumes its counter index.

extension ModelTensors {
    static func layer(
        _ config: DalleBartConfig, _ plan: NormPlan, isDecoder: Bool, index: Int, prefix: String,
        builder: inout LayoutBuilder
    ) -> LayerTensors {
        let normClass = plan.kind == .layernorm ? "LayerNorm" : "RMSNorm"
        var normCounter = 0
        func norm(_ slot: NormSlot, _ scope: String, width: Int, counter: inout Int) -> NormTensors {
            guard slot.isApplied else { return .absent }
            defer { counter += 1 }
            return NormTensors(
                slot, kind: plan.kind, prefix: "\(scope).\(normClass)_\(counter)", width: width,
                builder: &builder)
        }
        func attention(_ normPlan: AttentionNormPlan, module: Int) -> AttentionTensors {
            let d = config.dModel
            let heads = isDecoder ? config.decoderAttentionHeads : config.encoderAttentionHeads
            let before = norm(normPlan.before, prefix, width: d, counter: &normCounter)
            let scope = "\(prefix).FlaxBartAttention_\(module)"
            func dense(_ name: String) -> LinearTensors {
                LinearTensors(
                    prefix: "\(scope).\(name)", inputs: d, outputs: d, usesBias: config.useBias,
                    builder: &builder)
            }
            let (q, k, v, o) = (dense("q_proj"), dense("k_proj"), dense("v_proj"), dense("out_proj"))
            let headScale = config.useHeadScale ? builder.add("\(scope).head_scale", [1, 1, heads, 1]) : nil
            let mid = NormTensors(
                normPlan.mid, kind: plan.kind, prefix: "\(scope).mid_layernorm", width: d, builder: &builder)
            let after = norm(normPlan.after, prefix, width: d, counter: &normCounter)
            return AttentionTensors(
                before: before, after: after, query: q, key: k, value: v, output: o, headScale: headScale,
                mid: mid, heads: heads)
        }
        let selfAttention = attention(
            isDecoder ? plan.decoderSelfAttention : plan.encoderAttention, module: 0)
        let crossAttention = isDecoder ? attention(plan.decoderCrossAttention, module: 1) : nil
        let feedForward = feedForwardTensors(
            config, plan, width: isDecoder ? config.decoderFFNDim : config.encoderFFNDim, prefix: prefix,
            normClass: normClass, builder: &builder)
        let count = isDecoder ? config.decoderLayers : config.encoderLayers
        let endSlot = plan.hasLayerEndNorm(index: index, count: count) ? NormSlot.withScale : .absent
        let end = norm(endSlot, prefix, width: config.dModel, counter: &normCounter)
        return LayerTensors(
            selfAttention: selfAttention, crossAttention: crossAttention, feedForward: feedForward, end: end)
    }

    private static func feedForwardTensors(
        _ config: DalleBartConfig, _ plan: NormPlan, width: Int, prefix: String, normClass: String,
        builder: inout LayoutBuilder
    ) -> FeedForwardTensors {
        let d = config.dModel
        let scope = "\(prefix).\(config.useGLU ? "GLU_0" : "FFN_0")"
        var normCounter = 0
        var denseCounter = 0
        func norm(_ slot: NormSlot, width: Int) -> NormTensors {
            guard slot.isApplied else { return .absent }
            defer { normCounter += 1 }
            return NormTensors(
                slot, kind: plan.kind, prefix: "\(scope).\(normClass)_\(normCounter)", width: width,
                builder: &builder)
        }
        func dense(_ inputs: Int, _ outputs: Int) -> LinearTensors {
            defer { denseCounter += 1 }
            return LinearTensors(
                prefix: "\(scope).Dense_\(denseCounter)", inputs: inputs, outputs: outputs,
                usesBias: config.useBias, builder: &builder)
        }
        let input = norm(plan.feedForward.input, width: d)
        let gate = dense(d, width)
        let linear = config.useGLU ? dense(d, width) : nil
        let hidden = norm(plan.feedForward.hidden, width: width)
        let output = dense(width, d)
        let outputNorm = norm(plan.feedForward.output, width: d)
        return FeedForwardTensors(
            input: input, hidden: hidden, outputNorm: outputNorm, gate: gate, linear: linear, output: output,
            width: width)
    }
}

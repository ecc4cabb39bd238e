// Typed offsets into the flat buffer for every block of the model, built together with the
// ParameterLayout entries. The same offsets address parameters and gradients.

/// Offsets of one norm (nil scale/bias where the norm has none); `isApplied` false: no norm here.
struct NormTensors {
    var isApplied: Bool
    var scale: Int?
    var bias: Int?
    static let absent = NormTensors(isApplied: false)

    init(isApplied: Bool, scale: Int? = nil, bias: Int? = nil) {
        self.isApplied = isApplied
        self.scale = scale
        self.bias = bias
    }

    /// Adds `<prefix>.scale`/`.bias` per `slot` and `kind` (RMSNorm has no bias; no scale unless the slot has one).
    init(_ slot: NormSlot, kind: NormKind, prefix: String, width: Int, builder: inout LayoutBuilder) {
        isApplied = slot.isApplied
        guard slot.isApplied else { return }
        if slot.hasScale { scale = builder.add("\(prefix).scale", [width]) }
        if kind == .layernorm { bias = builder.add("\(prefix).bias", [width]) }
    }
}

/// Offsets of one Dense: kernel (inputs, outputs) and optional bias (outputs).
struct LinearTensors {
    var kernel: Int
    var bias: Int?
    var inputs: Int
    var outputs: Int

    init(prefix: String, inputs: Int, outputs: Int, usesBias: Bool, builder: inout LayoutBuilder) {
        self.inputs = inputs
        self.outputs = outputs
        kernel = builder.add("\(prefix).kernel", [inputs, outputs])
        bias = usesBias ? builder.add("\(prefix).bias", [outputs]) : nil
    }
}

/// One attention block: its pre/post norms (layer-level names) and `FlaxBartAttention_k`.
struct AttentionTensors {
    var before: NormTensors
    var after: NormTensors
    var query, key, value, output: LinearTensors
    var headScale: Int?
    var mid: NormTensors
    var heads: Int
}

/// One GLU_0/FFN_0 block. `gate` is Dense_0 (gets the activation); `linear` is GLU's Dense_1.
struct FeedForwardTensors {
    var input, hidden, outputNorm: NormTensors
    var gate: LinearTensors
    var linear: LinearTensors?
    var output: LinearTensors
    var width: Int
}

/// One encoder or decoder layer.
struct LayerTensors {
    var selfAttention: AttentionTensors
    var crossAttention: AttentionTensors?
    var feedForward: FeedForwardTensors
    var end: NormTensors
}

/// Embeddings, layers and final norm of the encoder or the decoder.
struct StackTensors {
    var tokens: Int
    var positions: Int?
    var embeddingNorm: NormTensors
    var layers: [LayerTensors]
    var final: NormTensors
}

/// The whole model.
struct ModelTensors {
    var encoder: StackTensors
    var decoder: StackTensors
    var lmHead: Int

    init(config: DalleBartConfig, builder: inout LayoutBuilder) {
        let plan = NormPlan(config)
        encoder = Self.stack(config, plan, isDecoder: false, builder: &builder)
        decoder = Self.stack(config, plan, isDecoder: true, builder: &builder)
        lmHead = builder.add("lm_head.kernel", [config.dModel, config.imageClasses])
    }

    private static func stack(
        _ config: DalleBartConfig, _ plan: NormPlan, isDecoder: Bool, builder: inout LayoutBuilder
    ) -> StackTensors {
        let side = isDecoder ? "decoder" : "encoder"
        let d = config.dModel
        let rows = isDecoder ? config.imageClasses : config.encoderVocabSize
        let length = isDecoder ? config.imageLength : config.maxTextLength
        let tokens = builder.add("model.\(side).embed_tokens.embedding", [rows, d])
        let positions =
            config.useAbsolutePositionEmbeddings
            ? builder.add("model.\(side).embed_positions.embedding", [length, d]) : nil
        let embeddingNorm = NormTensors(
            .withScale, kind: plan.kind, prefix: "model.\(side).layernorm_embedding", width: d,
            builder: &builder)
        let count = isDecoder ? config.decoderLayers : config.encoderLayers
        let layers = (0..<count).map { i in
            let prefix =
                isDecoder
                ? "model.decoder.layers.FlaxBartDecoderLayer_\(i)"
                : "model.encoder.layers.FlaxBartEncoderLayer_\(i)"
            return layer(config, plan, isDecoder: isDecoder, index: i, prefix: prefix, builder: &builder)
        }
        let finalSlot = isDecoder ? plan.decoderFinal : plan.encoderFinal
        let final = NormTensors(
            finalSlot, kind: plan.kind, prefix: "model.\(side).final_ln", width: d, builder: &builder)
        return StackTensors(
            tokens: tokens, positions: positions, embeddingNorm: embeddingNorm, layers: layers, final: final)
    }
}

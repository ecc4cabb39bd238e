// config.json exactly as transformers' `save_pretrained` writes a DalleBartConfig: every
// DalleBartConfig field, the special ids and generation lengths, and the PretrainedConfig
// entries that differ from transformers' defaults; keys sorted, 2-space indent, Python's float
// spelling, trailing newline.

/// The text of a dalle-mini `config.json` for a configuration.
public enum PretrainedConfigJSON {
    /// transformers version recorded in the file (the version dalle-mini 0.1.5 runs with).
    public static let transformersVersion = "4.25.1"

    enum Value {
        case int(Int), bool(Bool), float(Float), string(String), strings([String])

        var json: String {
            switch self {
            case .int(let v): return "\(v)"
            case .bool(let v): return v ? "true" : "false"
            case .float(let v): return pythonRepr(v)
            case .string(let v): return "\"\(v)\""
            case .strings(let v):
                return "[\n" + v.map { "    \"\($0)\"" }.joined(separator: ",\n") + "\n  ]"
            }
        }
    }

    /// Python's `repr` of the float32 value's shortest decimal as a double (0.0, 0.02, 1e-05).
    static func pythonRepr(_ value: Float) -> String {
        let double = Double("\(value)") ?? Double(value)
        var text = "\(double)"
        if let e = text.firstIndex(of: "e") {
            // Swift: 1e-05 / 1e+16 already match Python; normalise a mantissa "1.0e-05" to "1e-05".
            let mantissa = text[..<e]
            if mantissa.hasSuffix(".0") { text = String(mantissa.dropLast(2)) + text[e...] }
        }
        return text
    }

    /// The file's text for `config` (whose `useScan` should say the layout of the weights).
    public static func text(_ config: DalleBartConfig) -> String {
        let c = config
        let entries: [(String, Value)] = [
            ("activation_dropout", .float(c.activationDropout)),
            ("activation_function", .string(c.activationFunction.rawValue)),
            ("architectures", .strings(["eBart"])),
            ("attention_dropout", .float(c.attentionDropout)),
            ("bos_token_id", .int(c.bosTokenID)),
            ("d_model", .int(c.dModel)),
            ("decoder_attention_heads", .int(c.decoderAttentionHeads)),
            ("decoder_ffn_dim", .int(c.decoderFFNDim)),
            ("decoder_layers", .int(c.decoderLayers)),
            ("decoder_start_token_id", .int(c.decoderStartTokenID)),
            ("do_sample", .bool(true)),
            ("dropout", .float(c.dropout)),
            ("encoder_attention_heads", .int(c.encoderAttentionHeads)),
            ("encoder_ffn_dim", .int(c.encoderFFNDim)),
            ("encoder_layers", .int(c.encoderLayers)),
            ("encoder_vocab_size", .int(c.encoderVocabSize)),
            ("eos_token_id", .int(c.eosTokenID)),
            ("force_ln_scale", .bool(c.forceLNScale)),
            ("gradient_checkpointing", .bool(c.gradientCheckpointing)),
            ("image_length", .int(c.imageLength)),
            ("image_vocab_size", .int(c.imageVocabSize)),
            ("init_std", .float(c.initStd)),
            ("is_encoder_decoder", .bool(true)),
            ("ln_positions", .string(c.lnPositions.rawValue)),
            ("ln_type", .string(c.lnType.rawValue)),
            ("max_length", .int(c.imageLength + 1)),
            ("max_text_length", .int(c.maxTextLength)),
            ("min_length", .int(c.imageLength + 1)),
            ("model_type", .string("dallebart")),
            ("normalize_text", .bool(c.normalizeText)),
            ("pad_token_id", .int(c.padTokenID)),
            ("scale_embedding", .bool(c.scaleEmbedding)),
            ("sinkhorn_iters", .int(c.sinkhornIters)),
            ("tau_init", .float(c.tauInit)),
            ("tie_word_embeddings", .bool(c.tieWordEmbeddings)),
            ("transformers_version", .string(transformersVersion)),
            ("use_absolute_position_embeddings", .bool(c.useAbsolutePositionEmbeddings)),
            ("use_alibi", .bool(c.useAlibi)),
            ("use_bias", .bool(c.useBias)),
            ("use_cache", .bool(true)),
            ("use_cosine_attention", .bool(c.useCosineAttention)),
            ("use_deepnet_scaling", .bool(c.useDeepnetScaling)),
            ("use_final_ln_decoder", .bool(c.useFinalLNDecoder)),
            ("use_final_ln_encoder", .bool(c.useFinalLNEncoder)),
            ("use_glu", .bool(c.useGLU)),
            ("use_head_scale", .bool(c.useHeadScale)),
            ("use_scan", .bool(FlaxLayerLayout(config: c) == .scan)),
            ("use_subln_init", .bool(c.useSublnInit)),
            ("use_swin_position_embeddings", .bool(c.useSwinPositionEmbeddings)),
        ]
        return "{\n" + entries.map { "  \"\($0.0)\": \($0.1.json)" }.joined(separator: ",\n") + "\n}\n"
    }
}

// Cross-field validation and the named presets (tiny, small: ours; the others dalle-mini's).

extension DalleBartConfig {
    /// Throws `ConfigError` naming the key when the configuration cannot be trained as given.
    public func validate() throws {
        let positive: [(String, Int)] = [
            ("encoder_vocab_size", encoderVocabSize), ("image_vocab_size", imageVocabSize),
            ("image_length", imageLength), ("max_text_length", maxTextLength), ("d_model", dModel),
            ("encoder_layers", encoderLayers), ("decoder_layers", decoderLayers),
            ("encoder_attention_heads", encoderAttentionHeads),
            ("decoder_attention_heads", decoderAttentionHeads),
            ("encoder_ffn_dim", encoderFFNDim), ("decoder_ffn_dim", decoderFFNDim),
        ]
        for (key, value) in positive where value < 1 {
            throw ConfigError.outOfRange(key: key, value: "\(value)", requirement: "must be at least 1")
        }
        for (key, heads) in [
            ("encoder_attention_heads", encoderAttentionHeads),
            ("decoder_attention_heads", decoderAttentionHeads),
        ] where dModel % heads != 0 {
            throw ConfigError.inconsistent(
                keys: ["d_model", key], reason: "\(heads) heads do not divide d_model \(dModel)")
        }
        for (key, rate) in [
            ("dropout", dropout), ("attention_dropout", attentionDropout),
            ("activation_dropout", activationDropout),
        ] where !(rate >= 0 && rate < 1) {
            throw ConfigError.outOfRange(key: key, value: "\(rate)", requirement: "a rate in [0, 1)")
        }
        if !(initStd > 0) {
            throw ConfigError.outOfRange(
                key: "init_std", value: "\(initStd)", requirement: "must be positive")
        }
        if useCosineAttention && !(tauInit > 0) {
            throw ConfigError.outOfRange(
                key: "tau_init", value: "\(tauInit)", requirement: "must be positive")
        }
        if !(0...imageVocabSize).contains(decoderStartTokenID) {
            throw ConfigError.inconsistent(
                keys: ["decoder_start_token_id", "image_vocab_size"],
                reason:
                    "start id \(decoderStartTokenID) has no row in the \(imageClasses)-row decoder embedding")
        }
        try validateSupported()
    }

    /// Options dalle-mini accepts (or asserts against) that this trainer does not implement.
    private func validateSupported() throws {
        if lnPositions == .postln || lnPositions == .deepnet {
            throw ConfigError.unsupported(
                key: "ln_positions", value: lnPositions.rawValue,
                reason: "dalle-mini 0.1.5 cannot build this decoder (docs/MODEL.md §1)")
        }
        if !useFinalLNDecoder {
            throw ConfigError.unsupported(
                key: "use_final_ln_decoder", value: "false",
                reason: "dalle-mini 0.1.5 requires the decoder final norm (docs/MODEL.md §1)")
        }
        if useAlibi {
            throw ConfigError.unsupported(
                key: "use_alibi", value: "true", reason: "dalle-mini asserts it is false")
        }
        if tieWordEmbeddings {
            throw ConfigError.unsupported(
                key: "tie_word_embeddings", value: "true",
                reason: "dalle-mini's tied path references a non-existent shared table")
        }
        if useSwinPositionEmbeddings {
            throw ConfigError.unsupported(
                key: "use_swin_position_embeddings", value: "true",
                reason: "relative position bias tables are not implemented")
        }
        if sinkhornIters != 1 {
            throw ConfigError.unsupported(
                key: "sinkhorn_iters", value: "\(sinkhornIters)",
                reason: "only softmax attention (1) is implemented")
        }
    }

    /// A named preset: tiny, small, micro, mini, mega.
    public static func preset(_ name: String) throws -> DalleBartConfig {
        var config = DalleBartConfig()
        config.maxTextLength = 64
        config.imageLength = 256
        config.encoderVocabSize = 50264
        let shape: (d: Int, layers: Int, heads: Int, ffn: Int, images: Int, std: Float)
        switch name {
        case "tiny": shape = (128, 2, 4, 256, 16384, 0.02)
        case "small": shape = (256, 4, 8, 1024, 16384, 0.02)
        case "micro": shape = (1024, 2, 16, 2048, 16385, 0.02)
        case "mini": shape = (1024, 12, 16, 2560, 16384, 0.02)
        case "mega": shape = (2048, 24, 32, 8192, 16385, 0.01)
        default:
            throw ConfigError.unknownValue(
                key: "model", value: name, accepted: ["tiny", "small", "micro", "mini", "mega"])
        }
        config.dModel = shape.d
        config.encoderLayers = shape.layers
        config.decoderLayers = shape.layers
        config.encoderAttentionHeads = shape.heads
        config.decoderAttentionHeads = shape.heads
        config.encoderFFNDim = shape.ffn
        config.decoderFFNDim = shape.ffn
        config.imageVocabSize = shape.images
        config.initStd = shape.std
        if name == "tiny" || name == "small" {
            config.dropout = 0
        } else {
            // dalle-mini's shipped configs: start 16384, bos/eos/pad 16385, normalised captions.
            config.decoderStartTokenIDOverride = 16384
            config.bosTokenIDOverride = 16385
            config.eosTokenIDOverride = 16385
            config.padTokenIDOverride = 16385
            config.normalizeText = true
        }
        try config.validate()
        return config
    }
}

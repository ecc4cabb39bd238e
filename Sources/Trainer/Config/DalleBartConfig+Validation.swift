// Cross-field validation of a model configuration (the presets: DalleBartConfig+Presets.swift).

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
        // Bounds far above any dalle-mini model, so that no size computed from them can overflow.
        for (key, value) in positive where value > Self.maximumDimension {
            throw ConfigError.outOfRange(
                key: key, value: "\(value)", requirement: "at most \(Self.maximumDimension)")
        }
        for (key, value) in [("encoder_layers", encoderLayers), ("decoder_layers", decoderLayers)]
        where value > Self.maximumLayers {
            throw ConfigError.outOfRange(
                key: key, value: "\(value)", requirement: "at most \(Self.maximumLayers)")
        }
        if estimatedParameterCount > Double(Self.maximumParameterCount) {
            throw ConfigError.outOfRange(
                key: "d_model", value: "\(dModel)",
                requirement: String(
                    format: "these sizes give about %.3g parameters; at most %.3g are supported",
                    estimatedParameterCount, Double(Self.maximumParameterCount)))
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
        for (key, id) in [
            ("bos_token_id", bosTokenIDOverride), ("pad_token_id", padTokenIDOverride),
            ("eos_token_id", eosTokenIDOverride),
        ] {
            if let id, !(0...Self.maximumDimension).contains(id) {
                throw ConfigError.outOfRange(key: key, value: "\(id)", requirement: "an image-side id >= 0")
            }
        }
        try validateSupported()
    }

    /// Largest vocabulary, length, width or head count accepted (2^24).
    public static let maximumDimension = 1 << 24
    /// Largest layer count per stack accepted.
    public static let maximumLayers = 1024
    /// Largest model accepted (2^37 ≈ 137 billion parameters; mega has 2.6 billion).
    public static let maximumParameterCount = 1 << 37

    /// The parameter count from the sizes alone, in floating point (no overflow), checked before
    /// any table or buffer is built.
    public var estimatedParameterCount: Double {
        let d = Double(dModel)
        let embeddings = Double(encoderVocabSize + maxTextLength + imageVocabSize + 1 + imageLength) * d
        let encoder = Double(encoderLayers) * (4 * d * d + 3 * d * Double(encoderFFNDim))
        let decoder = Double(decoderLayers) * (8 * d * d + 3 * d * Double(decoderFFNDim))
        return embeddings + encoder + decoder + d * Double(imageVocabSize + 1)
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
}

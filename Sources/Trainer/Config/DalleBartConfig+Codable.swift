// DalleBartConfig <-> dalle-mini config.json keys (snake_case). Unknown keys that do not change the
// math (architectures, transformers_version, ...) are ignored; unknown values of known keys throw.
import Foundation

extension DalleBartConfig: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case encoderVocabSize = "encoder_vocab_size", imageVocabSize = "image_vocab_size"
        case imageLength = "image_length", maxTextLength = "max_text_length", dModel = "d_model"
        case encoderLayers = "encoder_layers", decoderLayers = "decoder_layers"
        case encoderAttentionHeads = "encoder_attention_heads"
        case decoderAttentionHeads = "decoder_attention_heads"
        case encoderFFNDim = "encoder_ffn_dim", decoderFFNDim = "decoder_ffn_dim"
        case activationFunction = "activation_function", dropout
        case attentionDropout = "attention_dropout", activationDropout = "activation_dropout"
        case initStd = "init_std", scaleEmbedding = "scale_embedding", useBias = "use_bias"
        case lnType = "ln_type", lnPositions = "ln_positions", useGLU = "use_glu"
        case useFinalLNEncoder = "use_final_ln_encoder", useFinalLNDecoder = "use_final_ln_decoder"
        case forceLNScale = "force_ln_scale", useHeadScale = "use_head_scale"
        case useCosineAttention = "use_cosine_attention", tauInit = "tau_init"
        case useAbsolutePositionEmbeddings = "use_absolute_position_embeddings"
        case useSwinPositionEmbeddings = "use_swin_position_embeddings"
        case useDeepnetScaling = "use_deepnet_scaling", useSublnInit = "use_subln_init"
        case sinkhornIters = "sinkhorn_iters", useAlibi = "use_alibi"
        case tieWordEmbeddings = "tie_word_embeddings", useScan = "use_scan"
        case gradientCheckpointing = "gradient_checkpointing", normalizeText = "normalize_text"
        case decoderStartTokenID = "decoder_start_token_id", bosTokenID = "bos_token_id"
        case padTokenID = "pad_token_id", eosTokenID = "eos_token_id"
        case modelType = "model_type"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        // A mistyped key must not silently fall back to its default.
        let present = try decoder.container(keyedBy: ConfigKey.self).allKeys.map(\.stringValue)
        for key in present.sorted() where CodingKeys(rawValue: key) == nil && !Self.ignoredKeys.contains(key)
        {
            throw ConfigError.unknownKey(
                key: key,
                suggestion: EditDistance.closest(to: key, among: CodingKeys.allCases.map(\.rawValue)))
        }
        func int(_ key: CodingKeys, _ value: inout Int) throws {
            if let v = try c.decodeIfPresent(Int.self, forKey: key) { value = v }
        }
        func float(_ key: CodingKeys, _ value: inout Float) throws {
            if let v = try c.decodeIfPresent(Double.self, forKey: key) { value = Float(v) }
        }
        func bool(_ key: CodingKeys, _ value: inout Bool) throws {
            if let v = try c.decodeIfPresent(Bool.self, forKey: key) { value = v }
        }
        func choice<E: RawRepresentable & CaseIterable>(_ key: CodingKeys, _ value: inout E) throws
        where E.RawValue == String {
            guard let text = try c.decodeIfPresent(String.self, forKey: key) else { return }
            guard let parsed = E(rawValue: text) else {
                throw ConfigError.unknownValue(
                    key: key.rawValue, value: text, accepted: E.allCases.map(\.rawValue))
            }
            value = parsed
        }
        try int(.encoderVocabSize, &encoderVocabSize)
        try int(.imageVocabSize, &imageVocabSize)
        try int(.imageLength, &imageLength)
        try int(.maxTextLength, &maxTextLength)
        try int(.dModel, &dModel)
        try int(.encoderLayers, &encoderLayers)
        try int(.decoderLayers, &decoderLayers)
        try int(.encoderAttentionHeads, &encoderAttentionHeads)
        try int(.decoderAttentionHeads, &decoderAttentionHeads)
        try int(.encoderFFNDim, &encoderFFNDim)
        try int(.decoderFFNDim, &decoderFFNDim)
        try choice(.activationFunction, &activationFunction)
        try float(.dropout, &dropout)
        try float(.attentionDropout, &attentionDropout)
        try float(.activationDropout, &activationDropout)
        try float(.initStd, &initStd)
        try bool(.scaleEmbedding, &scaleEmbedding)
        try bool(.useBias, &useBias)
        try choice(.lnType, &lnType)
        try choice(.lnPositions, &lnPositions)
        try bool(.useGLU, &useGLU)
        try bool(.useFinalLNEncoder, &useFinalLNEncoder)
        try bool(.useFinalLNDecoder, &useFinalLNDecoder)
        try bool(.forceLNScale, &forceLNScale)
        try bool(.useHeadScale, &useHeadScale)
        try bool(.useCosineAttention, &useCosineAttention)
        try float(.tauInit, &tauInit)
        try bool(.useAbsolutePositionEmbeddings, &useAbsolutePositionEmbeddings)
        try bool(.useSwinPositionEmbeddings, &useSwinPositionEmbeddings)
        try bool(.useDeepnetScaling, &useDeepnetScaling)
        try bool(.useSublnInit, &useSublnInit)
        try int(.sinkhornIters, &sinkhornIters)
        try bool(.useAlibi, &useAlibi)
        try bool(.tieWordEmbeddings, &tieWordEmbeddings)
        useScan = try c.decodeIfPresent(Bool.self, forKey: .useScan)
        try bool(.gradientCheckpointing, &gradientCheckpointing)
        try bool(.normalizeText, &normalizeText)
        decoderStartTokenIDOverride = try c.decodeIfPresent(Int.self, forKey: .decoderStartTokenID)
        bosTokenIDOverride = try c.decodeIfPresent(Int.self, forKey: .bosTokenID)
        padTokenIDOverride = try c.decodeIfPresent(Int.self, forKey: .padTokenID)
        eosTokenIDOverride = try c.decodeIfPresent(Int.self, forKey: .eosTokenID)
        if let type = try c.decodeIfPresent(String.self, forKey: .modelType), type != "dallebart" {
            throw ConfigError.unknownValue(key: "model_type", value: type, accepted: ["dallebart"])
        }
        try validate()
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(encoderVocabSize, forKey: .encoderVocabSize)
        try c.encode(imageVocabSize, forKey: .imageVocabSize)
        try c.encode(imageLength, forKey: .imageLength)
        try c.encode(maxTextLength, forKey: .maxTextLength)
        try c.encode(dModel, forKey: .dModel)
        try c.encode(encoderLayers, forKey: .encoderLayers)
        try c.encode(decoderLayers, forKey: .decoderLayers)
        try c.encode(encoderAttentionHeads, forKey: .encoderAttentionHeads)
        try c.encode(decoderAttentionHeads, forKey: .decoderAttentionHeads)
        try c.encode(encoderFFNDim, forKey: .encoderFFNDim)
        try c.encode(decoderFFNDim, forKey: .decoderFFNDim)
        try c.encode(activationFunction.rawValue, forKey: .activationFunction)
        try c.encode(Self.decimal(dropout), forKey: .dropout)
        try c.encode(Self.decimal(attentionDropout), forKey: .attentionDropout)
        try c.encode(Self.decimal(activationDropout), forKey: .activationDropout)
        try c.encode(Self.decimal(initStd), forKey: .initStd)
        try c.encode(scaleEmbedding, forKey: .scaleEmbedding)
        try c.encode(useBias, forKey: .useBias)
        try c.encode(lnType.rawValue, forKey: .lnType)
        try c.encode(lnPositions.rawValue, forKey: .lnPositions)
        try c.encode(useGLU, forKey: .useGLU)
        try c.encode(useFinalLNEncoder, forKey: .useFinalLNEncoder)
        try c.encode(useFinalLNDecoder, forKey: .useFinalLNDecoder)
        try c.encode(forceLNScale, forKey: .forceLNScale)
        try c.encode(useHeadScale, forKey: .useHeadScale)
        try c.encode(useCosineAttention, forKey: .useCosineAttention)
        try c.encode(Self.decimal(tauInit), forKey: .tauInit)
        try c.encode(useAbsolutePositionEmbeddings, forKey: .useAbsolutePositionEmbeddings)
        try c.encode(useSwinPositionEmbeddings, forKey: .useSwinPositionEmbeddings)
        try c.encode(useDeepnetScaling, forKey: .useDeepnetScaling)
        try c.encode(useSublnInit, forKey: .useSublnInit)
        try c.encode(sinkhornIters, forKey: .sinkhornIters)
        try c.encode(useAlibi, forKey: .useAlibi)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        try c.encode(useScan ?? (lnPositions != .swinv2), forKey: .useScan)
        try c.encode(gradientCheckpointing, forKey: .gradientCheckpointing)
        try c.encode(normalizeText, forKey: .normalizeText)
        try c.encode(decoderStartTokenID, forKey: .decoderStartTokenID)
        try c.encode(bosTokenID, forKey: .bosTokenID)
        try c.encode(padTokenID, forKey: .padTokenID)
        try c.encode(eosTokenID, forKey: .eosTokenID)
        try c.encode("dallebart", forKey: .modelType)
    }

    /// The Float's shortest decimal form as a Double (0.01, not 0.009999999776).
    private static func decimal(_ value: Float) -> Double { Double("\(value)") ?? Double(value) }
}

extension DalleBartConfig {
    /// Keys a dalle-mini `config.json` may hold that do not change the computation here: the rest of
    /// dalle-mini 0.1.5's `DalleBartConfig` arguments and transformers 4.25.1's `PretrainedConfig`
    /// attributes (generation defaults, labels, bookkeeping).
    static let ignoredKeys: Set<String> = [
        "use_cache", "is_encoder_decoder", "forced_eos_token_id", "do_sample", "encoder_layerdrop",
        "decoder_layerdrop", "max_position_embeddings", "return_dict", "output_hidden_states",
        "output_attentions", "torchscript", "torch_dtype", "use_bfloat16", "tf_legacy_loss", "pruned_heads",
        "is_decoder", "cross_attention_hidden_size", "add_cross_attention", "tie_encoder_decoder",
        "max_length",
        "min_length", "early_stopping", "num_beams", "num_beam_groups", "diversity_penalty", "temperature",
        "top_k", "top_p", "typical_p", "repetition_penalty", "length_penalty", "no_repeat_ngram_size",
        "encoder_no_repeat_ngram_size", "bad_words_ids", "num_return_sequences", "chunk_size_feed_forward",
        "output_scores", "return_dict_in_generate", "forced_bos_token_id", "remove_invalid_values",
        "exponential_decay_length_penalty", "suppress_tokens", "begin_suppress_tokens", "architectures",
        "finetuning_task", "id2label", "label2id", "tokenizer_class", "prefix", "sep_token_id",
        "task_specific_params", "problem_type", "_name_or_path", "name_or_path", "transformers_version",
        "_commit_hash", "vocab_size",
    ]

    /// Any key of a JSON object.
    struct ConfigKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

// The named model presets, in one table. `tiny` and `small` are ours; `micro`, `mini`,
// `mini_glu` and `mega` are dalle-mini's training configurations (tools/train/config/<name>/
// config.json) key for key, every key a file omits taking DalleBartConfig's default.

extension DalleBartConfig {
    /// One preset: the keys it sets; everything else keeps the `DalleBartConfig` default.
    struct Preset {
        var name: String
        var dModel: Int
        var layers: Int
        var heads: Int
        var ffn: Int
        var imageVocabSize: Int
        var encoderVocabSize = 50264
        var initStd: Float = 0.02
        /// dalle-mini's shipped configs: dropout 0, special ids 16384/16385, normalised captions.
        var isDalleMini = true
        var useScan: Bool? = nil
        var gradientCheckpointing = true
    }

    /// Every preset, in the order help texts list them.
    static let presets: [Preset] = [
        Preset(
            name: "tiny", dModel: 128, layers: 2, heads: 4, ffn: 256, imageVocabSize: 16384,
            isDalleMini: false),
        Preset(
            name: "small", dModel: 256, layers: 4, heads: 8, ffn: 1024, imageVocabSize: 16384,
            isDalleMini: false),
        Preset(name: "micro", dModel: 256, layers: 2, heads: 2, ffn: 256, imageVocabSize: 16391),
        Preset(
            name: "mini", dModel: 1024, layers: 12, heads: 16, ffn: 4096, imageVocabSize: 16391,
            gradientCheckpointing: false),
        Preset(
            name: "mini_glu", dModel: 1024, layers: 12, heads: 16, ffn: 2730, imageVocabSize: 16400,
            encoderVocabSize: 50300, useScan: false, gradientCheckpointing: false),
        Preset(
            name: "mega", dModel: 2048, layers: 24, heads: 32, ffn: 4096, imageVocabSize: 16415,
            encoderVocabSize: 50272, initStd: 0.01, gradientCheckpointing: false),
    ]

    /// The preset names, in table order.
    public static var presetNames: [String] { presets.map(\.name) }

    /// The named preset; throws `ConfigError.unknownValue` listing the names otherwise.
    public static func preset(_ name: String) throws -> DalleBartConfig {
        guard let preset = presets.first(where: { $0.name == name }) else {
            throw ConfigError.unknownValue(key: "model", value: name, accepted: presetNames)
        }
        var config = DalleBartConfig()
        config.maxTextLength = 64
        config.imageLength = 256
        config.encoderVocabSize = preset.encoderVocabSize
        config.dModel = preset.dModel
        config.encoderLayers = preset.layers
        config.decoderLayers = preset.layers
        config.encoderAttentionHeads = preset.heads
        config.decoderAttentionHeads = preset.heads
        config.encoderFFNDim = preset.ffn
        config.decoderFFNDim = preset.ffn
        config.imageVocabSize = preset.imageVocabSize
        config.initStd = preset.initStd
        config.useScan = preset.useScan
        config.gradientCheckpointing = preset.gradientCheckpointing
        config.dropout = 0
        if preset.isDalleMini {
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

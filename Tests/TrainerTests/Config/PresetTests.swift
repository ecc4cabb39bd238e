// Every preset against its defining values: ours for tiny/small, dalle-mini's
// tools/train/config/<name>/config.json (with DalleBartConfig defaults for omitted keys) for the rest.
import Testing
import Trainer

struct PresetTests {
    /// (name, d_model, layers, heads, ffn, image vocab, text vocab, init_std, use_scan, parameters in millions)
    static let table: [(String, Int, Int, Int, Int, Int, Int, Float, Bool?, Double)] = [
        ("tiny", 128, 2, 4, 256, 16384, 50264, 0.02, nil, 11.46),
        ("small", 256, 4, 8, 1024, 16384, 50264, 0.02, nil, 30.8),
        ("micro", 256, 2, 2, 256, 16391, 50264, 0.02, nil, 23.71),
        ("mini", 1024, 12, 16, 4096, 16391, 50264, 0.02, nil, 538.6),
        ("mini_glu", 1024, 12, 16, 2730, 16400, 50300, 0.02, false, 437.8),
        ("mega", 2048, 24, 32, 4096, 16415, 50272, 0.01, nil, 2599.0),
    ]

    @Test func everyPresetHasItsDefiningValues() throws {
        #expect(DalleBartConfig.presetNames == Self.table.map(\.0))
        for (name, d, layers, heads, ffn, images, texts, std, useScan, millions) in Self.table {
            let c = try DalleBartConfig.preset(name)
            #expect(c.dModel == d && c.encoderLayers == layers && c.decoderLayers == layers, "\(name)")
            #expect(c.encoderAttentionHeads == heads && c.decoderAttentionHeads == heads, "\(name)")
            #expect(c.encoderFFNDim == ffn && c.decoderFFNDim == ffn, "\(name)")
            #expect(c.imageVocabSize == images && c.encoderVocabSize == texts && c.initStd == std, "\(name)")
            #expect(c.useScan == useScan && c.maxTextLength == 64 && c.imageLength == 256, "\(name)")
            #expect(c.dropout == 0 && c.attentionDropout == 0 && c.activationDropout == 0, "\(name)")
            #expect(
                c.lnType == .layernorm && c.lnPositions == .normformer && c.useGLU && !c.useBias, "\(name)")
            #expect(c.tauInit == 0.05 && c.activationFunction == .gelu, "\(name)")
            let count = Double(ParameterLayout(config: c).count) / 1e6
            #expect(abs(count - millions) / millions < 0.01, "\(name): \(count)M parameters")
            if name != "tiny" && name != "small" {
                #expect(c.decoderStartTokenID == 16384 && c.bosTokenID == 16385 && c.eosTokenID == 16385)
                #expect(c.padTokenID == 16385 && c.normalizeText, "\(name)")
            }
        }
        #expect(throws: ConfigError.self) { try DalleBartConfig.preset("huge") }
    }
}

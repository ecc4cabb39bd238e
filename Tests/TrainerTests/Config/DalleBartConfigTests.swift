// DalleBartConfig decoding, validation (errors name the key), presets and config.json round trips.
import Foundation
import TestSupport
import Testing
import Trainer

struct DalleBartConfigTests {
    func decode(_ json: String) throws -> DalleBartConfig {
        try DalleBartConfig.decode(json: Data(json.utf8))
    }

    func expectRejected(_ json: String, naming key: String, sourceLocation: SourceLocation = #_sourceLocation)
    {
        do {
            _ = try decode(json)
            Issue.record("\(json) was accepted", sourceLocation: sourceLocation)
        } catch {
            #expect("\(error)".contains("'\(key)'"), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func decodesTheFixtureResolvedConfigs() throws {
        let a = try ParameterLayoutTests.fixtureConfig("tiny-A")
        #expect(a.dModel == 32 && a.lnPositions == .normformer && a.useGLU && !a.useBias)
        #expect(a.decoderStartTokenID == 256)
        let a2 = try ParameterLayoutTests.fixtureConfig("tiny-A2")
        #expect(
            a2.lnType == .rmsnorm && a2.lnPositions == .preln && a2.encoderFFNDim == 40
                && a2.decoderFFNDim == 56)
        #expect(a2.encoderAttentionHeads == 2 && a2.decoderAttentionHeads == 3)
    }

    @Test func specialTokensDefaultToTheImageVocabularySize() throws {
        let config = try decode(
            #"{"image_vocab_size": 300, "d_model": 64, "encoder_attention_heads": 4, "decoder_attention_heads": 4}"#
        )
        #expect(config.decoderStartTokenID == 300 && config.bosTokenID == 300)
        #expect(config.padTokenID == 300 && config.eosTokenID == 300)
    }

    @Test func unknownEnumValuesAreRejectedWithTheKey() {
        expectRejected(#"{"ln_positions": "sandwich"}"#, naming: "ln_positions")
        expectRejected(#"{"ln_type": "batchnorm"}"#, naming: "ln_type")
        expectRejected(#"{"activation_function": "mish"}"#, naming: "activation_function")
    }

    @Test func unimplementedOptionsAreRejectedWithTheKey() {
        expectRejected(#"{"use_alibi": true}"#, naming: "use_alibi")
        expectRejected(#"{"tie_word_embeddings": true}"#, naming: "tie_word_embeddings")
        expectRejected(#"{"ln_positions": "postln"}"#, naming: "ln_positions")
        expectRejected(#"{"ln_positions": "deepnet"}"#, naming: "ln_positions")
        expectRejected(#"{"use_swin_position_embeddings": true}"#, naming: "use_swin_position_embeddings")
        expectRejected(#"{"sinkhorn_iters": 3}"#, naming: "sinkhorn_iters")
        expectRejected(#"{"use_final_ln_decoder": false}"#, naming: "use_final_ln_decoder")
    }

    @Test func crossFieldValidation() {
        expectRejected(#"{"d_model": 100, "encoder_attention_heads": 16}"#, naming: "encoder_attention_heads")
        expectRejected(
            #"{"d_model": 64, "encoder_attention_heads": 4, "decoder_attention_heads": 5}"#,
            naming: "decoder_attention_heads")
        expectRejected(#"{"dropout": 1.0}"#, naming: "dropout")
        expectRejected(#"{"encoder_layers": 0}"#, naming: "encoder_layers")
        expectRejected(
            #"{"image_vocab_size": 10, "decoder_start_token_id": 11}"#, naming: "decoder_start_token_id")
        #expect(throws: ConfigError.self) { try decode("[1, 2]") }
    }

    @Test func encodesBackToDalleMiniKeys() throws {
        var config = try DalleBartConfig.preset("mega")
        config.lnType = .rmsnorm
        config.activationFunction = .quickGelu
        let data = try config.encodedJSON()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["ln_type"] as? String == "rmsnorm")
        #expect(object["activation_function"] as? String == "quick_gelu")
        #expect(object["decoder_start_token_id"] as? Int == 16384)
        #expect(object["model_type"] as? String == "dallebart")
        #expect(object["init_std"] as? Double == 0.01)
        var decoded = try DalleBartConfig.decode(json: data)
        #expect(decoded.useScan == true)
        decoded.useScan = nil
        #expect(decoded == config)
    }
}

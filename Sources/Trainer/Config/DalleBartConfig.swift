// The model configuration: a Codable mirror of dalle-mini's DalleBartConfig (docs/MODEL.md §1)
// with the Python snake_case keys, so config.json files load and save in both directions.
import Foundation

/// Which normalisation every norm of the model uses (`ln_type`).
public enum NormKind: String, Codable, CaseIterable, Sendable {
    case layernorm, rmsnorm
}

/// Where the norms sit in each layer (`ln_positions`); `NormPlan` turns it into booleans.
public enum NormPlacement: String, Codable, CaseIterable, Sendable {
    case normformer, preln, cogview, swinv2, subln, postln, deepnet
}

/// The feed-forward activation (`activation_function`), docs/MODEL.md §5.2.
public enum ActivationKind: String, Codable, CaseIterable, Sendable {
    case gelu
    case geluNew = "gelu_new"
    case relu, silu, swish
    case quickGelu = "quick_gelu"
    case smelu
}

/// dalle-mini's `DalleBartConfig`: every key that changes the training math, with its defaults.
/// Decoding rejects unknown enum values and options this trainer does not implement, naming the key.
public struct DalleBartConfig: Equatable, Sendable {
    public var encoderVocabSize = 50264
    public var imageVocabSize = 16384
    public var imageLength = 256
    public var maxTextLength = 64
    public var dModel = 1024
    public var encoderLayers = 12
    public var decoderLayers = 12
    public var encoderAttentionHeads = 16
    public var decoderAttentionHeads = 16
    public var encoderFFNDim = 4096
    public var decoderFFNDim = 4096
    public var activationFunction = ActivationKind.gelu
    public var dropout: Float = 0.1
    public var attentionDropout: Float = 0
    public var activationDropout: Float = 0
    public var initStd: Float = 0.02
    public var scaleEmbedding = false
    public var useBias = false
    public var lnType = NormKind.layernorm
    public var lnPositions = NormPlacement.normformer
    public var useGLU = true
    public var useFinalLNEncoder = true
    public var useFinalLNDecoder = true
    public var forceLNScale = false
    public var useHeadScale = false
    public var useCosineAttention = false
    public var tauInit: Float = 0.05
    public var useAbsolutePositionEmbeddings = true
    public var useSwinPositionEmbeddings = false
    public var useDeepnetScaling = false
    public var useSublnInit = false
    public var sinkhornIters = 1
    public var useAlibi = false
    public var tieWordEmbeddings = false
    /// Stacked layer parameters in dalle-mini; no effect on the math (nil: dalle-mini's default).
    public var useScan: Bool? = nil
    /// Rematerialisation in dalle-mini; no effect on the math.
    public var gradientCheckpointing = true
    /// Text normalisation before tokenization (a data-side flag carried for config.json round trips).
    public var normalizeText = false
    /// Special image-side token ids; nil means dalle-mini's default, `image_vocab_size`.
    public var decoderStartTokenIDOverride: Int? = nil
    public var bosTokenIDOverride: Int? = nil
    public var padTokenIDOverride: Int? = nil
    public var eosTokenIDOverride: Int? = nil

    /// A configuration with dalle-mini's defaults everywhere.
    public init() {}

    /// The id placed in column 0 of the decoder input (defaults to `image_vocab_size`).
    public var decoderStartTokenID: Int { decoderStartTokenIDOverride ?? imageVocabSize }
    public var bosTokenID: Int { bosTokenIDOverride ?? imageVocabSize }
    public var padTokenID: Int { padTokenIDOverride ?? imageVocabSize }
    public var eosTokenID: Int { eosTokenIDOverride ?? imageVocabSize }

    /// Classes of the LM head and rows of the decoder embedding, `image_vocab_size + 1`.
    public var imageClasses: Int { imageVocabSize + 1 }

    /// Decodes a dalle-mini `config.json` (or a fixture's `resolved_config` object) and validates it.
    public static func decode(json: Data, source: String = "config.json") throws -> DalleBartConfig {
        do {
            return try JSONDecoder().decode(DalleBartConfig.self, from: json)
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError.unreadable(source: source, reason: "\(error)")
        }
    }

    /// Reads and validates a dalle-mini `config.json`.
    public static func load(contentsOf url: URL) throws -> DalleBartConfig {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ConfigError.unreadable(source: url.path, reason: error.localizedDescription)
        }
        return try decode(json: data, source: url.path)
    }

    /// The configuration as dalle-mini `config.json` bytes (sorted keys, pretty-printed).
    public func encodedJSON() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}

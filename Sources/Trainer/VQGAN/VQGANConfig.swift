// The VQGAN configuration as vqgan-jax's `VQGANConfig` writes it to config.json (snake_case
// keys, the package's defaults for absent keys), and the checks that make it buildable here.
import Foundation

/// A VQGAN (taming-transformers architecture as vqgan-jax builds it): sizes of the encoder,
/// the decoder and the codebook. Keys and defaults are vqgan-jax's `VQGANConfig`.
public struct VQGANConfig: Codable, Equatable, Sendable {
    /// Side of the square images the model was built for (`resolution`).
    public var resolution = 256
    /// Base channel count (`ch`).
    public var channels = 128
    /// Channel multiplier per level (`ch_mult`); its length is the number of levels.
    public var channelMultipliers = [1, 1, 2, 2, 4]
    /// Residual blocks per encoder level (`num_res_blocks`); the decoder runs one more.
    public var residualBlocks = 2
    /// Nominal resolutions at which attention blocks follow the residual blocks.
    public var attentionResolutions = [16]
    /// Channels of the latent between encoder and `quant_conv` (`z_channels`).
    public var latentChannels = 256
    /// Codebook vector size (`embed_dim`).
    public var embeddingDimension = 256
    /// Codebook size (`n_embed`).
    public var codebookSize = 1024
    /// Image channels in (`in_channels`) and out (`out_ch`).
    public var inputChannels = 3
    public var outputChannels = 3
    /// Dropout of the residual blocks; inference never applies it.
    public var dropout = 0.0
    /// The encoder's conv_out doubles its channels (`double_z`).
    public var doubleLatent = false
    /// Resamplers are convolutions (true) or plain pooling / nearest copies (false).
    public var resamplesWithConvolution = true
    /// The decoder stops before its output norm and convolution (`give_pre_end`).
    public var givesPreEnd = false

    enum CodingKeys: String, CodingKey {
        case resolution, dropout
        case channels = "ch"
        case channelMultipliers = "ch_mult"
        case residualBlocks = "num_res_blocks"
        case attentionResolutions = "attn_resolutions"
        case latentChannels = "z_channels"
        case embeddingDimension = "embed_dim"
        case codebookSize = "n_embed"
        case inputChannels = "in_channels"
        case outputChannels = "out_ch"
        case doubleLatent = "double_z"
        case resamplesWithConvolution = "resamp_with_conv"
        case givesPreEnd = "give_pre_end"
    }

    /// The defaults of vqgan-jax's `VQGANConfig()`.
    public init() {}

    /// Decodes the keys present and keeps the package defaults for the others; transformers'
    /// own keys (`architectures`, `num_resolutions`, ...) are ignored.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try c.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        resolution = try value(.resolution, resolution)
        channels = try value(.channels, channels)
        channelMultipliers = try value(.channelMultipliers, channelMultipliers)
        residualBlocks = try value(.residualBlocks, residualBlocks)
        attentionResolutions = try value(.attentionResolutions, attentionResolutions)
        latentChannels = try value(.latentChannels, latentChannels)
        embeddingDimension = try value(.embeddingDimension, embeddingDimension)
        codebookSize = try value(.codebookSize, codebookSize)
        inputChannels = try value(.inputChannels, inputChannels)
        outputChannels = try value(.outputChannels, outputChannels)
        dropout = try value(.dropout, dropout)
        doubleLatent = try value(.doubleLatent, doubleLatent)
        resamplesWithConvolution = try value(.resamplesWithConvolution, resamplesWithConvolution)
        givesPreEnd = try value(.givesPreEnd, givesPreEnd)
    }

    /// Reads and validates `config.json`; throws `ConfigError` naming the file or the key.
    public static func load(from url: URL) throws -> VQGANConfig {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ConfigError.unreadable(source: url.path, reason: "\(error.localizedDescription)")
        }
        let config: VQGANConfig
        do { config = try JSONDecoder().decode(VQGANConfig.self, from: data) } catch let error
            as DecodingError
        {
            throw ConfigError.unreadable(source: url.path, reason: describe(error))
        }
        try config.validate()
        return config
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
            .dataCorrupted(let context):
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            return key.isEmpty ? context.debugDescription : "key '\(key)': \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

extension VQGANConfig {
    /// Number of levels (`len(ch_mult)`).
    public var levels: Int { channelMultipliers.count }
    /// Side of the code grid for a `resolution` image.
    public var gridSide: Int { resolution >> (levels - 1) }
    /// Codes per image.
    public var tokensPerImage: Int { gridSide * gridSide }
    /// Output channels of level `i` (`ch · ch_mult[i]`).
    public func levelChannels(_ i: Int) -> Int { channels * channelMultipliers[i] }
    /// Input channels of encoder level `i` (`ch · (1, *ch_mult)[i]`).
    public func encoderInputChannels(_ i: Int) -> Int { i == 0 ? channels : levelChannels(i - 1) }
    /// Channels of the encoder's conv_out.
    public var encoderOutputChannels: Int { doubleLatent ? 2 * latentChannels : latentChannels }
    /// Whether level `i` (nominal resolution `resolution / 2^i`) has attention blocks.
    public func hasAttention(level i: Int) -> Bool { attentionResolutions.contains(resolution >> i) }

    /// Largest accepted sizes: far above any released VQGAN, low enough that nothing overflows.
    static let limits = (resolution: 4096, channels: 4096, levels: 8, blocks: 16, codebook: 1 << 20)

    /// Throws `ConfigError` naming the key when the model cannot be built: GroupNorm needs
    /// channel counts divisible by 32, the resolution must halve evenly at every level.
    public func validate() throws {
        func check(_ ok: Bool, _ key: String, _ value: Any, _ requirement: String) throws {
            if !ok { throw ConfigError.outOfRange(key: key, value: "\(value)", requirement: requirement) }
        }
        let l = Self.limits
        try check((1...l.levels).contains(levels), "ch_mult", channelMultipliers, "1 to \(l.levels) levels")
        try check(
            channelMultipliers.allSatisfy { (1...64).contains($0) }, "ch_mult", channelMultipliers,
            "multipliers in 1...64")
        try check(
            (32...l.channels).contains(channels) && channels % 32 == 0, "ch", channels,
            "a multiple of 32 (GroupNorm has 32 groups) up to \(l.channels)")
        try check(
            (1...l.resolution).contains(resolution) && resolution % (1 << (levels - 1)) == 0, "resolution",
            resolution, "1...\(l.resolution), divisible by 2^(levels - 1) = \(1 << (levels - 1))")
        try check(
            (1...l.blocks).contains(residualBlocks), "num_res_blocks", residualBlocks, "1...\(l.blocks)")
        try check(
            (32...l.channels).contains(latentChannels) && latentChannels % 32 == 0, "z_channels",
            latentChannels, "a multiple of 32 up to \(l.channels)")
        try check(
            (1...l.channels).contains(embeddingDimension), "embed_dim", embeddingDimension,
            "1...\(l.channels)")
        try check((1...l.codebook).contains(codebookSize), "n_embed", codebookSize, "1...\(l.codebook)")
        try check((1...4).contains(inputChannels), "in_channels", inputChannels, "1...4")
        try check((1...4).contains(outputChannels), "out_ch", outputChannels, "1...4")
        try check(dropout >= 0 && dropout < 1, "dropout", dropout, "[0, 1)")
    }
}

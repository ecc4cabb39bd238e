// The VQGAN's parameter table: every tensor of vqgan-jax's `VQModel` with its dotted flax path
// (`encoder.down_4.attn_1.proj_out.kernel`), shape and offset in one flat buffer, plus typed
// offsets per layer so that the forward pass never looks names up.

/// Offsets of a convolution's HWIO kernel `[kh, kw, in, out]` and bias `[out]`.
struct VQConvTensors {
    var kernel: Int
    var bias: Int
    var size: Int
    var inputs: Int
    var outputs: Int
}

/// Offsets of a GroupNorm's `scale` and `bias` `[channels]`.
struct VQNormTensors {
    var scale: Int
    var bias: Int
    var channels: Int
}

/// A ResnetBlock: norm1, conv1, norm2, conv2 and the 1×1 `nin_shortcut` when in ≠ out.
struct VQResnetTensors {
    var norm1: VQNormTensors
    var conv1: VQConvTensors
    var norm2: VQNormTensors
    var conv2: VQConvTensors
    var shortcut: VQConvTensors?
}

/// A single-head AttnBlock: norm, 1×1 q, k, v and proj_out.
struct VQAttentionTensors {
    var norm: VQNormTensors
    var query: VQConvTensors
    var key: VQConvTensors
    var value: VQConvTensors
    var projection: VQConvTensors
}

/// One level of the encoder or decoder: residual blocks, each optionally followed by attention,
/// then the resampler's convolution (nil when the level has none or resamples without one).
struct VQLevelTensors {
    var blocks: [VQResnetTensors]
    var attentions: [VQAttentionTensors?]
    var resampler: VQConvTensors?
    var resamples: Bool
}

/// The mid section: block_1, attn_1, block_2.
struct VQMidTensors {
    var block1: VQResnetTensors
    var attention: VQAttentionTensors
    var block2: VQResnetTensors
}

/// Ordered parameter table of a VQGAN built from its configuration.
public struct VQGANLayout: Sendable {
    /// Every tensor in buffer order (dotted flax paths), offsets contiguous.
    public let entries: [ParameterEntry]
    /// Total number of Floats.
    public let count: Int
    let encoderIn: VQConvTensors
    let encoderLevels: [VQLevelTensors]
    let encoderMid: VQMidTensors
    let encoderNormOut: VQNormTensors
    let encoderOut: VQConvTensors
    let quantConv: VQConvTensors
    let codebook: Int
    let postQuantConv: VQConvTensors
    let decoderIn: VQConvTensors
    let decoderMid: VQMidTensors
    /// Decoder levels indexed by level number i (executed from the last down to 0).
    let decoderLevels: [VQLevelTensors]
    let decoderNormOut: VQNormTensors
    let decoderOut: VQConvTensors

    /// Builds the table for a validated `config`.
    public init(config c: VQGANConfig) {
        var b = LayoutBuilder()
        let last = c.levels - 1
        encoderIn = b.conv("encoder.conv_in", 3, c.inputChannels, c.channels)
        var levels: [VQLevelTensors] = []
        for i in 0...last {
            var inputs = c.encoderInputChannels(i)
            let outputs = c.levelChannels(i)
            var level = VQLevelTensors(blocks: [], attentions: [], resampler: nil, resamples: i != last)
            for block in 0..<c.residualBlocks {
                level.blocks.append(b.resnet("encoder.down_\(i).block_\(block)", inputs, outputs))
                level.attentions.append(
                    c.hasAttention(level: i) ? b.attention("encoder.down_\(i).attn_\(block)", outputs) : nil)
                inputs = outputs
            }
            if i != last && c.resamplesWithConvolution {
                level.resampler = b.conv("encoder.down_\(i).downsample.conv", 3, outputs, outputs)
            }
            levels.append(level)
        }
        encoderLevels = levels
        let deepest = c.levelChannels(last)
        encoderMid = b.mid("encoder.mid", deepest)
        encoderNormOut = b.norm("encoder.norm_out", deepest)
        encoderOut = b.conv("encoder.conv_out", 3, deepest, c.encoderOutputChannels)
        quantConv = b.conv("quant_conv", 1, c.encoderOutputChannels, c.embeddingDimension)
        codebook = b.add("quantize.embedding.embedding", [c.codebookSize, c.embeddingDimension])
        postQuantConv = b.conv("post_quant_conv", 1, c.embeddingDimension, c.latentChannels)
        decoderIn = b.conv("decoder.conv_in", 3, c.latentChannels, deepest)
        decoderMid = b.mid("decoder.mid", deepest)
        var up: [VQLevelTensors] = []
        var inputs = deepest
        for i in stride(from: last, through: 0, by: -1) {
            let outputs = c.levelChannels(i)
            var level = VQLevelTensors(blocks: [], attentions: [], resampler: nil, resamples: i != 0)
            for block in 0...c.residualBlocks {
                level.blocks.append(b.resnet("decoder.up_\(i).block_\(block)", inputs, outputs))
                level.attentions.append(
                    c.hasAttention(level: i) ? b.attention("decoder.up_\(i).attn_\(block)", outputs) : nil)
                inputs = outputs
            }
            if i != 0 && c.resamplesWithConvolution {
                level.resampler = b.conv("decoder.up_\(i).upsample.conv", 3, outputs, outputs)
            }
            up.insert(level, at: 0)
        }
        decoderLevels = up
        decoderNormOut = b.norm("decoder.norm_out", inputs)
        decoderOut = b.conv("decoder.conv_out", 3, inputs, c.outputChannels)
        entries = b.entries
        count = b.count
    }
}

extension LayoutBuilder {
    fileprivate mutating func conv(_ name: String, _ size: Int, _ inputs: Int, _ outputs: Int)
        -> VQConvTensors
    {
        let kernel = add(name + ".kernel", [size, size, inputs, outputs])
        let bias = add(name + ".bias", [outputs])
        return VQConvTensors(kernel: kernel, bias: bias, size: size, inputs: inputs, outputs: outputs)
    }

    fileprivate mutating func norm(_ name: String, _ channels: Int) -> VQNormTensors {
        VQNormTensors(
            scale: add(name + ".scale", [channels]), bias: add(name + ".bias", [channels]), channels: channels
        )
    }

    fileprivate mutating func resnet(_ name: String, _ inputs: Int, _ outputs: Int) -> VQResnetTensors {
        VQResnetTensors(
            norm1: norm(name + ".norm1", inputs), conv1: conv(name + ".conv1", 3, inputs, outputs),
            norm2: norm(name + ".norm2", outputs), conv2: conv(name + ".conv2", 3, outputs, outputs),
            shortcut: inputs == outputs ? nil : conv(name + ".nin_shortcut", 1, inputs, outputs))
    }

    fileprivate mutating func attention(_ name: String, _ channels: Int) -> VQAttentionTensors {
        VQAttentionTensors(
            norm: norm(name + ".norm", channels), query: conv(name + ".q", 1, channels, channels),
            key: conv(name + ".k", 1, channels, channels), value: conv(name + ".v", 1, channels, channels),
            projection: conv(name + ".proj_out", 1, channels, channels))
    }

    fileprivate mutating func mid(_ name: String, _ channels: Int) -> VQMidTensors {
        VQMidTensors(
            block1: resnet(name + ".block_1", channels, channels),
            attention: attention(name + ".attn_1", channels),
            block2: resnet(name + ".block_2", channels, channels))
    }
}

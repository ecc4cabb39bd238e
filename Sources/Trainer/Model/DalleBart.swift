// DalleBart (dalle-mini 0.1.5) training forward and backward over one flat parameter buffer.
//
// Dimension glossary (the only abbreviations used in Trainer):
//   B: batch per rank            S: text (encoder) length, max_text_length
//   T: image (decoder) length    D: d_model;  H: heads;  K: head size, D / H
//   F: FFN width                 Vt, Vi: text and image vocabularies (the LM head has Vi + 1 classes)
import Dispatch
import Shards

/// Wall-clock seconds of each phase of the last forward and backward.
public struct PhaseSeconds: Sendable, Equatable {
    public var embeddingsForward = 0.0
    public var encoderForward = 0.0
    public var decoderForward = 0.0
    /// The LM head and loss, with their backward when the forward was given gradients.
    public var head = 0.0
    public var decoderBackward = 0.0
    public var encoderBackward = 0.0
    public var embeddingsBackward = 0.0

    public init() {}

    /// (name, seconds) in execution order.
    public var named: [(name: String, seconds: Double)] {
        [
            ("embeddings forward", embeddingsForward), ("encoder forward", encoderForward),
            ("decoder forward", decoderForward), ("lm head + loss, forward and backward", head),
            ("decoder backward", decoderBackward),
            ("encoder backward", encoderBackward), ("embeddings backward", embeddingsBackward),
        ]
    }
}

/// The DalleBart model: parameter layout, activation arena (allocated once for batch size B) and
/// the training-mode forward/backward. Parameters and gradients are flat buffers over `layout`.
public final class DalleBart {
    public let config: DalleBartConfig
    public let layout: ParameterLayout
    /// Rows the arena holds (B).
    public let batchSize: Int
    let tensors: ModelTensors
    let saved: ModelActivations
    private let arena: ActivationArena
    let inputIDs: UnsafeMutablePointer<Int32>  // (B, S)
    let decoderInputIDs: UnsafeMutablePointer<Int32>  // (B, T)
    let labels: UnsafeMutablePointer<Int32>  // (B, T)
    var rows = 0
    var dropoutKey: DropoutKey?
    /// The gradients and scale the last forward started (its LM head part), until backward.
    var pendingGradient: (buffer: UnsafeMutablePointer<Float>, scale: Float)?
    let residualGains: (encoder: Float, decoder: Float)
    /// Set for weights loaded from float16 tensors (`ModelDirectory.ImportSummary.embeddingsInFloat16`):
    /// the embedding lookups are then rounded to float16 as dalle-mini computes them (its `nn.Embed`
    /// layers keep the table's dtype; docs/FORMATS.md, "float16 weights"). Forward only: backward
    /// treats the rounding as the identity. Off for training from float32 weights.
    public var roundsEmbeddingsToFloat16 = false
    /// Gradient checkpointing: the layers keep only their outputs, and backward recomputes each
    /// layer's activations from its input before its backward (same gradients, less memory).
    public let recomputesLayers: Bool
    /// Per-phase timings of the last forward and backward.
    public internal(set) var phaseSeconds = PhaseSeconds()

    /// Validates `config` and allocates the activation arena for `batchSize` rows
    /// (`recomputesLayers`: gradient checkpointing).
    public init(config: DalleBartConfig, batchSize: Int, recomputesLayers: Bool = false) throws {
        try config.validate()
        guard batchSize >= 1 else {
            throw ConfigError.outOfRange(
                key: "batch_size", value: "\(batchSize)", requirement: "must be at least 1")
        }
        self.config = config
        self.batchSize = batchSize
        self.recomputesLayers = recomputesLayers
        layout = ParameterLayout(config: config)
        tensors = layout.tensors
        var counter = ArenaBuilder(base: nil)
        _ = ModelActivations(
            config: config, tensors: tensors, batchSize: batchSize, recomputesLayers: recomputesLayers,
            arena: &counter)
        // Parameters, gradients and activations must fit before anything that large is allocated.
        let neededBytes = (2 * layout.count + counter.used) * MemoryLayout<Float>.stride
        if let available = MemoryPlan.availableBytes(), neededBytes > available {
            throw ConfigError.outOfRange(
                key: "d_model", value: "\(config.dModel)",
                requirement: String(
                    format:
                        "this model at batch %d needs %.2f GiB for parameters, gradients and activations; "
                        + "%.2f GiB is available (see dalle-train plan)",
                    batchSize, Double(neededBytes) / Double(1 << 30), Double(available) / Double(1 << 30)))
        }
        arena = ActivationArena(count: counter.used)
        var builder = ArenaBuilder(base: arena.pointer)
        saved = ModelActivations(
            config: config, tensors: tensors, batchSize: batchSize, recomputesLayers: recomputesLayers,
            arena: &builder)
        inputIDs = .allocate(capacity: batchSize * config.maxTextLength)
        decoderInputIDs = .allocate(capacity: batchSize * config.imageLength)
        labels = .allocate(capacity: batchSize * config.imageLength)
        residualGains = Initialization.residualGains(config)
    }

    deinit {
        inputIDs.deallocate()
        decoderInputIDs.deallocate()
        labels.deallocate()
    }

    /// Floats held by the activation arena (saved activations and backward scratch).
    public var activationCount: Int { arena.count }

    /// (B, T, Vi + 1) logits of the last forward (rows of the last batch only), recomputed from its
    /// decoder output: training never holds them all at once.
    public func logits(parameters: FlatBuffer) -> [Float] {
        precondition(parameters.count == layout.count)
        let (N, D, V) = (rows * config.imageLength, config.dModel, config.imageClasses)
        var out = [Float](repeating: 0, count: N * V)
        out.withUnsafeMutableBufferPointer {
            Linear.forward(
                out: $0.baseAddress!, input: saved.decoder.final.out,
                kernel: parameters.pointer + tensors.lmHead,
                bias: nil, rows: N, inputs: D, outputs: V)
        }
        return out
    }

    func context(isDecoder: Bool) -> StackContext {
        StackContext(
            isDecoder: isDecoder, batch: rows, length: isDecoder ? config.imageLength : config.maxTextLength,
            textLength: config.maxTextLength, channels: config.dModel,
            heads: isDecoder ? config.decoderAttentionHeads : config.encoderAttentionHeads,
            width: isDecoder ? config.decoderFFNDim : config.encoderFFNDim, kind: config.lnType,
            activation: config.activationFunction,
            residualGain: isDecoder ? residualGains.decoder : residualGains.encoder,
            cosineTau: config.useCosineAttention ? config.tauInit : nil, dropout: dropoutKey,
            dropoutRate: config.dropout, attentionDropoutRate: config.attentionDropout,
            activationDropoutRate: config.activationDropout)
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
    static func seconds(since start: UInt64) -> Double { Double(now() - start) * 1e-9 }
}

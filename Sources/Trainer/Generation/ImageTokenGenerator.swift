// dalle-mini's `DalleBart.generate` loop: encode the prompts and the empty caption once, then
// decode image_length tokens with the conditional and unconditional rows in one batch, combine,
// warp, draw, and finish rows that pick EOS (docs/SAMPLING.md).

/// One sequence to generate: which prompt of the batch it continues and its sampling stream.
public struct SampleRequest: Sendable, Equatable {
    /// Index into the batch's prompts.
    public var prompt: Int
    /// Identifies the random stream (with the settings' seed): equal keys draw equal numbers.
    public var streamKey: UInt64

    public init(prompt: Int, streamKey: UInt64) {
        self.prompt = prompt
        self.streamKey = streamKey
    }
}

/// What one generation step produced, for tests and the reference check: (rows, Vi + 1) each.
public struct GenerationStep {
    public var position: Int
    public var conditional: UnsafeBufferPointer<Float>
    /// Nil when the condition scale is 1 (no unconditional pass).
    public var unconditional: UnsafeBufferPointer<Float>?
    public var scores: UnsafeBufferPointer<Float>
}

/// Generates image tokens for batches of up to `sequenceCapacity` sequences over at most
/// `promptCapacity` distinct prompts; every buffer is allocated once here.
public final class ImageTokenGenerator {
    public let config: DalleBartConfig
    public let promptCapacity: Int
    public let sequenceCapacity: Int
    private let parameters: FlatBuffer
    private let encoder: PromptEncoder
    private let decoder: IncrementalDecoder
    private let sampler: TokenSampler
    private let scores: UnsafeMutablePointer<Float>  // (sequences, Vi + 1)

    /// Round the embedding lookups to float16, as dalle-mini computes them with float16 weights
    /// (set for a model directory whose tensors are all float16; `DalleBart.roundsEmbeddingsToFloat16`).
    public var roundsEmbeddingsToFloat16 = false {
        didSet {
            encoder.roundsEmbeddingsToFloat16 = roundsEmbeddingsToFloat16
            decoder.roundsEmbeddingsToFloat16 = roundsEmbeddingsToFloat16
        }
    }

    /// `parameters` laid out by `ParameterLayout(config:)`; kept by reference, not copied.
    public init(config: DalleBartConfig, parameters: FlatBuffer, promptCapacity: Int, sequenceCapacity: Int)
        throws
    {
        try config.validate()
        let layout = ParameterLayout(config: config)
        guard parameters.count == layout.count else {
            throw SetupError("parameters hold \(parameters.count) values, the model needs \(layout.count)")
        }
        guard promptCapacity >= 1, sequenceCapacity >= 1 else {
            throw SetupError("generation needs at least one prompt and one sequence per batch")
        }
        self.config = config
        self.parameters = parameters
        self.promptCapacity = promptCapacity
        self.sequenceCapacity = sequenceCapacity
        encoder = PromptEncoder(config: config, tensors: layout.tensors, capacity: promptCapacity + 1)
        decoder = IncrementalDecoder(
            config: config, tensors: layout.tensors, capacity: 2 * sequenceCapacity,
            encoderCapacity: promptCapacity + 1)
        sampler = TokenSampler(classes: config.imageClasses)
        scores = .allocate(capacity: sequenceCapacity * config.imageClasses)
    }

    deinit { scores.deallocate() }

    /// The empty caption as the BART tokenizer pads every caption: `<s></s>` then `<pad>`.
    public static func emptyCaption(textLength: Int) -> (inputIDs: [Int32], attentionMask: [Int32]) {
        var ids = [Int32](repeating: 1, count: textLength)
        var mask = [Int32](repeating: 0, count: textLength)
        for i in 0..<min(2, textLength) {
            ids[i] = i == 0 ? 0 : 2
            mask[i] = 1
        }
        return (ids, mask)
    }

    /// Generates one sequence per request over `prompts` prompts (`inputIDs`/`attentionMask` of
    /// prompts × S, ids checked against the text vocabulary). Returns (requests, T + 1) sequences
    /// whose column 0 is the decoder start id. `unconditional` is the empty caption's (S) ids and
    /// mask (default: `emptyCaption`). `observe` sees every step's logits and scores.
    public func generate(
        inputIDs: [Int32], attentionMask: [Int32], prompts: Int, requests: [SampleRequest],
        settings: SamplingSettings,
        unconditional: (inputIDs: [Int32], attentionMask: [Int32])? = nil,
        observe: ((GenerationStep) -> Void)? = nil
    ) throws -> [[Int32]] {
        try settings.validate()
        let (S, T, V) = (config.maxTextLength, config.imageLength, config.imageClasses)
        guard prompts >= 1, prompts <= promptCapacity, inputIDs.count == prompts * S,
            attentionMask.count == prompts * S
        else {
            throw SetupError(
                "generate: \(prompts) prompts of \(S) tokens do not fit a batch of \(promptCapacity)")
        }
        guard !requests.isEmpty, requests.count <= sequenceCapacity,
            requests.allSatisfy({ (0..<prompts).contains($0.prompt) })
        else {
            throw SetupError("generate: \(requests.count) sequences for a batch of \(sequenceCapacity)")
        }
        if let bad = inputIDs.first(where: { $0 < 0 || Int($0) >= config.encoderVocabSize }) {
            throw SetupError(
                "generate: text id \(bad) outside [0, encoder_vocab_size \(config.encoderVocabSize))")
        }
        let empty = unconditional ?? Self.emptyCaption(textLength: S)
        let usesUnconditional = settings.conditionScale != 1
        let n = requests.count
        var sources = requests.map(\.prompt)
        if usesUnconditional { sources += Array(repeating: prompts, count: n) }
        let p = parameters.pointer
        let encoded = encoder.encode(
            parameters: p, inputIDs: inputIDs + empty.inputIDs,
            attentionMask: attentionMask + empty.attentionMask,
            rows: prompts + 1)
        decoder.setPrompts(
            parameters: p, encoderOutput: encoded, keyMask: encoder.keyMask, encoderRows: prompts + 1,
            sources: sources)

        let (start, eos, pad) = (
            Int32(config.decoderStartTokenID), config.eosTokenID, Int32(config.padTokenID)
        )
        var sequences = [[Int32]](repeating: [Int32](repeating: pad, count: T + 1), count: n)
        for r in 0..<n { sequences[r][0] = start }
        var finished = [Bool](repeating: false, count: n)
        var current = [Int32](repeating: start, count: sources.count)
        let forbidden = settings.minLength.map { _ in eos }
        for t in 0..<T {
            decoder.step(parameters: p, ids: current, position: t)
            let penalty = settings.minLength.map { t + 1 <= $0 } ?? false
            for r in 0..<n {
                TokenSampler.combine(
                    scores: scores + r * V, conditional: decoder.logits + r * V,
                    unconditional: usesUnconditional ? UnsafePointer(decoder.logits + (n + r) * V) : nil,
                    scale: settings.conditionScale, forbidden: penalty ? forbidden : nil, classes: V)
            }
            observe?(
                GenerationStep(
                    position: t, conditional: UnsafeBufferPointer(start: decoder.logits, count: n * V),
                    unconditional: usesUnconditional
                        ? UnsafeBufferPointer(start: decoder.logits + n * V, count: n * V) : nil,
                    scores: UnsafeBufferPointer(start: scores, count: n * V)))
            for r in 0..<n {
                let stream = CounterRandom(settings.seed, 0x5A4D_504C_4500, requests[r].streamKey)
                let choice = Int32(
                    sampler.choose(scores: scores + r * V, settings: settings, uniform: stream.uniform(t)))
                let token = finished[r] ? pad : choice
                finished[r] = finished[r] || Int(token) == eos
                sequences[r][t + 1] = token
                current[r] = token
                if usesUnconditional { current[n + r] = token }
            }
            if finished.allSatisfy({ $0 }) { break }
        }
        return sequences
    }
}

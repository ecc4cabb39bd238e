// Dropout (docs/MODEL.md §7) from counter-based randomness: the keep-mask of every site is a pure
// function of (seed, step, rank, site, element), so backward re-draws it instead of storing it.

/// What makes a training step's dropout masks reproducible: the same key gives the same masks.
public struct DropoutKey: Equatable, Sendable {
    public var seed: UInt64
    public var step: UInt64
    public var rank: UInt64

    public init(seed: UInt64, step: UInt64, rank: UInt64) {
        self.seed = seed
        self.step = step
        self.rank = rank
    }
}

/// Where in the model a mask is drawn; distinct sites give independent masks.
enum DropoutSite {
    case embedding
    case attentionProbabilities(block: Int)
    case attentionOutput(block: Int)
    case hidden
    case feedForwardOutput

    /// A unique number for (stack, layer, site).
    func code(isDecoder: Bool, layer: Int) -> UInt64 {
        let kind: UInt64
        switch self {
        case .embedding: kind = 1
        case .attentionProbabilities(let block): kind = 2 + 2 * UInt64(block)
        case .attentionOutput(let block): kind = 3 + 2 * UInt64(block)
        case .hidden: kind = 8
        case .feedForwardOutput: kind = 9
        }
        return (isDecoder ? 1 << 40 : 0) | UInt64(layer + 1) << 8 | kind
    }
}

/// One dropout mask: keep element i when uniform(i) < keepProbability, scaling kept values by 1/keep.
struct DropoutMask {
    let random: CounterRandom
    let keepProbability: Float
    let scale: Float

    /// nil when no mask applies (evaluation, or rate 0).
    init?(key: DropoutKey?, rate: Float, site: DropoutSite, isDecoder: Bool, layer: Int) {
        guard let key, rate > 0 else { return nil }
        random = CounterRandom(key.seed, key.step, key.rank, site.code(isDecoder: isDecoder, layer: layer))
        keepProbability = 1 - rate
        scale = 1 / (1 - rate)
    }

    /// The multiplier of element `index`: 0 or 1/keep.
    @inline(__always)
    func factor(_ index: Int) -> Float { random.uniform(index) < keepProbability ? scale : 0 }

    /// out[i] = input[i] * factor(first + i); `out` may equal `input`. Also the backward pass.
    func apply(
        out: UnsafeMutablePointer<Float>,  // (count)
        input: UnsafePointer<Float>,  // (count)
        count: Int, first: Int = 0
    ) {
        for i in 0..<count { out[i] = input[i] * factor(first + i) }
    }
}

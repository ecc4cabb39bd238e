// The project's one seeded generator (SplitMix64): data order, blank captions, synthetic data,
// benchmark batches. Stateless mixing for counter-based draws uses its `mix`.

/// SplitMix64 (Steele, Lea, Flood 2014): small, fast, and fixed forever, unlike the
/// standard library's unspecified shuffle algorithm.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// One SplitMix64 finalization of `value` (a strong 64-bit mixer).
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A stream seed derived from several values (seed, epoch, purpose, ...).
    public static func derive(_ values: UInt64...) -> UInt64 {
        values.reduce(0x6A09_E667_F3BC_C908) { mix($0 ^ mix($1)) }
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state &- 0x9E37_79B9_7F4A_7C15)
    }

    /// Uniform in `0..<bound` (Lemire's multiply-high; the bias is below 2^-40 for our sizes).
    public mutating func next(below bound: Int) -> Int {
        Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// Fisher-Yates shuffle in place.
    public mutating func shuffle<T>(_ values: inout [T]) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            values.swapAt(i, next(below: i + 1))
        }
    }
}

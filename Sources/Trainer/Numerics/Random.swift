// Counter-based randomness: a stateless 64-bit mix of (seed, stream, index), so any element of
// any tensor can be drawn (and re-drawn in backward) independently, on any rank, in any order.
import Foundation
import Shards

/// SplitMix64's finalizer: a bijective, well-mixing hash of 64 bits.
@inline(__always)
func mix64(_ value: UInt64) -> UInt64 { SplitMix64.mix(value) }

/// A stream of random numbers addressed by index: `value(i)` depends only on (key, i).
struct CounterRandom {
    let key: UInt64

    /// A stream keyed by several words (seed, step, rank, site, ...).
    init(_ words: UInt64...) {
        var key: UInt64 = 0x243F_6A88_85A3_08D3
        for word in words { key = mix64(key ^ word) }
        self.key = key
    }

    /// 64 random bits for `index`.
    @inline(__always)
    func bits(_ index: Int) -> UInt64 {
        mix64(key ^ (UInt64(truncatingIfNeeded: index) &* 0xD6E8_FEB8_6659_FD93))
    }

    /// A uniform Float in [0, 1) with 24 random bits.
    @inline(__always)
    func uniform(_ index: Int) -> Float { Float(bits(index) >> 40) * 0x1p-24 }

    /// A standard normal draw (Box-Muller on two 32-bit halves; uses the cosine branch only).
    @inline(__always)
    func normal(_ index: Int) -> Float {
        let word = bits(index)
        let u1 = (Double(word >> 32) + 0.5) * 0x1p-32
        let u2 = Double(word & 0xFFFF_FFFF) * 0x1p-32
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}

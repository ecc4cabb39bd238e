// numpy's legacy `RandomState(seed).uniform(-1, 1, n)` (MT19937, 53-bit doubles), rounded to
// float32: the start vector of Distributed Shampoo's power iteration.

/// The first `count` values of `numpy.random.RandomState(seed).uniform(-1, 1, count)` as float32.
/// Seeded like numpy with an integer seed (`init_genrand`), each double built from two 32-bit
/// outputs as `((a >> 5) · 2^26 + (b >> 6)) / 2^53`.
func numpyUniformStartVector(seed: UInt32, count: Int) -> [Float] {
    precondition(count >= 0, "start vector count \(count) must not be negative")
    var state = [UInt32](repeating: 0, count: 624)
    state[0] = seed
    for i in 1..<624 {
        state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
    }
    var position = 624
    func next() -> UInt32 {
        if position == 624 {
            for i in 0..<624 {
                let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7FFF_FFFF)
                state[i] = state[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : 0x9908_B0DF)
            }
            position = 0
        }
        var y = state[position]
        position += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }
    return (0..<count).map { _ in
        let a = Double(next() >> 5)
        let b = Double(next() >> 6)
        let unit = (a * 67_108_864 + b) / 9_007_199_254_740_992
        return Float(-1 + 2 * unit)
    }
}

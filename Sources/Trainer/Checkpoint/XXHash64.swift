// XXH64 (Yann Collet's xxHash, 64-bit): the checksum of every checkpoint file, recorded in
// trainer_state.json and verified before anything is loaded. Same values as the reference
// implementation (`xxhsum -H1`, Python's `xxhash.xxh64`).

/// The 64-bit xxHash of a byte range.
public enum XXHash64 {
    private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
    private static let prime4: UInt64 = 0x85EB_CA77_C2B2_AE63
    private static let prime5: UInt64 = 0x27D4_EB2F_1656_67C5

    /// XXH64 of `bytes` with `seed` (0 unless stated).
    public static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        let count = bytes.count
        guard let base = bytes.baseAddress else { return finish(seed &+ prime5, base: nil, remaining: 0) }
        var offset = 0
        var h: UInt64
        if count >= 32 {
            var v1 = seed &+ prime1 &+ prime2
            var v2 = seed &+ prime2
            var v3 = seed
            var v4 = seed &- prime1
            while offset + 32 <= count {
                v1 = round(v1, base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                v2 = round(v2, base.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
                v3 = round(v3, base.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self))
                v4 = round(v4, base.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self))
                offset += 32
            }
            h = rotate(v1, 1) &+ rotate(v2, 7) &+ rotate(v3, 12) &+ rotate(v4, 18)
            h = merge(h, v1)
            h = merge(h, v2)
            h = merge(h, v3)
            h = merge(h, v4)
        } else {
            h = seed &+ prime5
        }
        h = h &+ UInt64(count)
        return finish(h, base: base + offset, remaining: count - offset)
    }

    /// XXH64 of an array of bytes.
    public static func hash(_ bytes: [UInt8], seed: UInt64 = 0) -> UInt64 {
        bytes.withUnsafeBytes { hash($0, seed: seed) }
    }

    /// Incremental XXH64: `update` with consecutive pieces, then `digest()`; equals `hash` of
    /// the concatenation.
    public struct Hasher: Sendable {
        private var lanes: (UInt64, UInt64, UInt64, UInt64)
        private var pending: [UInt8] = []
        private var totalCount = 0
        private let seed: UInt64

        public init(seed: UInt64 = 0) {
            self.seed = seed
            lanes = (
                seed &+ XXHash64.prime1 &+ XXHash64.prime2, seed &+ XXHash64.prime2, seed,
                seed &- XXHash64.prime1
            )
            pending.reserveCapacity(32)
        }

        /// Adds the next bytes.
        public mutating func update(_ bytes: UnsafeRawBufferPointer) {
            guard var base = bytes.baseAddress, !bytes.isEmpty else { return }
            var count = bytes.count
            totalCount += count
            if !pending.isEmpty {
                let taken = min(32 - pending.count, count)
                pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: taken))
                base += taken
                count -= taken
                if pending.count < 32 { return }
                pending.withUnsafeBytes { stripe(UnsafeRawPointer($0.baseAddress!)) }
                pending.removeAll(keepingCapacity: true)
            }
            while count >= 32 {
                stripe(UnsafeRawPointer(base))
                base += 32
                count -= 32
            }
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: count))
        }

        /// The hash of everything added so far.
        public func digest() -> UInt64 {
            var h: UInt64
            if totalCount >= 32 {
                let (v1, v2, v3, v4) = lanes
                h =
                    XXHash64.rotate(v1, 1) &+ XXHash64.rotate(v2, 7) &+ XXHash64.rotate(v3, 12)
                    &+ XXHash64.rotate(v4, 18)
                h = XXHash64.merge(XXHash64.merge(XXHash64.merge(XXHash64.merge(h, v1), v2), v3), v4)
            } else {
                h = seed &+ XXHash64.prime5
            }
            h = h &+ UInt64(totalCount)
            return pending.withUnsafeBytes { XXHash64.finish(h, base: $0.baseAddress, remaining: $0.count) }
        }

        @inline(__always) private mutating func stripe(_ base: UnsafeRawPointer) {
            lanes.0 = XXHash64.round(lanes.0, base.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
            lanes.1 = XXHash64.round(lanes.1, base.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            lanes.2 = XXHash64.round(lanes.2, base.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
            lanes.3 = XXHash64.round(lanes.3, base.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        }
    }

    /// The hash as 16 lowercase hex digits (the form stored in trainer_state.json).
    public static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    private static func finish(_ start: UInt64, base: UnsafeRawPointer?, remaining: Int) -> UInt64 {
        var h = start
        var offset = 0
        if let base {
            while offset + 8 <= remaining {
                h ^= round(0, base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                h = rotate(h, 27) &* prime1 &+ prime4
                offset += 8
            }
            if offset + 4 <= remaining {
                h ^= UInt64(base.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) &* prime1
                h = rotate(h, 23) &* prime2 &+ prime3
                offset += 4
            }
            while offset < remaining {
                h ^= UInt64(base.load(fromByteOffset: offset, as: UInt8.self)) &* prime5
                h = rotate(h, 11) &* prime1
                offset += 1
            }
        }
        h ^= h >> 33
        h = h &* prime2
        h ^= h >> 29
        h = h &* prime3
        h ^= h >> 32
        return h
    }

    @inline(__always) private static func round(_ accumulator: UInt64, _ input: UInt64) -> UInt64 {
        rotate(accumulator &+ input &* prime2, 31) &* prime1
    }

    @inline(__always) private static func merge(_ accumulator: UInt64, _ value: UInt64) -> UInt64 {
        (accumulator ^ round(0, value)) &* prime1 &+ prime4
    }

    @inline(__always) private static func rotate(_ value: UInt64, _ bits: UInt64) -> UInt64 {
        (value << bits) | (value >> (64 - bits))
    }
}

// Table-driven (slice-by-8) CRC-32 in its two flavours: CRC-32C (Castagnoli) for shard blocks
// and CRC-32 (IEEE 802.3, zlib's) for PNG chunks. No hardware intrinsics.

/// A reflected 32-bit CRC with a fixed polynomial; `checksum(_:)` gives the standard value
/// (initial 0xFFFFFFFF, final xor 0xFFFFFFFF).
public struct CRC32: Sendable {
    /// CRC-32C (Castagnoli, polynomial 0x82F63B78 reflected): `checksum("123456789") == 0xE3069283`.
    public static let castagnoli = CRC32(reflectedPolynomial: 0x82F6_3B78)
    /// CRC-32 (IEEE, zlib, PNG; polynomial 0xEDB88320 reflected): `checksum("123456789") == 0xCBF43926`.
    public static let ieee = CRC32(reflectedPolynomial: 0xEDB8_8320)

    /// 8 tables of 256 entries: table k maps a byte k positions back.
    private let table: [UInt32]

    init(reflectedPolynomial: UInt32) {
        var table = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ reflectedPolynomial : crc >> 1 }
            table[byte] = crc
        }
        for k in 1..<8 {
            for byte in 0..<256 {
                let previous = table[(k - 1) * 256 + byte]
                table[k * 256 + byte] = (previous >> 8) ^ table[Int(previous & 0xFF)]
            }
        }
        self.table = table
    }

    /// The CRC of `bytes`.
    public func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        update(0, bytes)
    }

    /// The CRC of `bytes`.
    public func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        let array = Array(bytes)
        return array.withUnsafeBytes { checksum($0) }
    }

    /// Continues `crc` (a finished CRC of earlier bytes, or 0) over `bytes`.
    public func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c = ~crc
        let count = bytes.count
        guard count > 0, let base = bytes.baseAddress else { return crc }
        table.withUnsafeBufferPointer { t in
            var i = 0
            while i + 8 <= count {
                let low = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt32.self)) ^ c
                let high = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self))
                c =
                    t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                    ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
                i += 8
            }
            while i < count {
                c = (c >> 8) ^ t[Int((c ^ UInt32(base.load(fromByteOffset: i, as: UInt8.self))) & 0xFF)]
                i += 1
            }
        }
        return ~c
    }
}

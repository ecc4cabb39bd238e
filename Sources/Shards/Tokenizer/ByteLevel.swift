// GPT-2's byte-level alphabet (`bytes_to_unicode`): every byte maps to one printable scalar.

/// The reversible byte <-> scalar table behind byte-level BPE vocabularies.
///
/// Bytes `!`...`~`, U+00A1...U+00AC and U+00AE...U+00FF map to themselves; the other 68 bytes map,
/// in increasing byte order, to U+0100, U+0101, ... (so space is U+0120 "Ġ" and LF is U+010A "Ċ").
enum ByteLevel {
    /// Scalar value of byte `b` at index `b`.
    static let scalarOfByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if isPrintable(byte) {
                table[byte] = UInt32(byte)
            } else {
                table[byte] = next
                next += 1
            }
        }
        return table
    }()

    /// Byte of each scalar value below 324 (the table's range), or -1 when it is not in the alphabet.
    static let byteOfScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (byte, scalar) in scalarOfByte.enumerated() { table[Int(scalar)] = Int16(byte) }
        return table
    }()

    /// Whether `byte` is one of the 188 bytes that stand for themselves.
    private static func isPrintable(_ byte: Int) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }

    /// The vocabulary string of one byte, e.g. `Ġ` for a space.
    static func token(ofByte byte: UInt8) -> String {
        String(Character(Unicode.Scalar(scalarOfByte[Int(byte)])!))
    }

    /// The raw bytes a vocabulary string stands for, or nil if it has a scalar outside the alphabet.
    static func bytes(ofToken token: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            let value = Int(scalar.value)
            guard value < byteOfScalar.count, byteOfScalar[value] >= 0 else { return nil }
            bytes.append(UInt8(byteOfScalar[value]))
        }
        return bytes
    }
}

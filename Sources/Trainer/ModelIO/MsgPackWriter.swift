// msgpack encoding with the smallest framing for every value, as Python's msgpack packer
// writes it (so flax files come out byte for byte the same), plus the ndarray leaf header.

/// Appends msgpack value headers (and small values) to `bytes`.
public struct MsgPackWriter {
    /// The encoded bytes so far.
    public var bytes: [UInt8] = []

    /// An empty writer.
    public init() {}

    private mutating func bigEndian(_ value: UInt64, byteCount: Int) {
        for i in stride(from: byteCount - 1, through: 0, by: -1) {
            bytes.append(UInt8(truncatingIfNeeded: value >> (8 * i)))
        }
    }

    /// A container or length header: fix form when `value < fixLimit`, else the 1/2/4-byte forms
    /// at `marker8`, `marker16`, `marker32` (nil when the family has no 8-bit form).
    private mutating func sized(_ value: Int, fix: UInt8, fixLimit: Int, marker8: UInt8?, marker16: UInt8) {
        if value < fixLimit {
            bytes.append(fix | UInt8(value))
        } else if let marker8, value <= 0xff {
            bytes.append(marker8)
            bigEndian(UInt64(value), byteCount: 1)
        } else if value <= 0xffff {
            bytes.append(marker16)
            bigEndian(UInt64(value), byteCount: 2)
        } else {
            bytes.append(marker16 + 1)
            bigEndian(UInt64(value), byteCount: 4)
        }
    }

    /// A map of `count` entries (keys and values follow).
    public mutating func map(count: Int) {
        sized(count, fix: 0x80, fixLimit: 16, marker8: nil, marker16: 0xde)
    }

    /// An array of `count` elements (the elements follow).
    public mutating func array(count: Int) {
        sized(count, fix: 0x90, fixLimit: 16, marker8: nil, marker16: 0xdc)
    }

    /// A str value.
    public mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        sized(utf8.count, fix: 0xa0, fixLimit: 32, marker8: 0xd9, marker16: 0xda)
        bytes += utf8
    }

    /// A non-negative integer in its smallest form.
    public mutating func uint(_ value: Int) {
        precondition(value >= 0, "msgpack uint of negative \(value)")
        switch value {
        case 0...0x7f: bytes.append(UInt8(value))
        case 0...0xff: bytes.append(0xcc); bigEndian(UInt64(value), byteCount: 1)
        case 0...0xffff: bytes.append(0xcd); bigEndian(UInt64(value), byteCount: 2)
        case 0...0xffff_ffff: bytes.append(0xce); bigEndian(UInt64(value), byteCount: 4)
        default: bytes.append(0xcf); bigEndian(UInt64(value), byteCount: 8)
        }
    }

    /// A 1, 2 or 4-byte big-endian length after `markers.0`, `.1` or `.2`, the smallest that fits.
    private mutating func length(_ length: Int, markers: (UInt8, UInt8, UInt8)) {
        if length <= 0xff {
            bytes.append(markers.0)
            bigEndian(UInt64(length), byteCount: 1)
        } else if length <= 0xffff {
            bytes.append(markers.1)
            bigEndian(UInt64(length), byteCount: 2)
        } else {
            bytes.append(markers.2)
            bigEndian(UInt64(length), byteCount: 4)
        }
    }

    /// The header of a bin value of `length` bytes (the bytes follow).
    public mutating func binaryHeader(length: Int) { self.length(length, markers: (0xc4, 0xc5, 0xc6)) }

    /// The header of an ext value of `length` payload bytes: fixext1/2/4/8/16 for those exact
    /// lengths, else ext8/16/32 (the payload follows).
    public mutating func extHeader(type: Int8, length: Int) {
        let fixed: [Int: UInt8] = [1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8]
        if let marker = fixed[length] {
            bytes.append(marker)
        } else {
            self.length(length, markers: (0xc7, 0xc8, 0xc9))
        }
        bytes.append(UInt8(bitPattern: type))
    }

    /// Everything of a flax ndarray leaf before its raw data: the ext-1 header and
    /// `[shape, dtype, bin header]`. `dataByteCount` raw bytes must follow.
    public mutating func ndarrayHeader(shape: [Int], dtype: FlaxDType, dataByteCount: Int) {
        var inner = MsgPackWriter()
        inner.array(count: 3)
        inner.array(count: shape.count)
        for dimension in shape { inner.uint(dimension) }
        inner.string(dtype.rawValue)
        inner.binaryHeader(length: dataByteCount)
        extHeader(type: 1, length: inner.bytes.count + dataByteCount)
        bytes += inner.bytes
    }
}

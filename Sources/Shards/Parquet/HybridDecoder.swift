// Parquet's RLE / bit-packed hybrid encoding, used for definition and repetition levels and for
// dictionary indices: runs of one repeated value, or groups of 8 values packed LSB first.

/// Decodes a hybrid-encoded stream of unsigned values of a fixed bit width (0...32).
struct HybridDecoder {
    private let bytes: UnsafeRawBufferPointer
    private let bitWidth: Int
    private var position = 0

    /// A decoder over `bytes` (no length prefix: the caller strips it) with `bitWidth` bits per value.
    init(_ bytes: UnsafeRawBufferPointer, bitWidth: Int) throws {
        guard (0...32).contains(bitWidth) else {
            throw ParquetDataError("bit width \(bitWidth) outside 0...32")
        }
        self.bytes = bytes
        self.bitWidth = bitWidth
    }

    /// Decodes exactly `count` values into `output`; throws if the stream holds fewer.
    mutating func decode(into output: UnsafeMutablePointer<UInt32>, count: Int) throws {
        var produced = 0
        let valueByteCount = (bitWidth + 7) / 8
        while produced < count {
            let header = try varint()
            let remaining = count - produced
            if header & 1 == 0 {
                let runLength = header >> 1
                guard runLength > 0 else { throw ParquetDataError("empty RLE run") }
                guard bytes.count - position >= valueByteCount else {
                    throw ParquetDataError("RLE run value runs past the end of its section")
                }
                var value: UInt32 = 0
                for index in 0..<valueByteCount {
                    value |= UInt32(bytes[position + index]) << (8 * index)
                }
                position += valueByteCount
                let take = Int(min(runLength, UInt64(remaining)))
                (output + produced).update(repeating: value, count: take)
                produced += take
            } else {
                let groups = header >> 1
                guard groups > 0 else { throw ParquetDataError("empty bit-packed run") }
                let runStart = position
                let remainingBytes = bytes.count - runStart
                let available = bitWidth == 0 ? Int.max : remainingBytes * 8 / bitWidth
                let runValues = groups > UInt64(Int.max / 64) ? Int.max : Int(groups) * 8
                let inRun = min(runValues, available)
                guard inRun > 0 else { throw ParquetDataError("bit-packed run past the end of its section") }
                let take = min(inRun, remaining)
                unpack(into: output + produced, count: take)
                produced += take
                // The run's bytes (groups x bit width), or what is left of the section when it is cut short.
                let runByteCount = groups > UInt64(Int.max / 64) ? Int.max : Int(groups) * bitWidth
                position = runStart + min(runByteCount, remainingBytes)
            }
        }
    }

    /// Unpacks `count` bit-packed values starting at `position`, advancing past the bytes used.
    private mutating func unpack(into output: UnsafeMutablePointer<UInt32>, count: Int) {
        guard bitWidth > 0 else {
            output.update(repeating: 0, count: count)
            return
        }
        let mask: UInt64 = (1 << UInt64(bitWidth)) - 1
        var buffer: UInt64 = 0
        var bits = 0
        var index = position
        for value in 0..<count {
            while bits < bitWidth {
                buffer |= UInt64(bytes[index]) << UInt64(bits)
                index += 1
                bits += 8
            }
            output[value] = UInt32(truncatingIfNeeded: buffer & mask)
            buffer >>= UInt64(bitWidth)
            bits -= bitWidth
        }
        position = index
    }

    private mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.count else { throw ParquetDataError("level or index data ends early") }
            let next = bytes[position]
            position += 1
            guard shift < 64 else { throw ParquetDataError("run header varint too long") }
            result |= UInt64(next & 0x7F) << shift
            if next & 0x80 == 0 { return result }
            shift += 7
        }
    }
}

/// The number of bits needed to store values up to `maximum` (0 for 0).
func bitWidth(forMaximum maximum: Int) -> Int {
    maximum <= 0 ? 0 : Int.bitWidth - maximum.leadingZeroBitCount
}

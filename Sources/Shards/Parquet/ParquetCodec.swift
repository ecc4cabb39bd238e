// Page decompression for the Parquet codecs pandas and pyarrow write: snappy, gzip, zstd,
// brotli and LZ4_RAW, through the system libraries. The only file importing CSnappy/CZlib/CBrotli/CLZ4.
import CBrotli
import CLZ4
import CSnappy
import CZlib

/// Parquet's `CompressionCodec` values and their decompression.
enum ParquetCodec: Int32, CaseIterable {
    case uncompressed = 0, snappy = 1, gzip = 2, lzo = 3, brotli = 4, lz4Hadoop = 5, zstd = 6, lz4Raw = 7

    /// The name Parquet's specification gives the codec.
    var name: String {
        switch self {
        case .uncompressed: return "UNCOMPRESSED"
        case .snappy: return "SNAPPY"
        case .gzip: return "GZIP"
        case .lzo: return "LZO"
        case .brotli: return "BROTLI"
        case .lz4Hadoop: return "LZ4 (Hadoop framing)"
        case .zstd: return "ZSTD"
        case .lz4Raw: return "LZ4_RAW"
        }
    }

    /// Whether this reader can decompress it.
    var isSupported: Bool { self != .lzo && self != .lz4Hadoop }

    /// Decompresses `source` into `destination`, which must come out filled exactly.
    func decompress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) throws
    {
        let expected = destination.count
        let produced: Int
        switch self {
        case .uncompressed:
            guard source.count == expected else {
                throw ParquetDataError(
                    "uncompressed page holds \(source.count) bytes, header says \(expected)")
            }
            if expected > 0 { destination.copyMemory(from: source) }
            produced = expected
        case .snappy: produced = try Self.snappy(source, into: destination)
        case .gzip: produced = try Self.gzip(source, into: destination)
        case .zstd:
            do {
                produced = try Zstd.decompress(source, into: destination)
            } catch {
                throw ParquetDataError("ZSTD data is corrupt (\(error))")
            }
        case .brotli:
            var size = expected
            let result = BrotliDecoderDecompress(
                source.count, source.baseAddress?.assumingMemoryBound(to: UInt8.self), &size,
                destination.baseAddress?.assumingMemoryBound(to: UInt8.self))
            guard result == BROTLI_DECODER_RESULT_SUCCESS else {
                throw ParquetDataError("BROTLI data is corrupt or larger than the page header says")
            }
            produced = size
        case .lz4Raw:
            guard source.count <= Int(Int32.max), expected <= Int(Int32.max) else {
                throw ParquetDataError("LZ4_RAW page too large")
            }
            let result = LZ4_decompress_safe(
                source.baseAddress?.assumingMemoryBound(to: CChar.self),
                destination.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(source.count),
                Int32(expected))
            guard result >= 0 else { throw ParquetDataError("LZ4_RAW data is corrupt") }
            produced = Int(result)
        case .lzo, .lz4Hadoop:
            throw ParquetDataError("codec \(name) is not supported")
        }
        guard produced == expected else {
            throw ParquetDataError(
                "\(name) data decompresses to \(produced) bytes, the page header says \(expected)")
        }
    }

    private static func snappy(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer
    )
        throws -> Int
    {
        let input = source.baseAddress?.assumingMemoryBound(to: CChar.self)
        var length = 0
        guard snappy_uncompressed_length(input, source.count, &length) == SNAPPY_OK,
            length == destination.count
        else {
            throw ParquetDataError(
                "SNAPPY data is corrupt or does not decompress to the \(destination.count) bytes the page header says"
            )
        }
        guard length > 0 else { return 0 }
        let status = snappy_uncompress(
            input, source.count, destination.baseAddress?.assumingMemoryBound(to: CChar.self), &length)
        guard status == SNAPPY_OK else { throw ParquetDataError("SNAPPY data is corrupt") }
        return length
    }

    /// A gzip stream (RFC 1952; several members are allowed) or a zlib stream.
    private static func gzip(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer
    )
        throws -> Int
    {
        guard source.count <= Int(UInt32.max), destination.count <= Int(UInt32.max) else {
            throw ParquetDataError("GZIP page too large")
        }
        var stream = z_stream()
        guard dalle_inflate_init_gzip(&stream) == Z_OK else {
            throw ParquetDataError("zlib inflateInit2 failed")
        }
        defer { inflateEnd(&stream) }
        stream.next_in = UnsafeMutablePointer(
            mutating: source.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(source.count)
        stream.next_out = destination.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(destination.count)
        while true {
            let status = inflate(&stream, Z_FINISH)
            if status == Z_STREAM_END {
                guard stream.avail_in > 0 else { break }
                guard inflateReset(&stream) == Z_OK else {
                    throw ParquetDataError("zlib inflateReset failed")
                }
                continue
            }
            let reason =
                stream.msg.map { String(cString: $0) } ?? "stream ends early or is larger than the page"
            throw ParquetDataError("GZIP data is corrupt (\(reason))")
        }
        return destination.count - Int(stream.avail_out)
    }
}

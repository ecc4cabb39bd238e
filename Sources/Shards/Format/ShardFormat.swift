// The on-disk layout of a shard file (version 1): header, zstd-compressed record blocks, block
// index. Encoding and validation of header and index only; reading lives in ShardFile.swift.
// Layout table: docs/FORMATS.md "Shard files".

/// Constants and fixed-size records of the shard format. All integers are little-endian.
public enum ShardFormat {
    /// First 8 bytes of every shard: "DTSHARD\0".
    public static let magic: [UInt8] = Array("DTSHARD".utf8) + [0]
    /// Codes per record a reader accepts (dalle-mini uses 256; 2^20 bounds all arithmetic).
    public static let maximumImageLength = 1 << 20
    /// The version this build writes and reads.
    public static let version: UInt32 = 1
    /// Size of the header at offset 0.
    public static let headerByteCount = 64
    /// Size of one block index entry.
    public static let indexEntryByteCount = 32
    /// Shard file name extension.
    public static let fileExtension = "dtshard"

    /// The 64-byte header; `encode()` appends a CRC-32C of its first 60 bytes.
    public struct Header: Equatable, Sendable {
        public var imageLength: Int
        public var imageVocabSize: Int
        public var recordCount: Int
        public var blockCount: Int
        public var indexOffset: Int

        /// Bytes of the index: entries plus their CRC-32C.
        public var indexByteCount: Int { blockCount * indexEntryByteCount + 4 }
        /// Exact size of a complete shard file.
        public var fileByteCount: Int { indexOffset + indexByteCount }

        func encode() -> [UInt8] {
            var bytes = magic
            bytes.appendLittleEndian(version)
            bytes.appendLittleEndian(UInt32(headerByteCount))
            bytes.appendLittleEndian(UInt32(imageLength))
            bytes.appendLittleEndian(UInt32(imageVocabSize))
            bytes.appendLittleEndian(UInt64(recordCount))
            bytes.appendLittleEndian(UInt32(blockCount))
            bytes.appendLittleEndian(UInt32(0))
            bytes.appendLittleEndian(UInt64(indexOffset))
            bytes.appendLittleEndian(UInt64(indexByteCount))
            bytes.appendLittleEndian(UInt32(0))
            bytes.appendLittleEndian(CRC32.castagnoli.checksum(bytes))
            return bytes
        }

        /// Parses and validates a header; `fileByteCount` is the actual size of the file.
        static func decode(_ bytes: [UInt8], path: String, fileByteCount: Int) throws -> Header {
            guard bytes.count >= headerByteCount else {
                if bytes.count >= 8 && Array(bytes[0..<8]) != magic {
                    throw ShardError.badMagic(path: path, found: Array(bytes[0..<8]))
                }
                throw ShardError.truncated(
                    path: path, expectedBytes: headerByteCount, actualBytes: bytes.count)
            }
            guard Array(bytes[0..<8]) == magic else {
                throw ShardError.badMagic(path: path, found: Array(bytes[0..<8]))
            }
            let foundVersion = bytes.loadLittleEndian(UInt32.self, at: 8)
            guard foundVersion == version else {
                throw ShardError.unsupportedVersion(path: path, found: foundVersion, supported: version)
            }
            let stored = bytes.loadLittleEndian(UInt32.self, at: 60)
            let computed = CRC32.castagnoli.checksum(bytes[0..<60])
            guard stored == computed else {
                throw ShardError.corruptHeader(
                    path: path, detail: "CRC-32C \(hex(computed)), stored \(hex(stored))")
            }
            // Untrusted 64-bit counts: no conversion or arithmetic before they are bounded by the file.
            let recordCount = bytes.loadLittleEndian(UInt64.self, at: 24)
            let indexOffset = bytes.loadLittleEndian(UInt64.self, at: 40)
            guard indexOffset <= UInt64(fileByteCount), recordCount <= UInt64(fileByteCount) else {
                throw ShardError.corruptHeader(
                    path: path,
                    detail:
                        "\(recordCount) records and index offset \(indexOffset) in a file of \(fileByteCount) bytes"
                )
            }
            let header = Header(
                imageLength: Int(bytes.loadLittleEndian(UInt32.self, at: 16)),
                imageVocabSize: Int(bytes.loadLittleEndian(UInt32.self, at: 20)),
                recordCount: Int(recordCount),
                blockCount: Int(bytes.loadLittleEndian(UInt32.self, at: 32)),
                indexOffset: Int(indexOffset))
            guard header.imageLength > 0, header.imageLength <= maximumImageLength, header.imageVocabSize > 0,
                header.imageVocabSize <= 65536, header.indexOffset >= headerByteCount
            else {
                throw ShardError.corruptHeader(path: path, detail: "impossible sizes \(header)")
            }
            guard fileByteCount == header.fileByteCount else {
                throw ShardError.truncated(
                    path: path, expectedBytes: header.fileByteCount, actualBytes: fileByteCount)
            }
            return header
        }
    }

    /// Where one compressed block lives and what it holds.
    public struct BlockEntry: Equatable, Sendable {
        /// Byte offset of the block's zstd frame in the file.
        public var offset: Int
        public var compressedByteCount: Int
        public var rawByteCount: Int
        /// Index of the block's first record within the shard.
        public var firstRecord: Int
        public var recordCount: Int
        /// CRC-32C of the compressed bytes.
        public var checksum: UInt32

        func encode(into bytes: inout [UInt8]) {
            bytes.appendLittleEndian(UInt64(offset))
            bytes.appendLittleEndian(UInt32(compressedByteCount))
            bytes.appendLittleEndian(UInt32(rawByteCount))
            bytes.appendLittleEndian(UInt64(firstRecord))
            bytes.appendLittleEndian(UInt32(recordCount))
            bytes.appendLittleEndian(checksum)
        }
    }

    /// Encodes the index: entries then a CRC-32C over them.
    static func encodeIndex(_ entries: [BlockEntry]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(entries.count * indexEntryByteCount + 4)
        for entry in entries { entry.encode(into: &bytes) }
        bytes.appendLittleEndian(CRC32.castagnoli.checksum(bytes))
        return bytes
    }

    /// Parses the index and checks that blocks tile the records and the file area before it.
    static func decodeIndex(_ bytes: [UInt8], header: Header, path: String) throws -> [BlockEntry] {
        let entryBytes = header.blockCount * indexEntryByteCount
        guard bytes.count == entryBytes + 4 else {
            throw ShardError.corruptIndex(
                path: path, detail: "\(bytes.count) bytes, expected \(entryBytes + 4)")
        }
        let stored = bytes.loadLittleEndian(UInt32.self, at: entryBytes)
        let computed = CRC32.castagnoli.checksum(bytes[0..<entryBytes])
        guard stored == computed else {
            throw ShardError.corruptIndex(
                path: path, detail: "CRC-32C \(hex(computed)), stored \(hex(stored))")
        }
        var entries: [BlockEntry] = []
        var nextRecord = 0
        var nextOffset = headerByteCount
        for block in 0..<header.blockCount {
            let at = block * indexEntryByteCount
            // 64-bit fields from the file: bounded before they become Ints (no conversion trap).
            let offset = bytes.loadLittleEndian(UInt64.self, at: at)
            let firstRecord = bytes.loadLittleEndian(UInt64.self, at: at + 16)
            guard offset <= UInt64(header.indexOffset), firstRecord <= UInt64(header.recordCount) else {
                throw ShardError.corruptIndex(
                    path: path,
                    detail: "block \(block): offset \(offset), first record \(firstRecord) out of range")
            }
            let entry = BlockEntry(
                offset: Int(offset),
                compressedByteCount: Int(bytes.loadLittleEndian(UInt32.self, at: at + 8)),
                rawByteCount: Int(bytes.loadLittleEndian(UInt32.self, at: at + 12)),
                firstRecord: Int(firstRecord),
                recordCount: Int(bytes.loadLittleEndian(UInt32.self, at: at + 24)),
                checksum: bytes.loadLittleEndian(UInt32.self, at: at + 28))
            let minimumRaw = entry.recordCount * (4 + 2 * header.imageLength)  // < 2^32 · 2^21: no overflow
            guard entry.offset == nextOffset, entry.firstRecord == nextRecord, entry.recordCount > 0,
                entry.rawByteCount >= minimumRaw
            else {
                throw ShardError.corruptIndex(
                    path: path, detail: "block \(block) entry is inconsistent: \(entry)")
            }
            nextOffset += entry.compressedByteCount
            nextRecord += entry.recordCount
            entries.append(entry)
        }
        guard nextOffset == header.indexOffset, nextRecord == header.recordCount else {
            throw ShardError.corruptIndex(
                path: path,
                detail: "blocks cover \(nextRecord) records up to byte \(nextOffset), header says "
                    + "\(header.recordCount) records and index at \(header.indexOffset)")
        }
        return entries
    }

    static func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    func loadLittleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }
}

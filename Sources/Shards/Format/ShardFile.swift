// Reading one shard file: header and index validated at open, any block read directly by
// number with its checksum verified before decompression. Writing lives in ShardWriter.swift.
import Foundation

/// An open, validated shard file. Not thread-safe: use one per thread.
public final class ShardFile {
    /// The file.
    public let url: URL
    /// Its validated header.
    public let header: ShardFormat.Header
    /// Its validated block index.
    public let blocks: [ShardFormat.BlockEntry]
    private let handle: FileHandle

    /// Opens `url` and validates magic, version, header checksum, size and index.
    public init(url: URL) throws {
        self.url = url
        let path = url.path
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw ShardError.cannotRead(path: path, reason: "\(error.localizedDescription)")
        }
        let size: Int
        do {
            size = Int(try handle.seekToEnd())
            try handle.seek(toOffset: 0)
            let headerBytes = [UInt8](try handle.read(upToCount: ShardFormat.headerByteCount) ?? Data())
            header = try ShardFormat.Header.decode(headerBytes, path: path, fileByteCount: size)
            try handle.seek(toOffset: UInt64(header.indexOffset))
            let indexBytes = [UInt8](try handle.read(upToCount: header.indexByteCount) ?? Data())
            blocks = try ShardFormat.decodeIndex(indexBytes, header: header, path: path)
        } catch let error as ShardError {
            throw error
        } catch {
            throw ShardError.cannotRead(path: path, reason: "\(error)")
        }
    }

    deinit { try? handle.close() }

    /// Reads, verifies (CRC-32C, zstd frame checksum, size) and decodes block `index`,
    /// checking every code against `vocabularySize` (default: the header's).
    public func readBlock(_ index: Int, vocabularySize: Int? = nil) throws -> ShardBlock {
        precondition(blocks.indices.contains(index), "block \(index) of \(blocks.count) in \(url.path)")
        let entry = blocks[index]
        let path = url.path
        let compressed: Data
        do {
            try handle.seek(toOffset: UInt64(entry.offset))
            compressed = try handle.read(upToCount: entry.compressedByteCount) ?? Data()
        } catch {
            throw ShardError.cannotRead(path: path, reason: "block \(index): \(error)")
        }
        guard compressed.count == entry.compressedByteCount else {
            throw ShardError.truncated(
                path: path, expectedBytes: entry.offset + entry.compressedByteCount,
                actualBytes: entry.offset + compressed.count)
        }
        let checksum = compressed.withUnsafeBytes { CRC32.castagnoli.checksum($0) }
        guard checksum == entry.checksum else {
            throw ShardError.corruptBlock(
                path: path, block: index,
                detail: "CRC-32C \(ShardFormat.hex(checksum)), index says \(ShardFormat.hex(entry.checksum))")
        }
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: max(entry.rawByteCount, 1), alignment: 16)
        defer { raw.deallocate() }
        let written: Int
        do {
            written = try compressed.withUnsafeBytes { try Zstd.decompress($0, into: raw) }
        } catch {
            throw ShardError.corruptBlock(path: path, block: index, detail: "\(error)")
        }
        guard written == entry.rawByteCount else {
            throw ShardError.corruptBlock(
                path: path, block: index,
                detail: "\(written) bytes decompressed, index says \(entry.rawByteCount)")
        }
        return try ShardBlock(
            payload: UnsafeRawBufferPointer(rebasing: raw[0..<written]), recordCount: entry.recordCount,
            imageLength: header.imageLength, vocabularySize: vocabularySize ?? header.imageVocabSize,
            path: path, block: index, firstRecord: entry.firstRecord)
    }
}

/// Writes one shard file: records are buffered into blocks, each compressed and checksummed;
/// `finish()` writes the index and then the header (a file without a valid header is unusable).
final class ShardWriter {
    let url: URL
    let imageLength: Int
    let imageVocabSize: Int
    let recordsPerBlock: Int
    let level: Int32
    private let handle: FileHandle
    private var entries: [ShardFormat.BlockEntry] = []
    private var captions: [[UInt8]] = []
    private var codes: [UInt16] = []
    private var offset = ShardFormat.headerByteCount
    private(set) var recordCount = 0

    init(url: URL, imageLength: Int, imageVocabSize: Int, recordsPerBlock: Int, level: Int32) throws {
        precondition(recordsPerBlock > 0 && imageLength > 0, "records per block and image length must be > 0")
        self.url = url
        self.imageLength = imageLength
        self.imageVocabSize = imageVocabSize
        self.recordsPerBlock = recordsPerBlock
        self.level = level
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
            let handle = try? FileHandle(forWritingTo: url)
        else { throw ShardError.cannotWrite(path: url.path, reason: "cannot create the file") }
        self.handle = handle
        try write([UInt8](repeating: 0, count: ShardFormat.headerByteCount))
    }

    /// Adds one record; `codes` must hold `imageLength` values below `imageVocabSize`.
    func append(caption: [UInt8], codes recordCodes: some Collection<UInt16>) throws {
        precondition(
            recordCodes.count == imageLength, "record has \(recordCodes.count) codes, expected \(imageLength)"
        )
        precondition(
            recordCodes.allSatisfy { Int($0) < imageVocabSize }, "code outside [0, \(imageVocabSize))")
        captions.append(caption)
        codes.append(contentsOf: recordCodes)
        recordCount += 1
        if captions.count == recordsPerBlock { try flushBlock() }
    }

    /// Writes the last block, the index and the header; returns the file size.
    func finish() throws -> Int {
        if !captions.isEmpty { try flushBlock() }
        let index = ShardFormat.encodeIndex(entries)
        let header = ShardFormat.Header(
            imageLength: imageLength, imageVocabSize: imageVocabSize, recordCount: recordCount,
            blockCount: entries.count, indexOffset: offset)
        try write(index)
        do {
            try handle.seek(toOffset: 0)
            try handle.write(contentsOf: header.encode())
            try handle.synchronize()
            try handle.close()
        } catch {
            throw ShardError.cannotWrite(path: url.path, reason: "\(error)")
        }
        return header.fileByteCount
    }

    private func flushBlock() throws {
        let raw = ShardBlock.encode(captions: captions, codes: codes, imageLength: imageLength)
        let compressed = try raw.withUnsafeBytes { try Zstd.compress($0, level: level, checksum: true) }
        entries.append(
            ShardFormat.BlockEntry(
                offset: offset, compressedByteCount: compressed.count, rawByteCount: raw.count,
                firstRecord: recordCount - captions.count, recordCount: captions.count,
                checksum: compressed.withUnsafeBytes { CRC32.castagnoli.checksum($0) }))
        try write(compressed)
        offset += compressed.count
        captions.removeAll(keepingCapacity: true)
        codes.removeAll(keepingCapacity: true)
    }

    private func write<Bytes: DataProtocol>(_ bytes: Bytes) throws {
        do {
            try handle.write(contentsOf: bytes)
        } catch {
            throw ShardError.cannotWrite(path: url.path, reason: "\(error)")
        }
    }
}

// Checkpoint payload files in zstd's seekable format: independent frames (4 MiB by default),
// compressed and decompressed on several threads, then a skippable frame holding the seek table
// (contrib/seekable_format). `zstd -d` skips that frame and gives the plain concatenation.
// Not here: zstd itself (Shards/Zstd.swift), the safetensors layout (Tensors/SafeTensors.swift).
import Foundation
import Shards

/// Writing and reading zstd seekable-format files on several threads.
enum SeekableZstd {
    /// Frames compressed together before their output is written.
    static let framesPerRound = 16
    static let skippableMagic: UInt32 = 0x184D_2A5E
    static let seekableMagic: UInt32 = 0x8F92_EAB1

    /// Compresses `segments`, in order, into `url` (created or truncated), fsyncs it, and returns
    /// its size and XXH64 (computed while writing). Each frame carries zstd's content checksum.
    static func write(
        _ segments: [UnsafeRawBufferPointer], to url: URL, compression: CheckpointCompression
    ) throws -> FileChecksum {
        let frameByteCount = compression.frameByteCount
        let pieces = segments.flatMap { segment in
            stride(from: 0, to: segment.count, by: frameByteCount).map {
                UnsafeRawBufferPointer(rebasing: segment[$0..<min($0 + frameByteCount, segment.count)])
            }
        }
        let file = try OutputFile(url: url)
        var table: [(compressed: UInt32, decompressed: UInt32)] = []
        for roundStart in stride(from: 0, to: pieces.count, by: framesPerRound) {
            let round = Array(pieces[roundStart..<min(roundStart + framesPerRound, pieces.count)])
            let frames = try parallelMap(round, threads: compression.workers) {
                try Zstd.compress($0, level: compression.level, workers: 0, checksum: true)
            }
            for (frame, piece) in zip(frames, round) {
                try frame.withUnsafeBytes { try file.append($0) }
                table.append((UInt32(frame.count), UInt32(piece.count)))
            }
        }
        try seekTable(table).withUnsafeBytes { try file.append($0) }
        return try file.finish()
    }

    /// The decompressed content of a zstd file held in `data`: frames decompressed in parallel
    /// when a seek table ends the file, else one sequential pass (a file recompressed by other tools).
    static func decompress(_ data: Data, path: String, threads: Int) throws -> Data {
        guard let table = try readSeekTable(data, path: path) else { return try Zstd.decompress(data) }
        var output = Data(count: table.reduce(0) { $0 + $1.decompressed.count })
        try data.withUnsafeBytes { source in
            try output.withUnsafeMutableBytes { destination in
                let jobs = Array(table.indices)
                _ = try parallelMap(jobs, threads: threads) { index in
                    let entry = table[index]
                    let produced = try Zstd.decompress(
                        UnsafeRawBufferPointer(rebasing: source[entry.compressed]),
                        into: UnsafeMutableRawBufferPointer(rebasing: destination[entry.decompressed]))
                    guard produced == entry.decompressed.count else {
                        throw CheckpointError.malformed(
                            path: path,
                            reason: "zstd frame \(index) holds \(produced) bytes, its seek table says "
                                + "\(entry.decompressed.count)")
                    }
                }
            }
        }
        return output
    }

    /// The skippable frame: header, entries (compressed size, decompressed size), footer
    /// (frame count, descriptor 0 = no per-frame checksums, seekable magic). Little endian.
    private static func seekTable(_ entries: [(compressed: UInt32, decompressed: UInt32)]) -> Data {
        var words: [UInt32] = [skippableMagic, UInt32(entries.count * 8 + 9)]
        for entry in entries { words += [entry.compressed.littleEndian, entry.decompressed.littleEndian] }
        words.append(UInt32(entries.count))
        var data = words.withUnsafeBytes { Data($0) }
        data.append(0)
        withUnsafeBytes(of: seekableMagic.littleEndian) { data.append(contentsOf: $0) }
        return data
    }

    /// Frame byte ranges (compressed, decompressed) from the seek table, or nil without one.
    private static func readSeekTable(_ data: Data, path: String) throws
        -> [(compressed: Range<Int>, decompressed: Range<Int>)]?
    {
        try data.withUnsafeBytes { raw -> [(compressed: Range<Int>, decompressed: Range<Int>)]? in
            let count = raw.count
            func word(_ offset: Int) -> Int {
                Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            }
            guard count >= 17, word(count - 4) == Int(seekableMagic) else { return nil }
            let frames = word(count - 9)
            let descriptor = raw[count - 5]
            let entrySize = descriptor & 0x80 != 0 ? 12 : 8
            let tableSize = frames * entrySize + 9
            let tableStart = count - tableSize - 8
            guard descriptor & 0x7F == 0, tableStart >= 0, word(tableStart) == Int(skippableMagic),
                word(tableStart + 4) == tableSize
            else {
                throw CheckpointError.malformed(path: path, reason: "damaged zstd seek table")
            }
            var ranges: [(compressed: Range<Int>, decompressed: Range<Int>)] = []
            var (compressed, decompressed) = (0, 0)
            for index in 0..<frames {
                let entry = tableStart + 8 + index * entrySize
                let (c, d) = (word(entry), word(entry + 4))
                ranges.append((compressed..<compressed + c, decompressed..<decompressed + d))
                compressed += c
                decompressed += d
            }
            guard compressed == tableStart else {
                throw CheckpointError.malformed(
                    path: path,
                    reason:
                        "zstd seek table covers \(compressed) bytes of frames, the file holds \(tableStart)")
            }
            return ranges
        }
    }

    /// `transform` applied to every element on up to `threads` threads, results in order.
    /// The first error thrown by any element is rethrown.
    static func parallelMap<Element, Result>(
        _ elements: [Element], threads: Int, _ transform: (Element) throws -> Result
    ) throws -> [Result] {
        let workers = max(1, min(threads, elements.count))
        let results = UnsafeMutableBufferPointer<Result?>.allocate(capacity: elements.count)
        results.initialize(repeating: nil)
        let errors = UnsafeMutableBufferPointer<Error?>.allocate(capacity: workers)
        errors.initialize(repeating: nil)
        defer {
            results.deinitialize()
            results.deallocate()
            errors.deinitialize()
            errors.deallocate()
        }
        // Worker w takes elements w, w + workers, ...; each writes only its own slots.
        withoutActuallyEscaping(transform) { transform in
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                do {
                    for index in stride(from: worker, to: elements.count, by: workers) {
                        results[index] = try transform(elements[index])
                    }
                } catch {
                    errors[worker] = error
                }
            }
        }
        if let error = errors.compactMap({ $0 }).first { throw error }
        return results.map { $0! }
    }
}

/// A file written front to back, hashed as it goes, fsynced on close.
private final class OutputFile {
    let url: URL
    private let descriptor: Int32
    private var hasher = XXHash64.Hasher()
    private var byteCount = 0
    private var isClosed = false

    init(url: URL) throws {
        self.url = url
        descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw FileOperationError(operation: "open", path: url.path, code: errno)
        }
    }

    deinit { if !isClosed { Foundation.close(descriptor) } }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bytes)
        var offset = 0
        while offset < bytes.count {
            let written = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw FileOperationError(operation: "write", path: url.path, code: errno)
            }
            offset += written
        }
        byteCount += bytes.count
    }

    /// Fsyncs and closes; returns the size and hash of everything written.
    func finish() throws -> FileChecksum {
        isClosed = true
        defer { Foundation.close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw FileOperationError(operation: "fsync", path: url.path, code: errno)
        }
        return FileChecksum(byteCount: byteCount, xxh64: XXHash64.hex(hasher.digest()))
    }
}

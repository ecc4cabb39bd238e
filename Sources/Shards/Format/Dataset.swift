// A dataset directory: manifest.json plus shard files. Opening validates every shard's header and
// index against the manifest; writing rotates shards and writes the manifest last.
import Foundation

/// The `manifest.json` of a dataset directory (snake_case keys on disk).
public struct DatasetManifest: Codable, Equatable, Sendable {
    /// One shard file of the dataset.
    public struct Shard: Codable, Equatable, Sendable {
        /// File name relative to the dataset directory.
        public var file: String
        public var recordCount: Int
        public var blockCount: Int
        public var byteCount: Int

        enum CodingKeys: String, CodingKey {
            case file
            case recordCount = "record_count"
            case blockCount = "block_count"
            case byteCount = "byte_count"
        }
    }

    /// Always "dalle-train-shards".
    public var format: String
    /// The shard format version of every file (`ShardFormat.version`).
    public var formatVersion: Int
    /// Records over all shards.
    public var recordCount: Int
    /// Codes per record (T, `image_length`).
    public var imageLength: Int
    /// Codes are in `[0, imageVocabSize)`.
    public var imageVocabSize: Int
    /// Records per block when written (the last block of a shard may hold fewer).
    public var recordsPerBlock: Int
    public var shards: [Shard]
    /// Free text: where the records came from.
    public var source: String

    /// The manifest's file name inside a dataset directory.
    public static let fileName = "manifest.json"

    enum CodingKeys: String, CodingKey {
        case format, shards, source
        case formatVersion = "format_version"
        case recordCount = "record_count"
        case imageLength = "image_length"
        case imageVocabSize = "image_vocab_size"
        case recordsPerBlock = "records_per_block"
    }
}

/// Where a block lives and which records (global numbering, in manifest order) it holds.
public struct BlockLocation: Equatable, Sendable {
    public var shard: Int
    public var block: Int
    /// Global index of the block's first record.
    public var firstRecord: Int
    public var recordCount: Int
}

/// A validated dataset directory. Holds no open files; readers open shards themselves.
public final class Dataset: @unchecked Sendable {
    /// The directory holding manifest.json and the shards.
    public let directory: URL
    /// The parsed manifest.
    public let manifest: DatasetManifest
    /// Every block of every shard in manifest order.
    public let blocks: [BlockLocation]

    /// Reads manifest.json and validates every shard's header and index against it.
    public init(directory: URL) throws {
        self.directory = directory
        let manifestURL = directory.appendingPathComponent(DatasetManifest.fileName)
        let path = manifestURL.path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ShardError.badManifest(path: path, detail: "missing or unreadable")
        }
        let manifest: DatasetManifest
        do {
            manifest = try JSONDecoder().decode(DatasetManifest.self, from: data)
        } catch {
            throw ShardError.badManifest(path: path, detail: "not a dataset manifest (\(error))")
        }
        guard manifest.format == "dalle-train-shards", manifest.formatVersion == Int(ShardFormat.version)
        else {
            throw ShardError.badManifest(
                path: path,
                detail: "format \(manifest.format) version \(manifest.formatVersion), expected "
                    + "dalle-train-shards version \(ShardFormat.version)")
        }
        var blocks: [BlockLocation] = []
        var total = 0
        for (shardIndex, shard) in manifest.shards.enumerated() {
            // Shards live in the dataset directory itself: a name is never a path.
            guard !shard.file.isEmpty, !shard.file.contains("/"), shard.file != "..", shard.file != "." else {
                throw ShardError.badManifest(
                    path: path, detail: "shard file name \"\(shard.file)\" is not a plain name")
            }
            let file = try ShardFile(url: directory.appendingPathComponent(shard.file))
            let header = file.header
            guard header.blockCount == shard.blockCount, header.fileByteCount == shard.byteCount else {
                throw ShardError.badManifest(
                    path: path,
                    detail:
                        "shard \(shard.file) has \(header.blockCount) blocks in \(header.fileByteCount) bytes; the "
                        + "manifest says \(shard.blockCount) blocks in \(shard.byteCount) bytes")
            }
            guard header.recordCount == shard.recordCount, header.imageLength == manifest.imageLength,
                header.imageVocabSize == manifest.imageVocabSize
            else {
                throw ShardError.badManifest(
                    path: path,
                    detail: "shard \(shard.file) holds \(header.recordCount) records of length "
                        + "\(header.imageLength) (vocabulary \(header.imageVocabSize)); the manifest says "
                        + "\(shard.recordCount), \(manifest.imageLength), \(manifest.imageVocabSize)")
            }
            for (blockIndex, entry) in file.blocks.enumerated() {
                blocks.append(
                    BlockLocation(
                        shard: shardIndex, block: blockIndex, firstRecord: total + entry.firstRecord,
                        recordCount: entry.recordCount))
            }
            total += header.recordCount
        }
        guard total == manifest.recordCount else {
            throw ShardError.badManifest(
                path: path, detail: "shards hold \(total) records, manifest says \(manifest.recordCount)")
        }
        self.manifest = manifest
        self.blocks = blocks
    }

    /// The URL of shard `index`.
    public func shardURL(_ index: Int) -> URL {
        directory.appendingPathComponent(manifest.shards[index].file)
    }

    /// Caption and codes of record `index` (global numbering in manifest order).
    public func record(at index: Int) throws -> (caption: String, codes: [UInt16]) {
        precondition((0..<manifest.recordCount).contains(index), "record \(index) of \(manifest.recordCount)")
        var low = 0
        var high = blocks.count - 1
        while low < high {  // last block whose firstRecord <= index
            let middle = (low + high + 1) / 2
            if blocks[middle].firstRecord <= index { low = middle } else { high = middle - 1 }
        }
        let location = blocks[low]
        let block = try ShardFile(url: shardURL(location.shard)).readBlock(location.block)
        let local = index - location.firstRecord
        return (try block.caption(local), Array(block.codes(local)))
    }
}

/// Writes a dataset directory: shards of `recordsPerShard` records, then manifest.json
/// (written last, atomically: a directory without it is incomplete).
public final class DatasetWriter {
    public let directory: URL
    public let imageLength: Int
    public let imageVocabSize: Int
    public let recordsPerShard: Int
    public let recordsPerBlock: Int
    private let level: Int32
    private let source: String
    private var current: ShardWriter?
    private var shards: [DatasetManifest.Shard] = []
    /// Records appended so far.
    public private(set) var recordCount = 0

    /// Prepares `directory` (created if needed; an existing manifest and shard files are removed first).
    public init(
        directory: URL, imageLength: Int = 256, imageVocabSize: Int = 16384, recordsPerShard: Int = 100_000,
        recordsPerBlock: Int = 1024, compressionLevel: Int32 = 3, source: String = ""
    ) throws {
        precondition(
            recordsPerShard > 0 && recordsPerBlock > 0, "records per shard and block must be positive")
        precondition(imageVocabSize > 0 && imageVocabSize <= 65536, "codes are stored as UInt16")
        self.directory = directory
        self.imageLength = imageLength
        self.imageVocabSize = imageVocabSize
        self.recordsPerShard = recordsPerShard
        self.recordsPerBlock = recordsPerBlock
        self.level = compressionLevel
        self.source = source
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let manifest = directory.appendingPathComponent(DatasetManifest.fileName)
            if FileManager.default.fileExists(atPath: manifest.path) {
                try FileManager.default.removeItem(at: manifest)
            }
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path)
            where name.hasPrefix("shard-") && name.hasSuffix("." + ShardFormat.fileExtension) {
                try FileManager.default.removeItem(at: directory.appendingPathComponent(name))
            }
        } catch {
            throw ShardError.cannotWrite(path: directory.path, reason: "\(error)")
        }
    }

    /// Appends one record. `codes` must hold `imageLength` values below `imageVocabSize`
    /// (importers validate input before calling this; a violation is a programmer error).
    public func append(caption: String, codes: some Collection<UInt16>) throws {
        if current == nil {
            let name = String(format: "shard-%05d.%@", shards.count, ShardFormat.fileExtension)
            current = try ShardWriter(
                url: directory.appendingPathComponent(name), imageLength: imageLength,
                imageVocabSize: imageVocabSize, recordsPerBlock: recordsPerBlock, level: level)
        }
        try current!.append(caption: Array(caption.utf8), codes: codes)
        recordCount += 1
        if current!.recordCount == recordsPerShard { try endShard() }
    }

    /// Closes the current shard early (the next record starts a new one); no-op when none is open.
    public func endShard() throws {
        guard let writer = current else { return }
        let byteCount = try writer.finish()
        shards.append(
            DatasetManifest.Shard(
                file: writer.url.lastPathComponent, recordCount: writer.recordCount,
                blockCount: (writer.recordCount + recordsPerBlock - 1) / recordsPerBlock, byteCount: byteCount
            ))
        current = nil
    }

    /// Closes the last shard and writes manifest.json; returns the manifest.
    @discardableResult
    public func finish() throws -> DatasetManifest {
        try endShard()
        let manifest = DatasetManifest(
            format: "dalle-train-shards", formatVersion: Int(ShardFormat.version), recordCount: recordCount,
            imageLength: imageLength, imageVocabSize: imageVocabSize, recordsPerBlock: recordsPerBlock,
            shards: shards, source: source)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let url = directory.appendingPathComponent(DatasetManifest.fileName)
        do {
            try encoder.encode(manifest).write(to: url, options: .atomic)
        } catch {
            throw ShardError.cannotWrite(path: url.path, reason: "\(error)")
        }
        return manifest
    }
}

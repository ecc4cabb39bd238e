// One decompressed block of records: the raw payload layout, its encoder and its checked decoder.
// Payload: n UInt32 caption end offsets, n*T UInt16 codes, then the captions' UTF-8 bytes.

/// The records of one block, decoded and checked (codes in range, caption offsets consistent).
public struct ShardBlock: Sendable {
    /// Records in the block.
    public let recordCount: Int
    /// Codes per record (T).
    public let imageLength: Int
    /// (n, T) image codes.
    public let codes: [UInt16]
    /// End offset of each caption in `captionBytes`.
    let captionEnds: [UInt32]
    let captionBytes: [UInt8]
    /// For error messages: shard path, block number, first record's index in the shard.
    let path: String
    let block: Int
    let firstRecord: Int

    /// Encodes records as the raw (uncompressed) block payload.
    static func encode(captions: [[UInt8]], codes: [UInt16], imageLength: Int) -> [UInt8] {
        precondition(
            codes.count == captions.count * imageLength, "codes \(codes.count) for \(captions.count) rows")
        var bytes: [UInt8] = []
        let captionByteCount = captions.reduce(0) { $0 + $1.count }
        bytes.reserveCapacity(captions.count * 4 + codes.count * 2 + captionByteCount)
        var end: UInt32 = 0
        for caption in captions {
            end += UInt32(caption.count)
            bytes.appendLittleEndian(end)
        }
        codes.withUnsafeBytes { bytes.append(contentsOf: $0) }  // little-endian hosts only
        for caption in captions { bytes.append(contentsOf: caption) }
        return bytes
    }

    /// Decodes a raw payload of `recordCount` records; throws naming the block and record on
    /// inconsistent offsets or a code outside `[0, vocabularySize)`.
    init(
        payload: UnsafeRawBufferPointer, recordCount: Int, imageLength: Int, vocabularySize: Int,
        path: String, block: Int, firstRecord: Int
    ) throws {
        let endsBytes = recordCount * 4
        let codeBytes = recordCount * imageLength * 2
        guard payload.count >= endsBytes + codeBytes else {
            throw ShardError.corruptBlock(
                path: path, block: block, detail: "payload of \(payload.count) bytes")
        }
        let ends = [UInt32](unsafeUninitializedCapacity: recordCount) { buffer, count in
            for i in 0..<recordCount {
                buffer[i] = UInt32(
                    littleEndian: payload.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
            }
            count = recordCount
        }
        let codes = [UInt16](unsafeUninitializedCapacity: recordCount * imageLength) { buffer, count in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(
                from: UnsafeRawBufferPointer(rebasing: payload[endsBytes..<(endsBytes + codeBytes)]))
            count = recordCount * imageLength
        }
        let captionBytes = [UInt8](payload[(endsBytes + codeBytes)...])
        var previous: UInt32 = 0
        for (i, end) in ends.enumerated() {
            guard end >= previous else {
                throw ShardError.corruptBlock(
                    path: path, block: block, detail: "caption offset of record \(i)")
            }
            previous = end
        }
        guard Int(previous) == captionBytes.count else {
            throw ShardError.corruptBlock(
                path: path, block: block,
                detail: "captions end at \(previous), \(captionBytes.count) bytes stored")
        }
        try codes.withUnsafeBufferPointer { codes in
            var maximum: UInt16 = 0
            for code in codes { maximum = max(maximum, code) }
            guard Int(maximum) >= vocabularySize else { return }
            let position = codes.firstIndex { Int($0) >= vocabularySize }!
            throw ShardError.codeOutOfRange(
                path: path, block: block, record: firstRecord + position / imageLength,
                code: Int(codes[position]),
                vocabularySize: vocabularySize)
        }
        self.recordCount = recordCount
        self.imageLength = imageLength
        self.codes = codes
        self.captionEnds = ends
        self.captionBytes = captionBytes
        self.path = path
        self.block = block
        self.firstRecord = firstRecord
    }

    /// The caption of record `index` (0-based within the block); throws if it is not UTF-8.
    public func caption(_ index: Int) throws -> String {
        let start = index == 0 ? 0 : Int(captionEnds[index - 1])
        let end = Int(captionEnds[index])
        guard let text = String(validating: captionBytes[start..<end], as: UTF8.self) else {
            throw ShardError.invalidCaption(path: path, block: block, record: firstRecord + index)
        }
        return text
    }

    /// The (T) codes of record `index`.
    public func codes(_ index: Int) -> ArraySlice<UInt16> {
        codes[(index * imageLength)..<((index + 1) * imageLength)]
    }
}

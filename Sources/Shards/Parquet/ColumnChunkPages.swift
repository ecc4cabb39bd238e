// Walks the pages of one column chunk: page headers, decompression, the repetition and
// definition levels of data pages v1 and v2; hands dictionary pages and value sections on.

/// One data page: its decoded levels and its (decompressed) values section.
struct DataPageContent {
    /// Level entries in the page (values, nulls and empty lists).
    var entryCount: Int
    /// Repetition levels, nil when the column's maximum is 0.
    var repetitionLevels: UnsafeBufferPointer<UInt32>?
    /// Definition levels, nil when the column's maximum is 0.
    var definitionLevels: UnsafeBufferPointer<UInt32>?
    /// The value encoding (PLAIN, PLAIN_DICTIONARY or RLE_DICTIONARY).
    var encoding: Int32
    var values: UnsafeRawBufferPointer
}

/// Buffers reused from page to page (a page's content is valid until the next page).
final class PageScratch {
    private(set) var bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: 0, alignment: 64)
    private(set) var repetition = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: 0)
    private(set) var definition = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: 0)
    private(set) var indices = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: 0)

    deinit {
        bytes.deallocate()
        repetition.deallocate()
        definition.deallocate()
        indices.deallocate()
    }

    /// Bytes for a decompressed page, at least `count`.
    func bytes(_ count: Int) -> UnsafeMutableRawBufferPointer {
        if bytes.count < count {
            bytes.deallocate()
            bytes = .allocate(byteCount: count, alignment: 64)
        }
        return UnsafeMutableRawBufferPointer(rebasing: bytes[0..<count])
    }

    static func grow(_ buffer: inout UnsafeMutableBufferPointer<UInt32>, _ count: Int) {
        if buffer.count < count {
            buffer.deallocate()
            buffer = .allocate(capacity: count)
        }
    }

    func levels(_ count: Int) -> (UnsafeMutablePointer<UInt32>, UnsafeMutablePointer<UInt32>) {
        Self.grow(&repetition, count)
        Self.grow(&definition, count)
        return (repetition.baseAddress!, definition.baseAddress!)
    }

    /// Room for `count` dictionary indices.
    func indices(_ count: Int) -> UnsafeMutablePointer<UInt32> {
        Self.grow(&indices, max(count, 1))
        return indices.baseAddress!
    }
}

/// Parquet's value and level encodings by number.
enum ParquetEncoding {
    static let plain: Int32 = 0
    static let plainDictionary: Int32 = 2
    static let rle: Int32 = 3
    static let rleDictionary: Int32 = 8

    static func name(_ encoding: Int32) -> String {
        let names = [
            "PLAIN", "GROUP_VAR_INT", "PLAIN_DICTIONARY", "RLE", "BIT_PACKED", "DELTA_BINARY_PACKED",
            "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY", "RLE_DICTIONARY", "BYTE_STREAM_SPLIT",
        ]
        return names.indices.contains(Int(encoding)) ? names[Int(encoding)] : "encoding #\(encoding)"
    }

    /// Whether a data page in `encoding` holds dictionary indices.
    static func isDictionary(_ encoding: Int32) -> Bool {
        encoding == plainDictionary || encoding == rleDictionary
    }
}

/// Reads the pages of a column chunk in order.
enum ColumnChunkPages {
    /// Largest decompressed page accepted (pyarrow writes pages of about 1 MiB).
    static let maximumPageByteCount = 1 << 30
    /// Most level entries accepted in one page.
    static let maximumPageEntries = 1 << 24

    /// Walks `chunk` until `valueCount` level entries have been read. `dictionary` receives the
    /// value count and bytes of the dictionary page (at most one, before the data pages).
    static func walk(
        _ chunk: UnsafeRawBufferPointer, leaf: ParquetLeaf, codec: ParquetCodec, valueCount: Int,
        scratch: PageScratch, dictionary: (Int, UnsafeRawBufferPointer) throws -> Void,
        data: (DataPageContent) throws -> Void
    ) throws {
        var position = 0
        var entries = 0
        var pageIndex = 0
        var hasDictionary = false
        while entries < valueCount {
            guard position < chunk.count else {
                throw ParquetDataError("the column chunk ends after \(entries) of \(valueCount) values")
            }
            var reader = ThriftCompactReader(UnsafeRawBufferPointer(rebasing: chunk[position...]))
            let header: PageHeader
            do {
                header = try PageHeader(&reader)
            } catch let error as ParquetDataError {
                throw ParquetDataError("page \(pageIndex) header: \(error.description)")
            }
            position += reader.position
            let size = Int(header.compressedSize)
            guard size <= chunk.count - position else {
                throw ParquetDataError("page \(pageIndex) of \(size) bytes runs past the column chunk")
            }
            guard Int(header.uncompressedSize) <= maximumPageByteCount else {
                throw ParquetDataError(
                    "page \(pageIndex) claims \(header.uncompressedSize) bytes uncompressed")
            }
            let page = UnsafeRawBufferPointer(rebasing: chunk[position..<position + size])
            position += size
            do {
                switch PageType(rawValue: header.type) {
                case .dictionaryPage:
                    guard !hasDictionary, entries == 0 else {
                        throw ParquetDataError("a dictionary page after the first page")
                    }
                    hasDictionary = true
                    guard
                        header.encoding == ParquetEncoding.plain
                            || header.encoding == ParquetEncoding.plainDictionary
                    else {
                        throw ParquetDataError.unsupported(
                            "a dictionary page in \(ParquetEncoding.name(header.encoding))")
                    }
                    guard header.valueCount >= 0 else { throw ParquetDataError("negative dictionary size") }
                    let bytes = try decompress(page, Int(header.uncompressedSize), codec, scratch)
                    try dictionary(Int(header.valueCount), bytes)
                case .dataPage, .dataPageV2:
                    let content = try dataPage(header, page, leaf: leaf, codec: codec, scratch: scratch)
                    guard content.entryCount <= valueCount - entries else {
                        throw ParquetDataError(
                            "more values in pages than the column metadata's \(valueCount)")
                    }
                    try data(content)
                    entries += content.entryCount
                case .indexPage: break
                case nil: throw ParquetDataError("unknown page type \(header.type)")
                }
            } catch var error as ParquetDataError {
                error.description = "page \(pageIndex): " + error.description
                throw error
            }
            pageIndex += 1
        }
    }

    private static func decompress(
        _ page: UnsafeRawBufferPointer, _ size: Int, _ codec: ParquetCodec, _ scratch: PageScratch
    ) throws -> UnsafeRawBufferPointer {
        if codec == .uncompressed {
            guard page.count == size else {
                throw ParquetDataError("uncompressed page holds \(page.count) bytes, its header says \(size)")
            }
            return page
        }
        let out = scratch.bytes(size)
        try codec.decompress(page, into: out)
        return UnsafeRawBufferPointer(out)
    }

    private static func dataPage(
        _ header: PageHeader, _ page: UnsafeRawBufferPointer, leaf: ParquetLeaf, codec: ParquetCodec,
        scratch: PageScratch
    ) throws -> DataPageContent {
        let count = Int(header.valueCount)
        guard (0...maximumPageEntries).contains(count) else {
            throw ParquetDataError("data page with \(count) values")
        }
        let encoding = header.encoding
        guard encoding == ParquetEncoding.plain || ParquetEncoding.isDictionary(encoding) else {
            throw ParquetDataError.unsupported("values in \(ParquetEncoding.name(encoding)) encoding")
        }
        let (repetition, definition) = scratch.levels(count)
        let maxRepetition = leaf.maxRepetitionLevel
        let maxDefinition = leaf.maxDefinitionLevel
        var content = DataPageContent(
            entryCount: count, repetitionLevels: nil, definitionLevels: nil, encoding: encoding, values: page)
        if header.type == PageType.dataPage.rawValue {
            let bytes = try decompress(page, Int(header.uncompressedSize), codec, scratch)
            var rest = bytes
            content.repetitionLevels = try v1Levels(
                &rest, header.repetitionLevelEncoding, count, maxRepetition, repetition, "repetition")
            content.definitionLevels = try v1Levels(
                &rest, header.definitionLevelEncoding, count, maxDefinition, definition, "definition")
            content.values = rest
        } else {
            let repetitionBytes = Int(header.repetitionLevelsByteCount)
            let definitionBytes = Int(header.definitionLevelsByteCount)
            guard repetitionBytes >= 0, definitionBytes >= 0, repetitionBytes + definitionBytes <= page.count,
                repetitionBytes + definitionBytes <= Int(header.uncompressedSize)
            else {
                throw ParquetDataError("v2 level sections larger than the page")
            }
            if maxRepetition > 0 {
                let section = UnsafeRawBufferPointer(rebasing: page[0..<repetitionBytes])
                content.repetitionLevels = try levels(section, count, maxRepetition, repetition, "repetition")
            }
            if maxDefinition > 0 {
                let section = UnsafeRawBufferPointer(
                    rebasing: page[repetitionBytes..<repetitionBytes + definitionBytes])
                content.definitionLevels = try levels(section, count, maxDefinition, definition, "definition")
            }
            let values = UnsafeRawBufferPointer(rebasing: page[(repetitionBytes + definitionBytes)...])
            let valuesSize = Int(header.uncompressedSize) - repetitionBytes - definitionBytes
            content.values =
                header.isCompressed ? try decompress(values, valuesSize, codec, scratch) : values
        }
        return content
    }

    /// A v1 level section (absent when `maximum` is 0), taken off the front of `rest`.
    private static func v1Levels(
        _ rest: inout UnsafeRawBufferPointer, _ encoding: Int32, _ count: Int, _ maximum: Int,
        _ output: UnsafeMutablePointer<UInt32>, _ what: String
    ) throws -> UnsafeBufferPointer<UInt32>? {
        guard maximum > 0 else { return nil }
        guard encoding == ParquetEncoding.rle else {
            throw ParquetDataError.unsupported("\(what) levels in \(ParquetEncoding.name(encoding))")
        }
        let section = try lengthPrefixed(&rest, "\(what) levels")
        return try levels(section, count, maximum, output, what)
    }

    /// A v1 level section: 4-byte little-endian length, then the hybrid-encoded levels.
    private static func lengthPrefixed(_ rest: inout UnsafeRawBufferPointer, _ what: String) throws
        -> UnsafeRawBufferPointer
    {
        guard rest.count >= 4 else { throw ParquetDataError("\(what) length missing") }
        let length = Int(rest.loadUnaligned(as: UInt32.self).littleEndian)
        guard length <= rest.count - 4 else {
            throw ParquetDataError("\(what) of \(length) bytes run past the page")
        }
        let section = UnsafeRawBufferPointer(rebasing: rest[4..<4 + length])
        rest = UnsafeRawBufferPointer(rebasing: rest[(4 + length)...])
        return section
    }

    private static func levels(
        _ section: UnsafeRawBufferPointer, _ count: Int, _ maximum: Int,
        _ output: UnsafeMutablePointer<UInt32>, _ what: String
    ) throws -> UnsafeBufferPointer<UInt32> {
        var decoder = try HybridDecoder(section, bitWidth: bitWidth(forMaximum: maximum))
        try decoder.decode(into: output, count: count)
        let levels = UnsafeBufferPointer(start: output, count: count)
        var largest: UInt32 = 0
        for level in levels { largest = max(largest, level) }
        guard largest <= UInt32(maximum) else {
            throw ParquetDataError("\(what) level \(largest) above the column's maximum \(maximum)")
        }
        return levels
    }

    /// Decodes `count` dictionary indices (bit width byte, then hybrid runs), each checked
    /// against `dictionaryCount`.
    static func dictionaryIndices(
        _ values: UnsafeRawBufferPointer, count: Int, dictionaryCount: Int, scratch: PageScratch
    ) throws -> UnsafeBufferPointer<UInt32> {
        let output = scratch.indices(count)
        guard count > 0 else { return UnsafeBufferPointer(start: output, count: 0) }
        guard dictionaryCount > 0 else {
            throw ParquetDataError("dictionary indices without a dictionary page")
        }
        guard let width = values.first else { throw ParquetDataError("dictionary indices missing") }
        var decoder = try HybridDecoder(
            UnsafeRawBufferPointer(rebasing: values[1...]), bitWidth: Int(width))
        try decoder.decode(into: output, count: count)
        let indices = UnsafeBufferPointer(start: output, count: count)
        var largest: UInt32 = 0
        for index in indices { largest = max(largest, index) }
        guard Int(largest) < dictionaryCount else {
            throw ParquetDataError("dictionary index \(largest) outside a dictionary of \(dictionaryCount)")
        }
        return indices
    }
}

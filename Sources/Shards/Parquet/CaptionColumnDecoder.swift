// Decodes a caption column chunk (BYTE_ARRAY strings, PLAIN or dictionary-encoded, optional or
// required) into one row group's captions: bytes back to back, plus where each row ends.

/// The captions of one row group.
struct CaptionColumn {
    /// All non-null captions' bytes back to back.
    var bytes: [UInt8] = []
    /// `ends[r]` is where row r's bytes end (row r starts at `ends[r - 1]`, or 0).
    var ends: [Int] = []
    /// Rows whose caption is null.
    var nullRows: Set<Int> = []

    /// Row `row`'s caption bytes (empty for a null caption).
    func bytes(ofRow row: Int) -> ArraySlice<UInt8> {
        bytes[(row == 0 ? 0 : ends[row - 1])..<ends[row]]
    }
}

/// PLAIN BYTE_ARRAY values: a 4-byte little-endian length, then the bytes, `count` times.
func forEachPlainByteArray(
    _ values: UnsafeRawBufferPointer, count: Int, _ body: (UnsafeRawBufferPointer) -> Void
) throws {
    var position = 0
    for index in 0..<count {
        guard values.count - position >= 4 else {
            throw ParquetDataError("byte array \(index) of \(count): length runs past the page")
        }
        let length = Int(values.loadUnaligned(fromByteOffset: position, as: UInt32.self).littleEndian)
        position += 4
        guard length <= values.count - position else {
            throw ParquetDataError("byte array \(index) of \(length) bytes runs past the page")
        }
        body(UnsafeRawBufferPointer(rebasing: values[position..<position + length]))
        position += length
    }
}

extension CaptionColumn {
    /// Decodes a whole caption column chunk of `rowCount` rows.
    static func decode(
        _ chunk: UnsafeRawBufferPointer, leaf: ParquetLeaf, codec: ParquetCodec, valueCount: Int,
        rowCount: Int, scratch: PageScratch
    ) throws -> CaptionColumn {
        var column = CaptionColumn()
        column.ends.reserveCapacity(rowCount)
        var dictionaryBytes: [UInt8] = []
        var dictionaryEnds: [Int] = []
        let maxDefinition = UInt32(leaf.maxDefinitionLevel)
        try ColumnChunkPages.walk(
            chunk, leaf: leaf, codec: codec, valueCount: valueCount, scratch: scratch,
            dictionary: { count, bytes in
                guard count <= bytes.count / 4 else {
                    throw ParquetDataError("dictionary of \(count) strings in \(bytes.count) bytes")
                }
                dictionaryEnds.reserveCapacity(count)
                try forEachPlainByteArray(bytes, count: count) { value in
                    dictionaryBytes.append(contentsOf: value)
                    dictionaryEnds.append(dictionaryBytes.count)
                }
            },
            data: { page in
                var present = page.entryCount
                if let definition = page.definitionLevels {
                    present = definition.reduce(0) { $0 + ($1 == maxDefinition ? 1 : 0) }
                }
                var valueIndex = 0
                func appendRow(_ isNull: Bool) {
                    if isNull { column.nullRows.insert(column.ends.count) }
                    column.ends.append(column.bytes.count)
                }
                if ParquetEncoding.isDictionary(page.encoding) {
                    let indices = try ColumnChunkPages.dictionaryIndices(
                        page.values, count: present, dictionaryCount: dictionaryEnds.count, scratch: scratch)
                    try dictionaryBytes.withUnsafeBufferPointer { dictionary in
                        for entry in 0..<page.entryCount {
                            if let definition = page.definitionLevels, definition[entry] != maxDefinition {
                                appendRow(true)
                                continue
                            }
                            let index = Int(indices[valueIndex])
                            valueIndex += 1
                            let start = index == 0 ? 0 : dictionaryEnds[index - 1]
                            column.bytes.append(contentsOf: dictionary[start..<dictionaryEnds[index]])
                            appendRow(false)
                        }
                        if column.ends.count > rowCount {
                            throw ParquetDataError(
                                "more caption values than the row group's \(rowCount) rows")
                        }
                    }
                } else {
                    guard present <= page.values.count / 4 else {
                        throw ParquetDataError("\(present) strings cannot fit in \(page.values.count) bytes")
                    }
                    var strings: [UnsafeRawBufferPointer] = []
                    strings.reserveCapacity(present)
                    try forEachPlainByteArray(page.values, count: present) { strings.append($0) }
                    for entry in 0..<page.entryCount {
                        if let definition = page.definitionLevels, definition[entry] != maxDefinition {
                            appendRow(true)
                            continue
                        }
                        column.bytes.append(contentsOf: strings[valueIndex])
                        valueIndex += 1
                        appendRow(false)
                    }
                }
            })
        guard column.ends.count == rowCount else {
            throw ParquetDataError(
                "the caption column holds \(column.ends.count) rows, the row group \(rowCount)")
        }
        return column
    }
}

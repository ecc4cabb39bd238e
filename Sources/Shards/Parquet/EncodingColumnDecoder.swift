// Decodes an encoding column chunk (a list of INT32/INT64 codes per row, PLAIN or
// dictionary-encoded) into one row group's codes, with the first problem of each bad row.

/// The image codes of one row group.
struct EncodingColumn {
    /// All rows' codes back to back (a bad value is stored as 0; its row has a problem).
    var codes: [UInt16] = []
    /// `ends[r]` is where row r's codes end (row r starts at `ends[r - 1]`, or 0).
    var ends: [Int] = []
    /// The first problem of each bad row, by row within the group.
    var problems: [Int: String] = [:]

    /// Row `row`'s codes.
    func codes(ofRow row: Int) -> ArraySlice<UInt16> {
        codes[(row == 0 ? 0 : ends[row - 1])..<ends[row]]
    }
}

extension EncodingColumn {
    /// Decodes a whole encoding column chunk of `rowCount` rows; codes must be in `[0, imageVocabSize)`.
    static func decode(
        _ chunk: UnsafeRawBufferPointer, columns: ParquetColumns, codec: ParquetCodec, valueCount: Int,
        rowCount: Int, imageVocabSize: Int, scratch: PageScratch, columnName: String
    ) throws -> EncodingColumn {
        let leaf = columns.encoding
        let type = columns.integerType
        let width = type.is64Bit ? 8 : 4
        let maxDefinition = UInt32(leaf.maxDefinitionLevel)
        let repeatedDefinition = UInt32(columns.repeatedDefinitionLevel)
        var column = EncodingColumn()
        column.ends.reserveCapacity(rowCount)
        // A dictionary entry's code, or -1 with the raw value kept for the message.
        var dictionaryCodes: [Int32] = []
        var dictionaryValues: [Int64] = []
        var rowStart = 0
        var hasRow = false

        func raw(_ values: UnsafeRawBufferPointer, _ index: Int) -> Int64 {
            if type.is64Bit {
                return Int64(littleEndian: values.loadUnaligned(fromByteOffset: index * 8, as: Int64.self))
            }
            let value = Int32(littleEndian: values.loadUnaligned(fromByteOffset: index * 4, as: Int32.self))
            return type.isUnsigned ? Int64(UInt32(bitPattern: value)) : Int64(value)
        }
        func code(_ value: Int64) -> Int32 {
            value >= 0 && value < Int64(imageVocabSize) && !(type.isUnsigned && value < 0) ? Int32(value) : -1
        }
        func text(_ value: Int64) -> String {
            type.isUnsigned && value < 0 ? String(UInt64(bitPattern: value)) : String(value)
        }
        func problem(_ reason: String) {
            let row = column.ends.count
            if column.problems[row] == nil { column.problems[row] = reason }
        }
        func endRow() {
            column.ends.append(column.codes.count)
        }

        try ColumnChunkPages.walk(
            chunk, leaf: leaf, codec: codec, valueCount: valueCount, scratch: scratch,
            dictionary: { count, bytes in
                guard count <= bytes.count / width else {
                    throw ParquetDataError("dictionary of \(count) integers in \(bytes.count) bytes")
                }
                dictionaryValues = (0..<count).map { raw(bytes, $0) }
                dictionaryCodes = dictionaryValues.map(code)
            },
            data: { page in
                guard let definition = page.definitionLevels, let repetition = page.repetitionLevels else {
                    throw ParquetDataError("a list column page without levels")
                }
                let present = definition.reduce(0) { $0 + ($1 == maxDefinition ? 1 : 0) }
                let isDictionary = ParquetEncoding.isDictionary(page.encoding)
                var indices = UnsafeBufferPointer<UInt32>(start: nil, count: 0)
                if isDictionary {
                    indices = try ColumnChunkPages.dictionaryIndices(
                        page.values, count: present, dictionaryCount: dictionaryCodes.count, scratch: scratch)
                } else {
                    guard present <= page.values.count / width else {
                        throw ParquetDataError("\(present) integers cannot fit in \(page.values.count) bytes")
                    }
                }
                var valueIndex = 0
                column.codes.reserveCapacity(column.codes.count + present)
                for entry in 0..<page.entryCount {
                    if repetition[entry] == 0 {
                        if hasRow { endRow() }
                        hasRow = true
                        rowStart = column.codes.count
                        guard column.ends.count < rowCount else {
                            throw ParquetDataError(
                                "more rows in the encoding column than the row group's \(rowCount)")
                        }
                    } else if !hasRow {
                        throw ParquetDataError("the first value continues a row (repetition level 1)")
                    }
                    let level = definition[entry]
                    if level == maxDefinition {
                        let value: Int32
                        let rawValue: Int64
                        if isDictionary {
                            let index = Int(indices[valueIndex])
                            value = dictionaryCodes[index]
                            rawValue = value >= 0 ? Int64(value) : dictionaryValues[index]
                        } else {
                            rawValue = raw(page.values, valueIndex)
                            value = code(rawValue)
                        }
                        valueIndex += 1
                        if value < 0 {
                            problem(
                                Importer.RecordFailure.codeOutOfRange(
                                    position: column.codes.count - rowStart, text: text(rawValue),
                                    imageVocabSize: imageVocabSize
                                ).reason)
                        }
                        column.codes.append(UInt16(truncatingIfNeeded: max(value, 0)))
                    } else if level >= repeatedDefinition {
                        problem("code \(column.codes.count - rowStart) of '\(columnName)' is null")
                        column.codes.append(0)
                    } else if level + 1 < repeatedDefinition {
                        problem("'\(columnName)' is null")
                    }  // level == repeatedDefinition - 1: an empty list
                }
            })
        if hasRow { endRow() }
        guard column.ends.count == rowCount else {
            throw ParquetDataError(
                "the encoding column holds \(column.ends.count) rows, the row group \(rowCount)")
        }
        return column
    }
}

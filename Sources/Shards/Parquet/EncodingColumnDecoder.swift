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
        var assembler = EncodingAssembler(
            columns: columns, rowCount: rowCount, imageVocabSize: imageVocabSize, columnName: columnName)
        assembler.column.ends.reserveCapacity(rowCount)
        // The metadata's count, within reason (it is untrusted).
        assembler.column.codes.reserveCapacity(min(valueCount, 1 << 26))
        try ColumnChunkPages.walk(
            chunk, leaf: columns.encoding, codec: codec, valueCount: valueCount, scratch: scratch,
            dictionary: { try assembler.dictionary(count: $0, bytes: $1) },
            data: { try assembler.page($0, scratch: scratch) })
        return try assembler.finish()
    }
}

/// Builds an `EncodingColumn` page by page (a struct with mutating methods, so that the hot
/// loop runs without dynamic exclusivity checks). Rows may continue from one page to the next.
struct EncodingAssembler {
    var column = EncodingColumn()
    let type: IntegerLeafType
    let width: Int
    let maxDefinition: UInt32
    /// Definition level at which the list has an entry; one less is an empty list.
    let repeatedDefinition: UInt32
    let rowCount: Int
    let imageVocabSize: Int
    let columnName: String
    /// A dictionary entry's code, or -1 with the raw value kept for the message.
    var dictionaryCodes: [Int32] = []
    var dictionaryValues: [Int64] = []
    var rowStart = 0
    var hasRow = false

    init(columns: ParquetColumns, rowCount: Int, imageVocabSize: Int, columnName: String) {
        type = columns.integerType
        width = type.is64Bit ? 8 : 4
        maxDefinition = UInt32(columns.encoding.maxDefinitionLevel)
        repeatedDefinition = UInt32(columns.repeatedDefinitionLevel)
        self.rowCount = rowCount
        self.imageVocabSize = imageVocabSize
        self.columnName = columnName
    }

    func raw(_ values: UnsafeRawBufferPointer, _ index: Int) -> Int64 {
        if type.is64Bit {
            return Int64(littleEndian: values.loadUnaligned(fromByteOffset: index * 8, as: Int64.self))
        }
        let value = Int32(littleEndian: values.loadUnaligned(fromByteOffset: index * 4, as: Int32.self))
        return type.isUnsigned ? Int64(UInt32(bitPattern: value)) : Int64(value)
    }

    /// The code of a raw value, or -1 when it is out of range (an unsigned 64-bit value above
    /// Int64.max reads as negative, hence out of range too).
    func code(_ value: Int64) -> Int32 {
        value >= 0 && value < Int64(imageVocabSize) ? Int32(value) : -1
    }

    func text(_ value: Int64) -> String {
        type.isUnsigned && value < 0 ? String(UInt64(bitPattern: value)) : String(value)
    }

    /// Records the current row's first problem.
    mutating func problem(_ reason: String) {
        let row = column.ends.count
        if column.problems[row] == nil { column.problems[row] = reason }
    }

    mutating func dictionary(count: Int, bytes: UnsafeRawBufferPointer) throws {
        guard count <= bytes.count / width else {
            throw ParquetDataError("dictionary of \(count) integers in \(bytes.count) bytes")
        }
        dictionaryValues = (0..<count).map { raw(bytes, $0) }
        dictionaryCodes = dictionaryValues.map(code)
    }

    mutating func page(_ page: DataPageContent, scratch: PageScratch) throws {
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
        for entry in 0..<page.entryCount {
            if repetition[entry] == 0 {
                if hasRow { column.ends.append(column.codes.count) }
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
                var value: Int32
                if isDictionary {
                    value = dictionaryCodes[Int(indices[valueIndex])]
                } else {
                    value = code(raw(page.values, valueIndex))
                }
                if value < 0 {
                    let rawValue =
                        isDictionary
                        ? dictionaryValues[Int(indices[valueIndex])] : raw(page.values, valueIndex)
                    problem(
                        Importer.RecordFailure.codeOutOfRange(
                            position: column.codes.count - rowStart, text: text(rawValue),
                            imageVocabSize: imageVocabSize
                        ).reason)
                    value = 0
                }
                valueIndex += 1
                column.codes.append(UInt16(truncatingIfNeeded: value))
            } else if level >= repeatedDefinition {
                problem("code \(column.codes.count - rowStart) of '\(columnName)' is null")
                column.codes.append(0)
            } else if level + 1 < repeatedDefinition {
                problem("'\(columnName)' is null")
            }  // level == repeatedDefinition - 1: an empty list
        }
    }

    mutating func finish() throws -> EncodingColumn {
        if hasRow { column.ends.append(column.codes.count) }
        guard column.ends.count == rowCount else {
            throw ParquetDataError(
                "the encoding column holds \(column.ends.count) rows, the row group \(rowCount)")
        }
        return column
    }
}

// Parquet's Thrift `PageHeader` with its data page (v1, v2) and dictionary page headers.

/// Page types of the Parquet format.
enum PageType: Int32 {
    case dataPage = 0, indexPage = 1, dictionaryPage = 2, dataPageV2 = 3
}

/// One page header; only the fields the importer uses.
struct PageHeader {
    var type: Int32 = -1
    var uncompressedSize: Int32 = -1
    var compressedSize: Int32 = -1
    /// Entries (levels) in a data page, values in a dictionary page.
    var valueCount: Int32 = -1
    /// The value encoding of a data or dictionary page.
    var encoding: Int32 = -1
    var definitionLevelEncoding: Int32 = 3
    var repetitionLevelEncoding: Int32 = 3
    /// Rows in a v2 data page.
    var rowCount: Int32 = -1
    /// v2: byte lengths of the uncompressed level sections, and whether the values are compressed.
    var definitionLevelsByteCount: Int32 = 0
    var repetitionLevelsByteCount: Int32 = 0
    var isCompressed = true

    /// Decodes a compact-protocol `PageHeader`.
    init(_ reader: inout ThriftCompactReader) throws {
        try reader.readStruct { id, type, reader in
            switch (id, type) {
            case (1, .i32): self.type = try reader.int32()
            case (2, .i32): uncompressedSize = try reader.int32()
            case (3, .i32): compressedSize = try reader.int32()
            case (5, .structure): try readDataPageHeader(&reader)
            case (7, .structure): try readDictionaryPageHeader(&reader)
            case (8, .structure): try readDataPageHeaderV2(&reader)
            default: try reader.skip(type)
            }
        }
        guard uncompressedSize >= 0, compressedSize >= 0 else {
            throw ParquetDataError("page header without valid sizes")
        }
    }

    private mutating func readDataPageHeader(_ reader: inout ThriftCompactReader) throws {
        try reader.readStruct { id, type, reader in
            switch (id, type) {
            case (1, .i32): valueCount = try reader.int32()
            case (2, .i32): encoding = try reader.int32()
            case (3, .i32): definitionLevelEncoding = try reader.int32()
            case (4, .i32): repetitionLevelEncoding = try reader.int32()
            default: try reader.skip(type)
            }
        }
    }

    private mutating func readDictionaryPageHeader(_ reader: inout ThriftCompactReader) throws {
        try reader.readStruct { id, type, reader in
            switch (id, type) {
            case (1, .i32): valueCount = try reader.int32()
            case (2, .i32): encoding = try reader.int32()
            default: try reader.skip(type)
            }
        }
    }

    private mutating func readDataPageHeaderV2(_ reader: inout ThriftCompactReader) throws {
        try reader.readStruct { id, type, reader in
            switch (id, type) {
            case (1, .i32): valueCount = try reader.int32()
            case (3, .i32): rowCount = try reader.int32()
            case (4, .i32): encoding = try reader.int32()
            case (5, .i32): definitionLevelsByteCount = try reader.int32()
            case (6, .i32): repetitionLevelsByteCount = try reader.int32()
            case (7, .booleanTrue), (7, .booleanFalse): isCompressed = try reader.boolean(type)
            default: try reader.skip(type)
            }
        }
    }
}

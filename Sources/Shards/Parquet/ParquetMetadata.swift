// The parts of Parquet's Thrift `FileMetaData` the importer needs: schema elements, row groups
// and column chunk metadata. Unknown and unneeded fields are skipped.

/// One node of the flattened Parquet schema (depth-first, children follow their parent).
struct SchemaElement {
    /// Physical type (`Type` enum) of a leaf; nil for a group.
    var type: Int32?
    var typeLength: Int32?
    /// 0 REQUIRED, 1 OPTIONAL, 2 REPEATED; nil only for the root.
    var repetition: Int32?
    var name = ""
    var childCount: Int32?
    var convertedType: Int32?
    /// The `LogicalType` union's field id (1 STRING, 3 LIST, 10 INTEGER, ...), if present.
    var logicalType: Int16?
    /// For `INTEGER` logical types: bit width and signedness.
    var integerBitWidth: Int8?
    var integerIsSigned: Bool?

    /// An element with the given fields (the rest absent), as the footer decoder fills them in.
    init(
        type: Int32? = nil, repetition: Int32? = nil, name: String, childCount: Int32? = nil,
        convertedType: Int32? = nil
    ) {
        self.type = type
        self.repetition = repetition
        self.name = name
        self.childCount = childCount
        self.convertedType = convertedType
    }
}

/// Metadata of one column chunk (`ColumnChunk` and its `ColumnMetaData`).
struct ColumnChunkMetadata {
    /// Set when the chunk lives in another file (not supported).
    var filePath: String?
    var type: Int32 = -1
    var path: [String] = []
    var codec: Int32 = 0
    var valueCount: Int64 = 0
    var totalCompressedSize: Int64 = 0
    var dataPageOffset: Int64 = -1
    var dictionaryPageOffset: Int64?
    var hasMetadata = false
}

/// One row group: its row count and one chunk per leaf column, in schema leaf order.
struct RowGroupMetadata {
    var rowCount: Int64 = 0
    var columns: [ColumnChunkMetadata] = []
}

/// A file's footer metadata.
struct FileMetadata {
    var schema: [SchemaElement] = []
    var rowCount: Int64 = 0
    var rowGroups: [RowGroupMetadata] = []
    var createdBy: String?
    /// The `encryption_algorithm` field is present (an encrypted footer cannot be read anyway).
    var isEncrypted = false

    /// Decodes a compact-protocol `FileMetaData`.
    init(_ reader: inout ThriftCompactReader) throws {
        try reader.readStruct { id, type, reader in
            switch (id, type) {
            case (2, .list):
                try reader.readList { _, reader in schema.append(try SchemaElement(&reader)) }
            case (3, .i64): rowCount = try reader.integer()
            case (4, .list):
                try reader.readList { _, reader in rowGroups.append(try RowGroupMetadata(&reader)) }
            case (6, .binary): createdBy = try reader.string()
            case (8, .structure):
                isEncrypted = true
                try reader.skip(type)
            default: try reader.skip(type)
            }
        }
    }
}

extension SchemaElement {
    init(_ reader: inout ThriftCompactReader) throws {
        try reader.readStruct { id, type, reader in
            switch (id, type) {
            case (1, .i32): self.type = try reader.int32()
            case (2, .i32): typeLength = try reader.int32()
            case (3, .i32): repetition = try reader.int32()
            case (4, .binary): name = try reader.string()
            case (5, .i32): childCount = try reader.int32()
            case (6, .i32): convertedType = try reader.int32()
            case (10, .structure): try readLogicalType(&reader)
            default: try reader.skip(type)
            }
        }
    }

    /// The `LogicalType` union: one field set; INTEGER carries its bit width and signedness.
    private mutating func readLogicalType(_ reader: inout ThriftCompactReader) throws {
        try reader.readStruct { id, type, reader in
            logicalType = id
            guard id == 10, type == .structure else { return try reader.skip(type) }
            try reader.readStruct { field, fieldType, reader in
                switch (field, fieldType) {
                case (1, .byte): integerBitWidth = Int8(truncatingIfNeeded: try reader.byte())
                case (2, .booleanTrue), (2, .booleanFalse): integerIsSigned = try reader.boolean(fieldType)
                default: try reader.skip(fieldType)
                }
            }
        }
    }
}

extension RowGroupMetadata {
    init(_ reader: inout ThriftCompactReader) throws {
        try reader.readStruct { id, type, reader in
            switch (id, type) {
            case (1, .list):
                try reader.readList { _, reader in columns.append(try ColumnChunkMetadata(&reader)) }
            case (3, .i64): rowCount = try reader.integer()
            default: try reader.skip(type)
            }
        }
    }
}

extension ColumnChunkMetadata {
    init(_ reader: inout ThriftCompactReader) throws {
        try reader.readStruct { id, type, reader in
            switch (id, type) {
            case (1, .binary): filePath = try reader.string()
            case (3, .structure):
                hasMetadata = true
                try readColumnMetadata(&reader)
            default: try reader.skip(type)
            }
        }
    }

    private mutating func readColumnMetadata(_ reader: inout ThriftCompactReader) throws {
        try reader.readStruct { id, type, reader in
            switch (id, type) {
            case (1, .i32): self.type = try reader.int32()
            case (3, .list):
                try reader.readList { elementType, reader in
                    guard elementType == .binary else {
                        throw ParquetDataError("path_in_schema is not strings")
                    }
                    path.append(try reader.string())
                }
            case (4, .i32): codec = try reader.int32()
            case (5, .i64): valueCount = try reader.integer()
            case (7, .i64): totalCompressedSize = try reader.integer()
            case (9, .i64): dataPageOffset = try reader.integer()
            case (11, .i64): dictionaryPageOffset = try reader.integer()
            default: try reader.skip(type)
            }
        }
    }
}

// A reader of Apache Thrift's compact protocol, as Parquet footers and page headers use it:
// varints, zigzag integers, field headers, binaries, lists, and skipping of any unknown value.

/// A failure inside Parquet data (corrupt bytes, impossible sizes) or a feature this reader does
/// not implement; the caller adds file, row group and column.
struct ParquetDataError: Error, CustomStringConvertible {
    var description: String
    /// Set when the data is valid Parquet that uses something not implemented here.
    var isUnsupported = false

    init(_ description: String) { self.description = description }

    /// A feature this reader does not implement (never a guess at its meaning).
    static func unsupported(_ feature: String) -> ParquetDataError {
        var error = ParquetDataError(feature)
        error.isUnsupported = true
        return error
    }
}

/// Compact-protocol value types (the low nibble of a field header or list header).
enum ThriftType: UInt8 {
    case stop = 0, booleanTrue = 1, booleanFalse = 2, byte = 3, i16 = 4, i32 = 5, i64 = 6, double = 7
    case binary = 8, list = 9, set = 10, map = 11, structure = 12
}

/// Reads compact-protocol values from a byte buffer; every read is bounds-checked.
struct ThriftCompactReader {
    let bytes: UnsafeRawBufferPointer
    /// Offset of the next unread byte.
    private(set) var position = 0
    /// Nesting depth of `skip`, limited so that hostile input cannot exhaust the stack.
    private var depth = 0
    private static let maximumDepth = 64

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw ParquetDataError("Thrift data ends early") }
        defer { position += 1 }
        return bytes[position]
    }

    /// An unsigned LEB128 varint of at most 64 bits.
    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            guard shift < 64 else { throw ParquetDataError("Thrift varint longer than 64 bits") }
            result |= UInt64(next & 0x7F) << shift
            if next & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// A zigzag-encoded signed integer (i16, i32 and i64 all use it).
    mutating func integer() throws -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// A zigzag integer that must fit in an Int32.
    mutating func int32() throws -> Int32 {
        let value = try integer()
        guard let result = Int32(exactly: value) else {
            throw ParquetDataError("Thrift i32 value \(value) out of range")
        }
        return result
    }

    /// A length-prefixed byte string, as a slice of the buffer.
    mutating func binary() throws -> UnsafeRawBufferPointer {
        let length = try varint()
        guard length <= UInt64(bytes.count - position) else {
            throw ParquetDataError("Thrift binary of \(length) bytes runs past the end of its buffer")
        }
        let start = position
        position += Int(length)
        return UnsafeRawBufferPointer(rebasing: bytes[start..<position])
    }

    /// A binary read as UTF-8 text (invalid sequences replaced).
    mutating func string() throws -> String {
        String(decoding: try binary(), as: UTF8.self)
    }

    /// The next field header: its id and type, or nil at the struct's STOP byte.
    /// `lastID` is the previous field's id in this struct (0 at the start).
    mutating func fieldHeader(lastID: inout Int16) throws -> (id: Int16, type: ThriftType)? {
        let header = try byte()
        guard header != 0 else { return nil }
        guard let type = ThriftType(rawValue: header & 0x0F) else {
            throw ParquetDataError("Thrift field type \(header & 0x0F) is not a compact-protocol type")
        }
        let delta = Int16(header >> 4)
        if delta == 0 {
            let id = try integer()
            guard let narrow = Int16(exactly: id) else { throw ParquetDataError("Thrift field id \(id)") }
            lastID = narrow
        } else {
            lastID = lastID &+ delta
        }
        return (lastID, type)
    }

    /// A list (or set) header: element count (checked against the remaining bytes) and type.
    mutating func listHeader() throws -> (count: Int, type: ThriftType) {
        let header = try byte()
        var count = UInt64(header >> 4)
        if count == 15 { count = try varint() }
        guard let type = ThriftType(rawValue: header & 0x0F) else {
            throw ParquetDataError("Thrift list element type \(header & 0x0F) is not a compact-protocol type")
        }
        // Every element takes at least one byte, except booleans, which take exactly one in lists.
        guard count <= UInt64(bytes.count - position) else {
            throw ParquetDataError("Thrift list of \(count) elements cannot fit in the remaining bytes")
        }
        return (Int(count), type)
    }

    /// A boolean field's value (compact protocol stores it in the field header's type).
    func boolean(_ type: ThriftType) throws -> Bool {
        switch type {
        case .booleanTrue: return true
        case .booleanFalse: return false
        default: throw ParquetDataError("Thrift field expected to be a boolean has type \(type)")
        }
    }

    /// Skips one value of `type` (for a field: the header already read).
    mutating func skip(_ type: ThriftType, inList: Bool = false) throws {
        switch type {
        case .stop: throw ParquetDataError("Thrift STOP where a value was expected")
        case .booleanTrue, .booleanFalse: if inList { _ = try byte() }
        case .byte: _ = try byte()
        case .i16, .i32, .i64: _ = try varint()
        case .double:
            guard bytes.count - position >= 8 else { throw ParquetDataError("Thrift data ends early") }
            position += 8
        case .binary: _ = try binary()
        case .list, .set:
            let (count, elementType) = try listHeader()
            try nested { reader in
                for _ in 0..<count { try reader.skip(elementType, inList: true) }
            }
        case .map:
            let count = try varint()
            guard count <= UInt64(bytes.count - position) else {
                throw ParquetDataError("Thrift map of \(count) entries cannot fit in the remaining bytes")
            }
            guard count > 0 else { return }
            let types = try byte()
            guard let key = ThriftType(rawValue: types >> 4), let value = ThriftType(rawValue: types & 0x0F)
            else { throw ParquetDataError("Thrift map types \(types) are not compact-protocol types") }
            try nested { reader in
                for _ in 0..<count {
                    try reader.skip(key, inList: true)
                    try reader.skip(value, inList: true)
                }
            }
        case .structure:
            try nested { reader in try reader.readStruct { _, type, reader in try reader.skip(type) } }
        }
    }

    /// Reads a struct's fields up to its STOP, handing each (id, type) to `field`, which must
    /// consume the value (calling `skip` for fields it does not know).
    mutating func readStruct(_ field: (Int16, ThriftType, inout ThriftCompactReader) throws -> Void) throws {
        var lastID: Int16 = 0
        try nested { reader in
            while let (id, type) = try reader.fieldHeader(lastID: &lastID) {
                try field(id, type, &reader)
            }
        }
    }

    /// Reads a list of structs (or any element type), handing each element to `element`.
    mutating func readList(_ element: (ThriftType, inout ThriftCompactReader) throws -> Void) throws {
        let (count, type) = try listHeader()
        for _ in 0..<count { try element(type, &self) }
    }

    private mutating func nested(_ body: (inout ThriftCompactReader) throws -> Void) throws {
        guard depth < Self.maximumDepth else { throw ParquetDataError("Thrift values nested too deeply") }
        depth += 1
        defer { depth -= 1 }
        try body(&self)
    }
}

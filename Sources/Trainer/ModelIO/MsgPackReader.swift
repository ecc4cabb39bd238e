// A bounds-checked msgpack reader over bytes in memory: one value header at a time, every
// length checked against the bytes left before it is used. Payloads are returned as byte
// ranges, never copied. Generic: nothing here knows about models.

/// One msgpack value as read by `MsgPackReader.next()`. Containers give their element count
/// (the elements follow); strings, binaries and extensions give the byte range of their payload.
public enum MsgPackValue: Equatable, Sendable {
    case `nil`
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case float(Double)
    case string(Range<Int>)
    case binary(Range<Int>)
    case array(count: Int)
    case map(count: Int)
    case ext(type: Int8, payload: Range<Int>)

    /// The msgpack family name, for error messages.
    public var kind: String {
        switch self {
        case .nil: return "nil"
        case .bool: return "bool"
        case .int, .uint: return "integer"
        case .float: return "float"
        case .string: return "str"
        case .binary: return "bin"
        case .array: return "array"
        case .map: return "map"
        case .ext(let type, _): return "ext type \(type)"
        }
    }
}

/// Reads msgpack values from `bytes[range]`; throws `ModelIOError` (naming `path` and the byte
/// offset) on truncation, reserved bytes, or counts that cannot fit in the bytes left.
public struct MsgPackReader {
    /// The bytes read from (typically a mapped file).
    public let bytes: UnsafeRawBufferPointer
    /// The file name used in errors.
    public let path: String
    /// Offset of the next byte to read.
    public private(set) var position: Int
    /// One past the last byte this reader may read.
    public let end: Int

    /// A reader over `bytes[range]` (the whole buffer by default).
    public init(bytes: UnsafeRawBufferPointer, path: String, range: Range<Int>? = nil) {
        self.bytes = bytes
        self.path = path
        position = range?.lowerBound ?? 0
        end = range?.upperBound ?? bytes.count
    }

    /// True when every byte of the range has been read.
    public var isAtEnd: Bool { position >= end }

    /// An error at the current position.
    public func error(_ reason: String) -> ModelIOError {
        ModelIOError(file: path, location: "byte \(position)", reason)
    }

    private mutating func byte() throws -> UInt8 {
        guard position < end else { throw error("truncated: the file ends inside a msgpack value") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func bigEndian(_ byteCount: Int) throws -> UInt64 {
        guard end - position >= byteCount else {
            throw error("truncated: the file ends inside a msgpack value")
        }
        var value: UInt64 = 0
        for i in 0..<byteCount { value = value << 8 | UInt64(bytes[position + i]) }
        position += byteCount
        return value
    }

    /// Skips `length` payload bytes, returning their range; `length` is checked against the bytes left.
    private mutating func payload(_ length: UInt64) throws -> Range<Int> {
        guard length <= UInt64(end - position) else {
            throw error("a length of \(length) bytes runs past the end of the file (\(end - position) left)")
        }
        let start = position
        position += Int(length)
        return start..<position
    }

    /// A container count: each element takes at least one byte (`perElement` for maps: 2).
    private func count(_ value: UInt64, perElement: UInt64) throws -> Int {
        let (needed, overflow) = value.multipliedReportingOverflow(by: perElement)
        guard !overflow, needed <= UInt64(end - position) else {
            throw error("a count of \(value) elements cannot fit in the \(end - position) bytes left")
        }
        return Int(value)
    }

    /// Reads one value header (and skips the payload of str, bin and ext values).
    public mutating func next() throws -> MsgPackValue {
        let marker = try byte()
        switch marker {
        case 0x00...0x7f: return .uint(UInt64(marker))
        case 0x80...0x8f: return .map(count: try count(UInt64(marker & 0x0f), perElement: 2))
        case 0x90...0x9f: return .array(count: try count(UInt64(marker & 0x0f), perElement: 1))
        case 0xa0...0xbf: return .string(try payload(UInt64(marker & 0x1f)))
        case 0xc0: return .nil
        case 0xc2: return .bool(false)
        case 0xc3: return .bool(true)
        case 0xc4, 0xc5, 0xc6: return .binary(try payload(try bigEndian(1 << Int(marker - 0xc4))))
        case 0xc7, 0xc8, 0xc9:
            let length = try bigEndian(1 << Int(marker - 0xc7))
            let type = Int8(bitPattern: try byte())
            return .ext(type: type, payload: try payload(length))
        case 0xca: return .float(Double(Float(bitPattern: UInt32(try bigEndian(4)))))
        case 0xcb: return .float(Double(bitPattern: try bigEndian(8)))
        case 0xcc, 0xcd, 0xce, 0xcf: return .uint(try bigEndian(1 << Int(marker - 0xcc)))
        case 0xd0, 0xd1, 0xd2, 0xd3:
            let byteCount = 1 << Int(marker - 0xd0)
            let raw = try bigEndian(byteCount)
            let shift = UInt64(64 - 8 * byteCount)
            return .int(Int64(bitPattern: raw << shift) >> Int64(shift))
        case 0xd4...0xd8:
            let type = Int8(bitPattern: try byte())
            return .ext(type: type, payload: try payload(1 << UInt64(marker - 0xd4)))
        case 0xd9, 0xda, 0xdb: return .string(try payload(try bigEndian(1 << Int(marker - 0xd9))))
        case 0xdc, 0xdd:
            return .array(count: try count(try bigEndian(2 << Int(marker - 0xdc)), perElement: 1))
        case 0xde, 0xdf: return .map(count: try count(try bigEndian(2 << Int(marker - 0xde)), perElement: 2))
        case 0xe0...0xff: return .int(Int64(Int8(bitPattern: marker)))
        default: throw error("byte 0x\(String(marker, radix: 16)) is not a msgpack value (reserved)")
        }
    }

    /// The UTF-8 text of a string range from `next()`.
    public func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// Reads a str value and returns its text; throws naming `what` for any other value.
    public mutating func string(_ what: String) throws -> String {
        let at = position
        guard case .string(let range) = try next() else {
            position = at
            throw error("expected a str for \(what)")
        }
        return text(range)
    }

    /// Reads a non-negative integer that fits in `Int`; throws naming `what` otherwise.
    public mutating func nonNegativeInt(_ what: String) throws -> Int {
        let at = position
        switch try next() {
        case .uint(let value) where value <= UInt64(Int.max): return Int(value)
        case .int(let value) where value >= 0: return Int(value)
        default:
            position = at
            throw error("expected a non-negative integer for \(what)")
        }
    }

    /// Skips one whole value, containers included (at most `depth` levels deep).
    public mutating func skip(depth: Int = 64) throws {
        guard depth > 0 else { throw error("values nested more than 64 levels deep") }
        switch try next() {
        case .array(let count):
            for _ in 0..<count { try skip(depth: depth - 1) }
        case .map(let count):
            for _ in 0..<(2 * count) { try skip(depth: depth - 1) }
        default: break
        }
    }
}

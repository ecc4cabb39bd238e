// flax.serialization's msgpack files: one map of nested maps with str keys whose leaves are
// ext type 1 ndarrays `[shape, dtype name, data]`. This walks the tree and lists every leaf
// (path, shape, dtype, byte range of its data) without touching the data itself.

/// numpy dtype names a flax ndarray may carry, with their element sizes.
public enum FlaxDType: String, CaseIterable, Sendable {
    case float32, float16, bfloat16, float64
    case int8, int16, int32, int64, uint8, uint16, uint32, uint64, bool

    /// Bytes per element.
    public var byteCount: Int {
        switch self {
        case .int8, .uint8, .bool: return 1
        case .float16, .bfloat16, .int16, .uint16: return 2
        case .float32, .int32, .uint32: return 4
        case .float64, .int64, .uint64: return 8
        }
    }
}

/// One ndarray leaf of a flax msgpack tree.
public struct FlaxLeaf: Equatable, Sendable {
    /// Map keys from the root down to the leaf.
    public var path: [String]
    public var shape: [Int]
    public var dtype: FlaxDType
    /// Byte range of the raw row-major little-endian data inside the file.
    public var data: Range<Int>

    /// The path joined with "/", as flax and the documentation print it.
    public var name: String { path.joined(separator: "/") }
    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }
}

/// Reads the structure of flax msgpack files.
public enum FlaxTree {
    /// Largest accepted tensor rank.
    public static let maxRank = 16

    /// Every ndarray leaf of the file in `bytes`, in file order. Throws `ModelIOError` naming
    /// `path` and the tensor path for anything that is not a map of maps of ndarrays, for
    /// unknown dtypes, for a data length that disagrees with shape and dtype, and for bytes
    /// after the root map.
    public static func leaves(in bytes: UnsafeRawBufferPointer, path: String) throws -> [FlaxLeaf] {
        var reader = MsgPackReader(bytes: bytes, path: path)
        guard case .map(let count) = try reader.next() else {
            throw ModelIOError(
                file: path, "not a flax msgpack file: it does not start with a msgpack map")
        }
        var leaves: [FlaxLeaf] = []
        try walk(&reader, entries: count, prefix: [], into: &leaves)
        guard reader.isAtEnd else {
            throw reader.error("\(reader.end - reader.position) bytes after the end of the parameter map")
        }
        return leaves
    }

    private static func walk(
        _ reader: inout MsgPackReader, entries: Int, prefix: [String], into leaves: inout [FlaxLeaf]
    ) throws {
        guard prefix.count < 32 else { throw reader.error("maps nested more than 32 levels deep") }
        for _ in 0..<entries {
            let key = try reader.string("a map key under '\(prefix.joined(separator: "/"))'")
            let path = prefix + [key]
            let name = path.joined(separator: "/")
            if key == "__msgpack_chunked_array__" {
                throw ModelIOError(
                    file: reader.path, location: prefix.joined(separator: "/"),
                    "chunked arrays (tensors over 2^30 bytes) are not supported")
            }
            switch try reader.next() {
            case .map(let count): try walk(&reader, entries: count, prefix: path, into: &leaves)
            case .ext(1, let payload): leaves.append(try leaf(&reader, payload: payload, path: path))
            case let other:
                throw ModelIOError(
                    file: reader.path, location: name,
                    "expected a map or an ndarray (msgpack ext type 1), found \(other.kind)")
            }
        }
    }

    /// Parses an ext-1 payload `[shape, dtype, data]` and checks the data length.
    private static func leaf(_ outer: inout MsgPackReader, payload: Range<Int>, path: [String]) throws
        -> FlaxLeaf
    {
        let name = path.joined(separator: "/")
        var reader = MsgPackReader(bytes: outer.bytes, path: outer.path, range: payload)
        func fail(_ reason: String) -> ModelIOError {
            ModelIOError(file: outer.path, location: name, reason)
        }
        guard case .array(3) = try reader.next() else {
            throw fail("ndarray payload is not [shape, dtype, data]")
        }
        guard case .array(let rank) = try reader.next(), rank <= maxRank else {
            throw fail("ndarray shape is not an array of at most \(maxRank) integers")
        }
        var shape: [Int] = []
        var elements = 1
        for _ in 0..<rank {
            let dimension = try reader.nonNegativeInt("a dimension of \(name)")
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw fail("shape \(shape + [dimension]) overflows") }
            shape.append(dimension)
            elements = product
        }
        let dtypeName: String
        switch try reader.next() {
        case .string(let range), .binary(let range): dtypeName = reader.text(range)
        default: throw fail("ndarray dtype is not a str")
        }
        guard let dtype = FlaxDType(rawValue: dtypeName) else {
            throw fail(
                "unknown dtype '\(dtypeName)' (known: \(FlaxDType.allCases.map(\.rawValue).joined(separator: ", ")))"
            )
        }
        guard case .binary(let data) = try reader.next() else { throw fail("ndarray data is not a bin") }
        let (expected, overflow) = elements.multipliedReportingOverflow(by: dtype.byteCount)
        guard !overflow, data.count == expected else {
            throw fail(
                "shape \(shape) of \(dtypeName) needs \(expected) data bytes, the file holds \(data.count)")
        }
        guard reader.isAtEnd else { throw fail("bytes after the ndarray data inside its ext payload") }
        return FlaxLeaf(path: path, shape: shape, dtype: dtype, data: data)
    }
}

// The safetensors format (Hugging Face): reader and header writer. Used for reference
// fixtures and for checkpoint payloads. Not here: compression (Shards' Zstd) and file layout.
import Foundation

/// A problem with a safetensors file, naming the file and what was expected.
public enum SafeTensorsError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case missingTensor(path: String, name: String)
    case wrongType(path: String, name: String, expected: String, found: String)
    case wrongShape(path: String, name: String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path): cannot read safetensors file: \(reason)"
        case .malformed(let path, let reason):
            return
                "\(path): not a valid safetensors file: \(reason); was it truncated or written by another tool?"
        case .missingTensor(let path, let name): return "\(path): no tensor named '\(name)'"
        case .wrongType(let path, let name, let expected, let found):
            return "\(path): tensor '\(name)' has dtype \(found), expected \(expected)"
        case .wrongShape(let path, let name, let expected, let found):
            return "\(path): tensor '\(name)' has shape \(found), expected \(expected)"
        }
    }
}

/// One tensor's entry in a safetensors header.
public struct SafeTensorEntry: Equatable, Sendable {
    public var name: String
    /// "F32", "I32", "F64", "I64", "U8", "U16", "BF16", "F16", ...
    public var dtype: String
    public var shape: [Int]
    /// Byte range inside the data section (after the header).
    public var byteRange: Range<Int>

    public init(name: String, dtype: String, shape: [Int], byteRange: Range<Int>) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.byteRange = byteRange
    }

    /// Number of elements (product of the shape; 1 for a scalar).
    public var count: Int { shape.reduce(1, *) }

    /// Bytes per element of `dtype`, or nil for an unknown dtype.
    public static func elementByteCount(_ dtype: String) -> Int? {
        switch dtype {
        case "F64", "I64", "U64": return 8
        case "F32", "I32", "U32": return 4
        case "F16", "BF16", "I16", "U16": return 2
        case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2": return 1
        default: return nil
        }
    }
}

/// A safetensors file read fully into memory:
/// u64 little-endian header length, JSON header (dtype, shape, data_offsets per tensor,
/// optional `__metadata__` of strings), then the data section.
public struct SafeTensorsFile {
    /// Where the bytes came from (for error messages).
    public let path: String
    /// Tensors in data order.
    public let entries: [SafeTensorEntry]
    /// The `__metadata__` map (empty when absent).
    public let metadata: [String: String]
    private let bytes: Data
    private let dataStart: Int
    private let index: [String: Int]

    /// Reads and validates the file at `url`.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw SafeTensorsError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        try self.init(bytes: data, path: url.path)
    }

    /// Parses and validates `bytes`; `path` names the source in errors.
    public init(bytes: Data, path: String) throws {
        self.path = path
        self.bytes = bytes
        guard bytes.count >= 8 else {
            throw SafeTensorsError.malformed(
                path: path, reason: "\(bytes.count) bytes, shorter than the 8-byte header length")
        }
        let headerLength = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw SafeTensorsError.malformed(
                path: path, reason: "header length \(headerLength) exceeds the file size \(bytes.count)")
        }
        dataStart = 8 + Int(headerLength)
        let header = bytes.subdata(in: bytes.startIndex + 8..<bytes.startIndex + dataStart)
        guard let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw SafeTensorsError.malformed(path: path, reason: "header is not a JSON object")
        }
        var entries: [SafeTensorEntry] = []
        var metadata: [String: String] = [:]
        let dataCount = bytes.count - dataStart
        for (name, value) in object {
            if name == "__metadata__" {
                metadata = (value as? [String: String]) ?? [:]
                continue
            }
            entries.append(try Self.parseEntry(name: name, value: value, dataCount: dataCount, path: path))
        }
        entries.sort { $0.byteRange.lowerBound < $1.byteRange.lowerBound }
        self.entries = entries
        self.metadata = metadata
        self.index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, $0) })
    }

    private static func parseEntry(name: String, value: Any, dataCount: Int, path: String) throws
        -> SafeTensorEntry
    {
        guard let fields = value as? [String: Any], let dtype = fields["dtype"] as? String,
            let shape = (fields["shape"] as? [NSNumber])?.map(\.intValue),
            let offsets = (fields["data_offsets"] as? [NSNumber])?.map(\.intValue), offsets.count == 2
        else {
            throw SafeTensorsError.malformed(
                path: path, reason: "entry '\(name)' lacks dtype, shape or data_offsets")
        }
        guard let width = SafeTensorEntry.elementByteCount(dtype) else {
            throw SafeTensorsError.malformed(path: path, reason: "entry '\(name)' has unknown dtype \(dtype)")
        }
        let entry = SafeTensorEntry(
            name: name, dtype: dtype, shape: shape, byteRange: offsets[0]..<max(offsets[0], offsets[1]))
        guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[1] >= offsets[0],
            offsets[1] <= dataCount,
            offsets[1] - offsets[0] == entry.count * width
        else {
            throw SafeTensorsError.malformed(
                path: path,
                reason: "entry '\(name)': offsets \(offsets) do not hold shape \(shape) of \(dtype) "
                    + "within \(dataCount) data bytes")
        }
        return entry
    }

    /// The entry named `name`.
    public func entry(_ name: String) throws -> SafeTensorEntry {
        guard let position = index[name] else { throw SafeTensorsError.missingTensor(path: path, name: name) }
        return entries[position]
    }

    /// The raw little-endian bytes of `entry`'s data.
    func rawBytes(of entry: SafeTensorEntry) -> Data {
        let start = bytes.startIndex + dataStart
        return bytes.subdata(in: start + entry.byteRange.lowerBound..<start + entry.byteRange.upperBound)
    }

    /// True when the file holds a tensor named `name`.
    public func contains(_ name: String) -> Bool { index[name] != nil }

    /// Copies tensor `name` (F32) into `destination`, checking its element count.
    public func copyFloats(_ name: String, into destination: UnsafeMutablePointer<Float>, count: Int) throws {
        let entry = try self.entry(name)
        guard entry.dtype == "F32" else {
            throw SafeTensorsError.wrongType(path: path, name: name, expected: "F32", found: entry.dtype)
        }
        guard entry.count == count else {
            throw SafeTensorsError.wrongShape(path: path, name: name, expected: [count], found: entry.shape)
        }
        bytes.withUnsafeBytes { raw in
            let source = raw.baseAddress! + dataStart + entry.byteRange.lowerBound
            UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * 4)
        }
    }

    /// Tensor `name` as Floats (F32 only).
    public func floats(_ name: String) throws -> [Float] {
        let count = try entry(name).count
        return try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            try copyFloats(name, into: buffer.baseAddress!, count: count)
            initialized = count
        }
    }

    /// Tensor `name` as Int32 (I32, or I64 narrowed with a range check).
    public func int32s(_ name: String) throws -> [Int32] {
        let entry = try self.entry(name)
        return try bytes.withUnsafeBytes { raw in
            let start = raw.baseAddress! + dataStart + entry.byteRange.lowerBound
            switch entry.dtype {
            case "I32":
                return (0..<entry.count).map { start.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self) }
            case "I64":
                return try (0..<entry.count).map {
                    let value = start.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)
                    guard let narrowed = Int32(exactly: value) else {
                        throw SafeTensorsError.malformed(
                            path: path, reason: "'\(name)' holds \(value), beyond Int32")
                    }
                    return narrowed
                }
            default:
                throw SafeTensorsError.wrongType(path: path, name: name, expected: "I32", found: entry.dtype)
            }
        }
    }
}

/// Builds safetensors headers; the data section is written by the caller in entry order.
public enum SafeTensorsWriter {
    /// The 8-byte length plus the JSON header (padded with spaces to a multiple of 8) for
    /// tensors laid out back to back in the given order. Returns the bytes and the data size.
    public static func header(
        for tensors: [(name: String, dtype: String, shape: [Int])], metadata: [String: String] = [:]
    ) -> (bytes: Data, dataByteCount: Int) {
        var json = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            let fields = metadata.sorted { $0.key < $1.key }.map { "\(quoted($0.key)):\(quoted($0.value))" }
            parts.append("\"__metadata__\":{\(fields.joined(separator: ","))}")
        }
        var offset = 0
        for tensor in tensors {
            let width = SafeTensorEntry.elementByteCount(tensor.dtype) ?? 1
            let end = offset + tensor.shape.reduce(1, *) * width
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            parts.append(
                "\(quoted(tensor.name)):{\"dtype\":\"\(tensor.dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}"
            )
            offset = end
        }
        json += parts.joined(separator: ",") + "}"
        var headerBytes = Data(json.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var result = Data(count: 8)
        result.withUnsafeMutableBytes {
            $0.storeBytes(of: UInt64(headerBytes.count).littleEndian, as: UInt64.self)
        }
        result.append(headerBytes)
        return (result, offset)
    }

    /// Serializes Float tensors into one in-memory safetensors file (for tests and small dumps).
    public static func serialize(
        _ tensors: [(name: String, shape: [Int], values: [Float])], metadata: [String: String] = [:]
    ) -> Data {
        var data = header(for: tensors.map { ($0.name, "F32", $0.shape) }, metadata: metadata).bytes
        for tensor in tensors { tensor.values.withUnsafeBytes { data.append(contentsOf: $0) } }
        return data
    }

    private static func quoted(_ text: String) -> String {
        let encoded = try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])
        let array = encoded.map { String(decoding: $0, as: UTF8.self) } ?? "[\"\"]"
        return String(array.dropFirst().dropLast())
    }
}

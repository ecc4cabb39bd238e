// Loading and saving a flat parameter buffer as safetensors, by Flax name, checking shapes.
import Foundation

extension ParameterLayout {
    /// Copies every tensor of the layout from `file` into `buffer`, checking dtype and shape.
    /// Throws when the file lacks a tensor or holds one the layout does not know (a config mismatch).
    public func load(_ file: SafeTensorsFile, into buffer: FlatBuffer) throws {
        precondition(buffer.count == count, "buffer of \(buffer.count) Floats for a layout of \(count)")
        for entry in entries {
            let stored = try file.entry(entry.name)
            guard stored.dtype == "F32" else {
                throw SafeTensorsError.wrongType(
                    path: file.path, name: entry.name, expected: "F32", found: stored.dtype)
            }
            guard stored.shape == entry.shape else {
                throw SafeTensorsError.wrongShape(
                    path: file.path, name: entry.name, expected: entry.shape, found: stored.shape)
            }
            try file.copyFloats(entry.name, into: buffer.pointer + entry.offset, count: entry.count)
        }
        if let extra = file.entries.first(where: { entry(named: $0.name) == nil }) {
            throw SafeTensorsError.malformed(
                path: file.path,
                reason: "tensor '\(extra.name)' has no place in this model configuration (wrong config.json?)"
            )
        }
    }

    /// Reads the safetensors file at `url` into `buffer` (see `load(_:into:)`).
    public func load(contentsOf url: URL, into buffer: FlatBuffer) throws {
        try load(SafeTensorsFile(contentsOf: url), into: buffer)
    }

    /// The safetensors header for this layout; the data section is the flat buffer itself.
    public func safeTensorsHeader(metadata: [String: String] = ["format": "flax"]) -> Data {
        SafeTensorsWriter.header(for: entries.map { ($0.name, "F32", $0.shape) }, metadata: metadata).bytes
    }

    /// Writes `buffer` as a safetensors file at `url` (header, then the buffer in layout order).
    public func write(_ buffer: FlatBuffer, to url: URL, metadata: [String: String] = ["format": "flax"])
        throws
    {
        precondition(buffer.count == count, "buffer of \(buffer.count) Floats for a layout of \(count)")
        guard
            FileManager.default.createFile(atPath: url.path, contents: safeTensorsHeader(metadata: metadata))
        else {
            throw SafeTensorsError.unreadable(path: url.path, reason: "cannot create the file")
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: UnsafeRawBufferPointer(buffer.buffer))
    }
}

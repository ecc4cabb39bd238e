// Reading 64-bit integer tensors (the optimizer step count in checkpoints).

extension SafeTensorsFile {
    /// Tensor `name` as Int64 (I64, or I32 widened).
    public func int64s(_ name: String) throws -> [Int64] {
        let entry = try self.entry(name)
        if entry.dtype == "I32" { return try int32s(name).map(Int64.init) }
        guard entry.dtype == "I64" else {
            throw SafeTensorsError.wrongType(path: path, name: name, expected: "I64", found: entry.dtype)
        }
        return rawBytes(of: entry).withUnsafeBytes { raw in
            (0..<entry.count).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self) }
        }
    }
}

extension SafeTensorsFile {
    /// Tensor `name` as bytes (U8 only).
    public func bytes(_ name: String) throws -> [UInt8] {
        let entry = try self.entry(name)
        guard entry.dtype == "U8" else {
            throw SafeTensorsError.wrongType(path: path, name: name, expected: "U8", found: entry.dtype)
        }
        return [UInt8](rawBytes(of: entry))
    }
}

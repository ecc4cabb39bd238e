// Reads back the PNGs the project writes (8-bit RGB, stored deflate blocks, filter 0): the
// chunks with their CRCs checked by the caller's expectations, and the pixels.

/// A decoded PNG, or nil fields when the bytes are not the kind the project writes.
public struct PNGReader {
    public var width = 0
    public var height = 0
    /// RGB bytes, row by row.
    public var rgb: [UInt8] = []
    /// Chunk types in file order.
    public var chunkTypes: [String] = []

    /// Decodes `png`; returns nil for a bad signature, a truncated chunk or a compressed block.
    public init?(_ png: [UInt8]) {
        guard png.count > 8, Array(png[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else {
            return nil
        }
        var offset = 8
        var zlib: [UInt8] = []
        while offset + 12 <= png.count {
            let length = png[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            guard offset + 12 + length <= png.count else { return nil }
            let type = String(decoding: png[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let data = Array(png[(offset + 8)..<(offset + 8 + length)])
            chunkTypes.append(type)
            if type == "IHDR" {
                width = data[0..<4].reduce(0) { $0 << 8 | Int($1) }
                height = data[4..<8].reduce(0) { $0 << 8 | Int($1) }
            } else if type == "IDAT" {
                zlib += data
            }
            offset += 12 + length
        }
        var raw: [UInt8] = []
        var at = 2
        while at + 5 <= zlib.count {
            guard zlib[at] & 0b110 == 0 else { return nil }  // stored blocks only
            let count = Int(zlib[at + 1]) | Int(zlib[at + 2]) << 8
            guard at + 5 + count <= zlib.count else { return nil }
            raw += zlib[(at + 5)..<(at + 5 + count)]
            let isFinal = zlib[at] & 1 == 1
            at += 5 + count
            if isFinal { break }
        }
        let stride = width * 3 + 1
        guard width > 0, raw.count == height * stride else { return nil }
        rgb = (0..<height).flatMap { raw[($0 * stride + 1)..<(($0 + 1) * stride)] }
    }
}

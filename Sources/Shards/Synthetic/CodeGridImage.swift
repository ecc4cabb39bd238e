// Rendering a square grid of image codes as a PNG with the synthetic dataset's fixed palette,
// and a minimal PNG encoder (stored deflate blocks, CRC-32 per chunk, Adler-32 per stream).

/// Code grids to pictures: code c is colored by its range (`c / (imageVocabSize / 8)`, the
/// synthetic dataset's color) and darkened by its variant (`c % (imageVocabSize / 8)`).
public enum CodeGridImage {
    /// (side * scale)^2 RGB pixels of `codes` (side^2 codes) drawn as scale x scale squares.
    public static func pixels(codes: [Int], imageVocabSize: Int, scale: Int) -> (width: Int, rgb: [UInt8]) {
        let side = Int(Double(codes.count).squareRoot())
        precondition(side * side == codes.count && side > 0, "\(codes.count) codes are not a square grid")
        precondition(scale > 0 && imageVocabSize >= SyntheticDataset.colors.count, "bad scale or vocabulary")
        let rangeWidth = imageVocabSize / SyntheticDataset.colors.count
        let width = side * scale
        var rgb = [UInt8](repeating: 0, count: width * width * 3)
        for (cell, code) in codes.enumerated() {
            let range = min(max(code, 0) / rangeWidth, SyntheticDataset.colors.count - 1)
            let variant = max(code, 0) % rangeWidth
            let shade = [1.0, 0.85, 1.0, 0.65][min(variant, 3)]
            let (r, g, b) = SyntheticDataset.colors[range].rgb
            let color = [r, g, b].map { UInt8(Double($0) * shade) }
            let (cellX, cellY) = (cell % side, cell / side)
            for y in (cellY * scale)..<((cellY + 1) * scale) {
                for x in (cellX * scale)..<((cellX + 1) * scale) {
                    let at = (y * width + x) * 3
                    rgb[at] = color[0]
                    rgb[at + 1] = color[1]
                    rgb[at + 2] = color[2]
                }
            }
        }
        return (width, rgb)
    }

    /// A PNG file of the code grid.
    public static func png(codes: [Int], imageVocabSize: Int, scale: Int = 16) -> [UInt8] {
        let (width, rgb) = pixels(codes: codes, imageVocabSize: imageVocabSize, scale: scale)
        return PNG.encode(width: width, height: width, rgb: rgb)
    }
}

/// An 8-bit RGB PNG writer without compression (deflate "stored" blocks).
public enum PNG {
    /// PNG bytes of `rgb` (height rows of width x 3 bytes).
    public static func encode(width: Int, height: Int, rgb: [UInt8]) -> [UInt8] {
        precondition(rgb.count == width * height * 3, "\(rgb.count) bytes for \(width)x\(height) RGB")
        var raw: [UInt8] = []
        raw.reserveCapacity(height * (width * 3 + 1))
        for row in 0..<height {
            raw.append(0)  // filter: none
            raw.append(contentsOf: rgb[(row * width * 3)..<((row + 1) * width * 3)])
        }
        var header: [UInt8] = []
        header.appendBigEndian(UInt32(width))
        header.appendBigEndian(UInt32(height))
        header += [8, 2, 0, 0, 0]  // 8-bit, truecolor, deflate, adaptive filters, no interlace
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        appendChunk("IHDR", header, to: &file)
        appendChunk("IDAT", zlibStored(raw), to: &file)
        appendChunk("IEND", [], to: &file)
        return file
    }

    /// A zlib stream of stored (uncompressed) deflate blocks of at most 65535 bytes.
    static func zlibStored(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var start = 0
        repeat {
            let count = min(65535, bytes.count - start)
            let isFinal = start + count == bytes.count
            out.append(isFinal ? 1 : 0)
            out += [
                UInt8(count & 0xFF), UInt8(count >> 8), UInt8(~count & 0xFF), UInt8((~count >> 8) & 0xFF),
            ]
            out.append(contentsOf: bytes[start..<(start + count)])
            start += count
        } while start < bytes.count
        out.appendBigEndian(adler32(bytes))
        return out
    }

    /// Adler-32 (RFC 1950).
    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        for chunkStart in stride(from: 0, to: bytes.count, by: 5552) {  // largest run without overflow
            for byte in bytes[chunkStart..<min(chunkStart + 5552, bytes.count)] {
                a += UInt32(byte)
                b += a
            }
            a %= 65521
            b %= 65521
        }
        return b << 16 | a
    }

    static func appendChunk(_ type: String, _ data: [UInt8], to file: inout [UInt8]) {
        file.appendBigEndian(UInt32(data.count))
        let typed = Array(type.utf8) + data
        file += typed
        file.appendBigEndian(CRC32.ieee.checksum(typed))
    }
}

extension Array where Element == UInt8 {
    mutating func appendBigEndian(_ value: UInt32) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}

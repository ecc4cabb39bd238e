// PNG output through libpng: a valid chunk structure with correct CRCs, and pixels that decode
// back exactly.
import Foundation
import Testing

@testable import Shards

@Suite struct CodeGridImageTests {
    @Test func pngChunksAndPixelsDecodeBack() throws {
        let codes = (0..<256).map { ($0 % 8) * 2048 + ($0 % 4) }
        // 320x320 pixels.
        let png = CodeGridImage.png(codes: codes, imageVocabSize: 16384, scale: 20)
        #expect(Array(png[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var offset = 8
        var chunks: [(String, [UInt8])] = []
        while offset < png.count {
            let length = png[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            let typed = Array(png[(offset + 4)..<(offset + 8 + length)])
            let crc = png[(offset + 8 + length)..<(offset + 12 + length)].reduce(UInt32(0)) {
                $0 << 8 | UInt32($1)
            }
            #expect(crc == CRC32.ieee.checksum(typed))
            chunks.append((String(decoding: typed[0..<4], as: UTF8.self), Array(typed[4...])))
            offset += 12 + length
        }
        #expect(chunks.first?.0 == "IHDR" && chunks.last?.0 == "IEND")
        #expect(chunks.contains { $0.0 == "IDAT" })
        #expect(Array(chunks[0].1[0..<10]) == [0, 0, 1, 64, 0, 0, 1, 64, 8, 2])
        #expect(png.count < 320 * 320 * 3 / 10, "libpng compresses flat cells")
        let (_, rgb) = CodeGridImage.pixels(codes: codes, imageVocabSize: 16384, scale: 20)
        let decoded = try ImageDecoder.decode(Data(png), path: "grid.png")
        #expect(decoded == RGBImage(width: 320, height: 320, pixels: rgb))
        // Cell 1 holds code 2048 + 1: orange (range 1), variant 1 (shade 0.85).
        #expect(Array(rgb[(20 * 3)..<(20 * 3 + 3)]) == [245, 140, 30].map { UInt8(Double($0) * 0.85) })
    }
}

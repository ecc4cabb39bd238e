// PNG output: known Adler-32 and CRC values, a valid chunk structure, and stored blocks that
// decode back to the filtered pixel rows.
import Foundation
import Testing

@testable import Shards

@Suite struct CodeGridImageTests {
    @Test func adler32KnownAnswer() {
        #expect(PNG.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
        let long = [UInt8](repeating: 0xFF, count: 100_000)
        var a: UInt64 = 1
        var b: UInt64 = 0
        for byte in long {
            a = (a + UInt64(byte)) % 65521
            b = (b + a) % 65521
        }
        #expect(PNG.adler32(long) == UInt32(b << 16 | a))
    }

    @Test func pngChunksAndPixelsDecodeBack() throws {
        let codes = (0..<256).map { ($0 % 8) * 2048 + ($0 % 4) }
        // 320x320 pixels: several stored deflate blocks.
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
        #expect(chunks.map(\.0) == ["IHDR", "IDAT", "IEND"])
        #expect(Array(chunks[0].1[0..<8]) == [0, 0, 1, 64, 0, 0, 1, 64])
        // Undo the stored deflate blocks.
        let zlib = chunks[1].1
        var raw: [UInt8] = []
        var at = 2
        while true {
            let isFinal = zlib[at] == 1
            let count = Int(zlib[at + 1]) | Int(zlib[at + 2]) << 8
            #expect(Int(zlib[at + 3]) | Int(zlib[at + 4]) << 8 == ~count & 0xFFFF)
            raw += zlib[(at + 5)..<(at + 5 + count)]
            at += 5 + count
            if isFinal { break }
        }
        #expect(raw.count == 320 * (320 * 3 + 1))
        let (_, rgb) = CodeGridImage.pixels(codes: codes, imageVocabSize: 16384, scale: 20)
        let unfiltered = (0..<320).flatMap { raw[($0 * 961 + 1)..<(($0 + 1) * 961)] }
        #expect(unfiltered == rgb)
        // Cell 1 holds code 2048 + 1: orange (range 1), variant 1 (shade 0.85).
        #expect(Array(rgb[(20 * 3)..<(20 * 3 + 3)]) == [245, 140, 30].map { UInt8(Double($0) * 0.85) })
    }
}

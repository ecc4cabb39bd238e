// Image reading: PNG colour types and bit depths as Pillow's convert("RGB") gives them, JPEG
// round trips, and damaged or foreign files ending in an ImageError, never a crash.
import Foundation
import Testing

@testable import Shards

/// PNG files of any colour type and depth, written by hand (stored deflate) for the decoder tests.
private func handmadePNG(
    width: Int, height: Int, depth: UInt8, colorType: UInt8, rows: [[UInt8]], palette: [UInt8]? = nil
)
    -> [UInt8]
{
    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + typed + bigEndian(CRC32.ieee.checksum(typed))
    }
    func bigEndian(_ value: UInt32) -> [UInt8] {
        (0..<4).map { (shift: Int) -> UInt8 in UInt8(truncatingIfNeeded: value >> UInt32(24 - 8 * shift)) }
    }
    let raw: [UInt8] = rows.flatMap { (row: [UInt8]) -> [UInt8] in [UInt8(0)] + row }
    var (a, b): (UInt32, UInt32) = (1, 0)
    for byte in raw {
        a = (a + UInt32(byte)) % 65521
        b = (b + a) % 65521
    }
    let count = raw.count
    var zlib: [UInt8] = [0x78, 0x01, 1, UInt8(count & 0xFF), UInt8(count >> 8)]
    zlib += [UInt8(~count & 0xFF), UInt8((~count >> 8) & 0xFF)]
    zlib += raw
    zlib += bigEndian(b << 16 | a)
    var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    file += chunk("IHDR", bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [depth, colorType, 0, 0, 0])
    if let palette { file += chunk("PLTE", palette) }
    file += chunk("IDAT", zlib)
    file += chunk("IEND", [])
    return file
}

@Suite struct ImageDecoderTests {
    @Test func rgbPngRoundTrips() throws {
        let pixels = (0..<5 * 3 * 3).map { UInt8($0 * 5) }
        let png = PNG.encode(width: 5, height: 3, rgb: pixels)
        #expect(
            try ImageDecoder.decode(Data(png), path: "a.png") == RGBImage(width: 5, height: 3, pixels: pixels)
        )
    }

    @Test func grayAndAlphaBecomeRGB() throws {
        let gray: [UInt8] = [0, 100, 200, 255]
        let fromGray = try ImageDecoder.decode(
            Data(PNG.encode(width: 2, height: 2, rgb: gray, channels: 1)), path: "g")
        #expect(fromGray.pixels == gray.flatMap { [$0, $0, $0] })
        let rgba: [UInt8] = [10, 20, 30, 0, 40, 50, 60, 128]
        let fromAlpha = try ImageDecoder.decode(
            Data(PNG.encode(width: 2, height: 1, rgb: rgba, channels: 4)), path: "a")
        #expect(fromAlpha.pixels == [10, 20, 30, 40, 50, 60], "alpha is dropped, not composited")
    }

    @Test func paletteSixteenBitAndLowDepthGray() throws {
        let palette: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255]
        let paletted = handmadePNG(
            width: 3, height: 1, depth: 8, colorType: 3, rows: [[2, 0, 1]], palette: palette)
        #expect(
            try ImageDecoder.decode(Data(paletted), path: "p").pixels == [0, 0, 255, 255, 0, 0, 0, 255, 0])
        let deep = handmadePNG(
            width: 1, height: 1, depth: 16, colorType: 2, rows: [[0x12, 0x34, 0xAB, 0xCD, 0xFF, 0xFF]])
        #expect(try ImageDecoder.decode(Data(deep), path: "16").pixels == [0x12, 0xAB, 0xFF])
        let grayAlpha16 = handmadePNG(
            width: 1, height: 1, depth: 16, colorType: 4, rows: [[0x80, 0x01, 0x00, 0x00]])
        #expect(try ImageDecoder.decode(Data(grayAlpha16), path: "la").pixels == [0x80, 0x80, 0x80])
        let bits = handmadePNG(width: 4, height: 1, depth: 2, colorType: 0, rows: [[0b00_01_10_11]])
        #expect(
            try ImageDecoder.decode(Data(bits), path: "2bit").pixels
                == [0, 85, 170, 255].flatMap { [$0, $0, $0] })
    }

    @Test func jpegRoundTripsApproximately() throws {
        let pixels: [UInt8] = (0..<16 * 16).flatMap { (_: Int) -> [UInt8] in [200, 100, 50] }
        let jpeg = JPEG.encode(width: 16, height: 16, pixels: pixels, quality: 95)
        let decoded = try ImageDecoder.decode(Data(jpeg), path: "a.jpg")
        #expect(decoded.width == 16 && decoded.height == 16)
        #expect(zip(decoded.pixels, pixels).allSatisfy { abs(Int($0) - Int($1)) <= 4 })
        let gray = JPEG.encode(width: 8, height: 8, pixels: [UInt8](repeating: 77, count: 64), channels: 1)
        #expect(
            try ImageDecoder.decode(Data(gray), path: "g.jpg").pixels.allSatisfy { abs(Int($0) - 77) <= 2 })
    }

    @Test func damagedFilesAreErrors() throws {
        let pixels: [UInt8] = (0..<3600).map { UInt8($0 % 256) }
        let png = PNG.encode(width: 40, height: 30, rgb: pixels)
        let jpeg = JPEG.encode(width: 40, height: 30, pixels: pixels)
        var flipped = png
        flipped[40] ^= 0xFF  // inside IHDR or IDAT: a CRC mismatch
        let cases: [(String, [UInt8])] = [
            ("empty", []), ("text", Array("hello, world".utf8)), ("gif", Array("GIF89a....".utf8)),
            ("png header only", Array(png.prefix(8))), ("png truncated", Array(png.prefix(png.count / 2))),
            ("png crc", flipped), ("jpeg truncated", Array(jpeg.prefix(jpeg.count / 2))),
            ("jpeg header only", Array(jpeg.prefix(3))),
        ]
        for (name, bytes) in cases {
            #expect(throws: ImageError.self, "\(name)") { try ImageDecoder.decode(Data(bytes), path: name) }
        }
        #expect(throws: ImageError.self) { try ImageDecoder.decode(path: "/nonexistent/x.png") }
    }

    @Test func resizeKeepsAspectAndCropsHalfToEven() {
        #expect(ImagePreprocessing.resizedSize(width: 173, height: 101, size: 64) == (109, 64))
        #expect(ImagePreprocessing.resizedSize(width: 10, height: 30, size: 64) == (64, 192))
        let ramp: [UInt8] = (0..<109 * 64).flatMap { (i: Int) -> [UInt8] in [UInt8(i % 109), 0, 0] }
        let image = RGBImage(width: 109, height: 64, pixels: ramp)
        let cropped = ImagePreprocessing.centerCrop(image, size: 64)
        #expect(cropped.pixels[0] == 22, "round(22.5) = 22")
        let small = RGBImage(width: 3, height: 2, pixels: [UInt8](repeating: 9, count: 18))
        let upscaled = ImagePreprocessing.resizeAndCrop(small, size: 8)
        #expect(upscaled.width == 8 && upscaled.pixels.allSatisfy { $0 == 9 }, "a flat image stays flat")
    }
}

// PNG (libpng) and JPEG (libjpeg-turbo) writing of 8-bit images: decoded samples, and
// synthetic image folders for tests.
import CJPEG
import CPNG
import Foundation

/// PNG writing through libpng.
public enum PNG {
    /// PNG bytes of 8-bit `pixels` (height rows of width × channels bytes; channels 1, 3 or 4).
    public static func encode(width: Int, height: Int, rgb pixels: [UInt8], channels: Int = 3) -> [UInt8] {
        precondition(
            pixels.count == width * height * channels,
            "\(pixels.count) bytes for \(width)x\(height)x\(channels)")
        precondition(
            width > 0 && height > 0 && width < 1 << 24 && height < 1 << 24, "PNG size \(width)x\(height)")
        var file: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = pixels.withUnsafeBufferPointer { pixels in
            message.withUnsafeMutableBufferPointer { text in
                dt_png_encode(
                    pixels.baseAddress, UInt32(width), UInt32(height), Int32(channels), &file, &size,
                    text.baseAddress,
                    text.count)
            }
        }
        defer { free(file) }
        // Valid sizes and memory are all libpng needs; a failure here is a broken installation.
        precondition(status == 0 && file != nil, "libpng failed to encode a \(width)x\(height) image")
        return Array(UnsafeBufferPointer(start: file, count: size))
    }

    /// Writes `image` as a PNG file at `path` (a temporary file renamed into place).
    public static func write(_ image: RGBImage, to path: String) throws {
        try ImageFiles.write(encode(width: image.width, height: image.height, rgb: image.pixels), to: path)
    }
}

/// JPEG writing through libjpeg-turbo.
public enum JPEG {
    /// Baseline JPEG bytes of 8-bit pixels (channels 1 or 3) at `quality` (1...100).
    public static func encode(width: Int, height: Int, pixels: [UInt8], channels: Int = 3, quality: Int = 90)
        -> [UInt8]
    {
        precondition(
            pixels.count == width * height * channels && (channels == 1 || channels == 3), "JPEG input size")
        var file: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = pixels.withUnsafeBufferPointer { pixels in
            message.withUnsafeMutableBufferPointer { text in
                dt_jpeg_encode(
                    pixels.baseAddress, UInt32(width), UInt32(height), Int32(channels), Int32(quality), &file,
                    &size,
                    text.baseAddress, text.count)
            }
        }
        defer { free(file) }
        precondition(status == 0 && file != nil, "libjpeg failed to encode a \(width)x\(height) image")
        return Array(UnsafeBufferPointer(start: file, count: Int(size)))
    }
}

/// Atomic file writes for images.
enum ImageFiles {
    /// Writes `bytes` to a temporary file beside `path`, then renames it into place.
    static func write(_ bytes: [UInt8], to path: String) throws {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ImageError(path: path, "cannot write: \(error.localizedDescription)")
        }
    }
}

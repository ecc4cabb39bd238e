// PNG and JPEG files to 8-bit RGB through libpng and libjpeg-turbo, as Pillow's
// `Image.open(...).convert("RGB")` gives them: palette expanded, gray replicated, alpha dropped.
import CJPEG
import CPNG
import Foundation

/// Reads PNG and JPEG images (the format comes from the file's first bytes, not its name).
public enum ImageDecoder {
    /// Largest accepted image (width · height), Pillow's decompression-bomb limit.
    public static let maxPixels = 178_956_970

    /// The image in file `path`; throws `ImageError` for unreadable, corrupt, truncated or
    /// unsupported files.
    public static func decode(path: String) throws -> RGBImage {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ImageError(path: path, "cannot read: \(error.localizedDescription)")
        }
        return try decode(data, path: path)
    }

    /// The image held in `data` (`path` names it in errors).
    /// NOTE(divergence): 16-bit samples keep their high byte (Pillow does so for 16-bit RGB; its
    /// 16-bit grayscale conversion clips instead).
    public static func decode(_ data: Data, path: String) throws -> RGBImage {
        let bytes = [UInt8](data)
        guard bytes.count >= 4 else {
            throw ImageError(path: path, "too short to be an image (\(bytes.count) bytes)")
        }
        let isPNG = bytes.starts(with: [0x89, 0x50, 0x4E, 0x47])
        let isJPEG = bytes.starts(with: [0xFF, 0xD8, 0xFF])
        guard isPNG || isJPEG else {
            throw ImageError(path: path, "unsupported format (neither PNG nor JPEG by its first bytes)")
        }
        var pixels: UnsafeMutablePointer<UInt8>? = nil
        var width: UInt32 = 0
        var height: UInt32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = bytes.withUnsafeBufferPointer { input in
            message.withUnsafeMutableBufferPointer { text in
                isPNG
                    ? dt_png_decode_rgb(
                        input.baseAddress, input.count, maxPixels, &pixels, &width, &height, text.baseAddress,
                        text.count)
                    : dt_jpeg_decode_rgb(
                        input.baseAddress, input.count, maxPixels, &pixels, &width, &height, text.baseAddress,
                        text.count)
            }
        }
        defer { free(pixels) }
        guard status == 0, let pixels, width > 0, height > 0 else {
            let reason = String(
                decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw ImageError(
                path: path, "\(isPNG ? "PNG" : "JPEG"): \(reason.isEmpty ? "empty image" : reason)")
        }
        let count = Int(width) * Int(height) * 3
        return RGBImage(
            width: Int(width), height: Int(height),
            pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
    }
}

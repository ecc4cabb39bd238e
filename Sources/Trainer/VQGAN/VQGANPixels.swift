// Conversions between the VQGAN's float pixels and 8-bit images, as dalle-mini does them.
import Shards

/// Float ↔ 8-bit pixel conversions of the VQGAN pipeline.
public enum VQGANPixels {
    /// uint8(clip(x, 0, 1) · 255): float32 multiply, then truncation (dalle-mini's inference).
    public static func bytes(_ values: [Float]) -> [UInt8] {
        values.map { UInt8(min(max($0, 0), 1) * 255) }
    }

    /// x / 255 in float32 (the model input of dalle-mini's encoding: no mean/std normalisation).
    public static func floats(_ bytes: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<Float>) {
        for i in 0..<bytes.count { out[i] = Float(bytes[i]) / 255 }
    }
}

extension VQGAN {
    /// The picture of one code grid: decoded, converted to 8 bits like `VQGANPixels.bytes`, and
    /// made RGB (a gray output replicated, channels past the third dropped). `pixels` is scratch of
    /// `resolution² · out_ch` floats, reused across calls.
    public func picture(codes: [Int32], pixels: inout [Float]) -> RGBImage {
        let c = config
        pixels.withUnsafeMutableBufferPointer { decode(codes: codes, pixels: $0.baseAddress!) }
        let bytes = VQGANPixels.bytes(pixels)
        let channels = c.outputChannels
        let rgb =
            channels == 3
            ? bytes
            : stride(from: 0, to: bytes.count, by: channels).flatMap { i -> [UInt8] in
                channels >= 3 ? Array(bytes[i..<i + 3]) : [bytes[i], bytes[i], bytes[i]]
            }
        return RGBImage(width: c.resolution, height: c.resolution, pixels: rgb)
    }
}

// Conversions between the VQGAN's float pixels and 8-bit images, as dalle-mini does them.

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

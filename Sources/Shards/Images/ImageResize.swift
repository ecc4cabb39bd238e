// dalle-mini's image preprocessing, bit for bit: torchvision `Resize(size, LANCZOS)` (Pillow's
// fixed-point two-pass Lanczos, horizontal pass first) then `CenterCrop(size)`.
import Foundation

/// The resize and centre crop dalle-mini's encoding notebooks apply before the VQGAN.
public enum ImagePreprocessing {
    /// Shorter side → `size`, longer side → int(size · long / short) (torchvision `Resize(int)`).
    public static func resizedSize(width: Int, height: Int, size: Int) -> (width: Int, height: Int) {
        if width <= height { return (size, Int(Double(size) * Double(height) / Double(width))) }
        return (Int(Double(size) * Double(width) / Double(height)), size)
    }

    /// The `size`×`size` centre of the resized image: `Resize` then `CenterCrop`.
    public static func resizeAndCrop(_ image: RGBImage, size: Int) -> RGBImage {
        let target = resizedSize(width: image.width, height: image.height, size: size)
        let resized = resize(image, width: target.width, height: target.height)
        return centerCrop(resized, size: size)
    }

    /// torchvision `CenterCrop`: offsets round((new − size) / 2), Python rounding (half to even).
    public static func centerCrop(_ image: RGBImage, size: Int) -> RGBImage {
        precondition(
            image.width >= size && image.height >= size, "crop \(size) of \(image.width)x\(image.height)")
        let left = Int((Double(image.width - size) / 2).rounded(.toNearestOrEven))
        let top = Int((Double(image.height - size) / 2).rounded(.toNearestOrEven))
        var pixels = [UInt8](repeating: 0, count: size * size * 3)
        for y in 0..<size {
            let from = ((top + y) * image.width + left) * 3
            pixels.replaceSubrange(
                y * size * 3..<(y + 1) * size * 3, with: image.pixels[from..<from + size * 3])
        }
        return RGBImage(width: size, height: size, pixels: pixels)
    }

    /// Pillow `Image.resize((width, height), LANCZOS)`: horizontal pass (rounded, clipped to
    /// 8 bits) then vertical pass; an axis whose size does not change is not resampled.
    public static func resize(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        var current = image
        if width != current.width {
            let taps = LanczosTaps(input: current.width, output: width)
            var out = [UInt8](repeating: 0, count: width * current.height * 3)
            for y in 0..<current.height {
                for x in 0..<width {
                    for c in 0..<3 {
                        out[(y * width + x) * 3 + c] = taps.apply(x) {
                            current.pixels[(y * current.width + $0) * 3 + c]
                        }
                    }
                }
            }
            current = RGBImage(width: width, height: current.height, pixels: out)
        }
        if height != current.height {
            let taps = LanczosTaps(input: current.height, output: height)
            var out = [UInt8](repeating: 0, count: width * height * 3)
            for y in 0..<height {
                for x in 0..<width {
                    for c in 0..<3 {
                        out[(y * width + x) * 3 + c] = taps.apply(y) {
                            current.pixels[($0 * width + x) * 3 + c]
                        }
                    }
                }
            }
            current = RGBImage(width: width, height: height, pixels: out)
        }
        return current
    }
}

/// Pillow's fixed-point Lanczos-3 coefficients for one axis (`precompute_coeffs` and
/// `normalize_coeffs_8bpc`, 22 fractional bits).
struct LanczosTaps {
    static let precisionBits = 22
    /// First input index per output index.
    var first: [Int] = []
    /// Fixed-point weights per output index.
    var weights: [[Int32]] = []

    init(input: Int, output: Int) {
        let scale = Double(input) / Double(output)
        let filterScale = max(scale, 1)
        let support = 3 * filterScale
        for xx in 0..<output {
            let center = (Double(xx) + 0.5) * scale
            let xmin = max(Int(center - support + 0.5), 0)
            let xmax = min(Int(center + support + 0.5), input)
            var taps = (0..<max(xmax - xmin, 0)).map {
                Self.lanczos((Double($0 + xmin) - center + 0.5) / filterScale)
            }
            let total = taps.reduce(0, +)
            if total != 0 { taps = taps.map { $0 / total } }
            first.append(xmin)
            let one = Double(1 << Self.precisionBits)
            weights.append(taps.map { Int32($0 < 0 ? (-0.5 + $0 * one) : (0.5 + $0 * one)) })
        }
    }

    /// Σ w_k · p(first + k), rounded and clipped to 8 bits.
    @inline(__always)
    func apply(_ index: Int, _ pixel: (Int) -> UInt8) -> UInt8 {
        var sum = Int32(1 << (Self.precisionBits - 1))
        let start = first[index]
        for (k, w) in weights[index].enumerated() { sum &+= Int32(pixel(start + k)) &* w }
        if sum <= 0 { return 0 }
        if sum >= Int32(255) << Self.precisionBits { return 255 }
        return UInt8(sum >> Self.precisionBits)
    }

    /// sinc(x) · sinc(x / 3) on [−3, 3), else 0.
    static func lanczos(_ x: Double) -> Double {
        guard x >= -3 && x < 3 else { return 0 }
        return sinc(x) * sinc(x / 3)
    }

    static func sinc(_ x: Double) -> Double {
        if x == 0 { return 1 }
        let t = x * Double.pi
        return sin(t) / t
    }
}

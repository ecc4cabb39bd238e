// A folder of captioned synthetic images in the layout img2dataset writes (name.ext +
// name.txt, in subfolders), in every form the image reader accepts: RGB, grayscale and
// RGBA PNGs, colour and grayscale JPEGs, odd sizes. For smoke and end-to-end tests.
import Foundation

/// Writes synthetic captioned images ("a red square on a blue background").
public enum SyntheticImages {
    /// Writes `count` images below `directory` (subfolders of 50), deterministic in `seed`;
    /// returns their paths in the order `ImageList` lists them.
    @discardableResult
    public static func write(to directory: URL, count: Int, seed: UInt64) throws -> [String] {
        let colors = SyntheticDataset.colors
        var random = SplitMix64(seed: seed)
        var paths: [String] = []
        for index in 0..<count {
            let folder = directory.appendingPathComponent(String(format: "%05d", index / 50))
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let width = 8 + Int(random.next() % 120)
            let height = 8 + Int(random.next() % 120)
            let (foreground, background) = (Int(random.next() % 8), Int(random.next() % 8))
            let (fg, bg) = (colors[foreground].rgb, colors[background].rgb)
            var rgb = [UInt8](repeating: 0, count: width * height * 3)
            for y in 0..<height {
                for x in 0..<width {
                    let inside = x > width / 4 && x < 3 * width / 4 && y > height / 4 && y < 3 * height / 4
                    let (r, g, b) = inside ? fg : bg
                    let at = (y * width + x) * 3
                    (rgb[at], rgb[at + 1], rgb[at + 2]) = (r, g, b)
                }
            }
            let kind = index % 5
            let name = String(format: "%05d", index)
            let file = folder.appendingPathComponent(name + (kind >= 3 ? ".jpg" : ".png"))
            let gray = rgb.indices.filter { $0 % 3 == 0 }.map { rgb[$0] }
            let bytes: [UInt8]
            switch kind {
            case 0: bytes = PNG.encode(width: width, height: height, rgb: rgb)
            case 1: bytes = PNG.encode(width: width, height: height, rgb: gray, channels: 1)
            case 2:
                var rgba = [UInt8](repeating: 0, count: width * height * 4)
                for pixel in 0..<width * height {
                    for c in 0..<3 { rgba[4 * pixel + c] = rgb[3 * pixel + c] }
                    rgba[4 * pixel + 3] = UInt8(truncatingIfNeeded: pixel)
                }
                bytes = PNG.encode(width: width, height: height, rgb: rgba, channels: 4)
            case 3: bytes = JPEG.encode(width: width, height: height, pixels: rgb)
            default: bytes = JPEG.encode(width: width, height: height, pixels: gray, channels: 1)
            }
            try ImageFiles.write(bytes, to: file.path)
            let caption = "a \(colors[foreground].name) square on a \(colors[background].name) background"
            try ImageFiles.write(Array(caption.utf8), to: folder.appendingPathComponent(name + ".txt").path)
            paths.append(file.path)
        }
        return paths
    }
}

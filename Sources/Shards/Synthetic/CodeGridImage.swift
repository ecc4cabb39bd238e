// Rendering a square grid of image codes as a PNG with the synthetic dataset's fixed palette,
// written through libpng (`PNG.encode`).

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

// The built-in synthetic dataset: captions like "a small red circle at the top left on a blue
// background" with code grids a model can learn (colors -> code ranges, shapes -> positions).
import Foundation

/// Deterministic caption/code-grid records and a writer for them as ordinary shards.
///
/// Each of the 8 colors owns the code range `[c * R, c * R + 4)` with `R = imageVocabSize / 8`.
/// Background pixels get `base(bg) + (x + y) % 2` (a checker texture), shape pixels
/// `base(fg) + 2`, and the shape's edge pixels `base(fg) + 3`. The shape's centre moves by up
/// to one cell from the named position (the only randomness the caption does not describe).
public enum SyntheticDataset {
    /// Color names, in code-range order, with the RGB used by `CodeGridImage`.
    public static let colors: [(name: String, rgb: (UInt8, UInt8, UInt8))] = [
        ("red", (220, 40, 40)), ("orange", (245, 140, 30)), ("yellow", (240, 220, 40)),
        ("green", (50, 170, 70)), ("blue", (40, 80, 220)), ("purple", (140, 60, 180)),
        ("white", (245, 245, 245)), ("black", (20, 20, 20)),
    ]
    static let shapes = ["circle", "square", "triangle", "cross"]
    static let sizes = [("small", 2.0), ("large", 4.0)]
    /// Position phrases and centres as fractions of the grid side.
    static let positions: [(phrase: String, x: Double, y: Double)] = [
        ("at the top left", 0.25, 0.25), ("at the top", 0.5, 0.25), ("at the top right", 0.75, 0.25),
        ("on the left", 0.25, 0.5), ("in the center", 0.5, 0.5), ("on the right", 0.75, 0.5),
        ("at the bottom left", 0.25, 0.75), ("at the bottom", 0.5, 0.75), ("at the bottom right", 0.75, 0.75),
    ]

    /// Record `index` of the dataset with `seed`: its caption and (T) codes, T = side x side.
    public static func record(index: Int, seed: UInt64, imageLength: Int = 256, imageVocabSize: Int = 16384)
        -> (caption: String, codes: [UInt16])
    {
        let side = Int(Double(imageLength).squareRoot())
        precondition(
            side * side == imageLength && side >= 8, "image length \(imageLength) is not a square grid >= 8x8"
        )
        precondition(imageVocabSize >= colors.count * 4 && imageVocabSize <= 65536, "vocabulary too small")
        var random = SplitMix64(seed: SplitMix64.derive(seed, UInt64(index), 0x5359_4E54))
        let shape = shapes[random.next(below: shapes.count)]
        let size = sizes[random.next(below: sizes.count)]
        let position = positions[random.next(below: positions.count)]
        let foreground = random.next(below: colors.count)
        let background = (foreground + 1 + random.next(below: colors.count - 1)) % colors.count
        let jitterX = random.next(below: 3) - 1
        let jitterY = random.next(below: 3) - 1
        let rangeWidth = imageVocabSize / colors.count
        let cx = position.x * Double(side) + Double(jitterX)
        let cy = position.y * Double(side) + Double(jitterY)
        let radius = size.1 * Double(side) / 16
        func inside(_ x: Int, _ y: Int) -> Bool {
            guard (0..<side).contains(x), (0..<side).contains(y) else { return false }
            let dx = Double(x) + 0.5 - cx
            let dy = Double(y) + 0.5 - cy
            switch shape {
            case "circle": return dx * dx + dy * dy <= radius * radius
            case "square": return max(abs(dx), abs(dy)) <= radius
            case "triangle": return abs(dy) <= radius && abs(dx) <= (dy + radius) / 2 + 0.5
            default:
                return (abs(dx) <= radius / 3 + 0.5 && abs(dy) <= radius)
                    || (abs(dy) <= radius / 3 + 0.5 && abs(dx) <= radius)
            }
        }
        var codes = [UInt16](repeating: 0, count: imageLength)
        for y in 0..<side {
            for x in 0..<side {
                let code: Int
                if inside(x, y) {
                    let isEdge =
                        !(inside(x - 1, y) && inside(x + 1, y) && inside(x, y - 1) && inside(x, y + 1))
                    code = foreground * rangeWidth + (isEdge ? 3 : 2)
                } else {
                    code = background * rangeWidth + (x + y) % 2
                }
                codes[y * side + x] = UInt16(code)
            }
        }
        let caption =
            "a \(size.0) \(colors[foreground].name) \(shape) \(position.phrase) on a "
            + "\(colors[background].name) background"
        return (caption, codes)
    }

    /// The manifest `source` of a synthetic dataset (used by `ensure` to recognise one).
    static func source(seed: UInt64) -> String { "synthetic shapes v1, seed \(seed)" }

    /// Writes `records` records generated from `seed` as a dataset directory at `url`.
    @discardableResult
    public static func write(
        to url: URL, records: Int, seed: UInt64, imageLength: Int = 256, imageVocabSize: Int = 16384,
        recordsPerShard: Int, recordsPerBlock: Int = 1024
    ) throws -> DatasetManifest {
        let writer = try DatasetWriter(
            directory: url, imageLength: imageLength, imageVocabSize: imageVocabSize,
            recordsPerShard: recordsPerShard,
            recordsPerBlock: recordsPerBlock, source: source(seed: seed))
        for index in 0..<records {
            let record = record(
                index: index, seed: seed, imageLength: imageLength, imageVocabSize: imageVocabSize)
            try writer.append(caption: record.caption, codes: record.codes)
        }
        return try writer.finish()
    }

    /// Opens the synthetic dataset at `url` if a complete one with these parameters is there,
    /// else (re)writes it first.
    public static func ensure(
        at url: URL, records: Int, seed: UInt64, imageLength: Int = 256, imageVocabSize: Int = 16384,
        recordsPerShard: Int, recordsPerBlock: Int = 1024
    ) throws -> Dataset {
        if let existing = try? Dataset(directory: url), existing.manifest.source == source(seed: seed),
            existing.manifest.recordCount == records, existing.manifest.imageLength == imageLength,
            existing.manifest.imageVocabSize == imageVocabSize
        {
            return existing
        }
        try write(
            to: url, records: records, seed: seed, imageLength: imageLength, imageVocabSize: imageVocabSize,
            recordsPerShard: recordsPerShard, recordsPerBlock: recordsPerBlock)
        return try Dataset(directory: url)
    }
}

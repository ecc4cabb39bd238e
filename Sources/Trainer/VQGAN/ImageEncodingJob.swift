// `encode-images` without the ranks: one rank's share of a dataset's images encoded into a
// part file (one JSON line per image, appended and flushed, so an interrupted job resumes), and
// the merge of every rank's parts into dalle-mini's `{"caption", "encoding"}` JSON Lines plus
// skipped.jsonl, in input order. Ranks are plain Ints here; the caller synchronises them.
import Foundation
import Shards

/// One image's outcome in a part file: its codes, or why it was skipped.
struct EncodedImage: Codable {
    var index: Int
    var encoding: [Int32]?
    var skipped: String?
}

/// Encodes images with a VQGAN and merges the results of every rank.
public final class ImageEncodingJob {
    /// Directory of the per-rank part files inside the output directory.
    public static let partsDirectory = "encoding-parts"
    /// Name of the merged dalle-mini JSON Lines inside the parts directory.
    public static let mergedFile = "encoded.jsonl"

    let model: VQGAN
    let items: [ImageItem]
    let partsURL: URL
    private var pixels: [Float]
    private var codes: [Int32]

    /// A job over `items` writing parts below `output`.
    public init(model: VQGAN, items: [ImageItem], output: URL) throws {
        self.model = model
        self.items = items
        partsURL = output.appendingPathComponent(Self.partsDirectory)
        let c = model.config
        pixels = [Float](repeating: 0, count: c.resolution * c.resolution * c.inputChannels)
        codes = [Int32](repeating: 0, count: c.tokensPerImage)
        do {
            try FileManager.default.createDirectory(at: partsURL, withIntermediateDirectories: true)
        } catch {
            throw ImageError(path: partsURL.path, "cannot create: \(error.localizedDescription)")
        }
    }

    /// Indices already encoded or skipped by any earlier run (any rank count).
    public func completedIndices() throws -> Set<Int> { Set(try readParts().keys) }

    /// Encodes the images `index % worldSize == rank` not in `done`, appending each outcome to
    /// this rank's part file. `progress(encodedByThisRank, assignedToThisRank)` runs after each.
    public func run(rank: Int, worldSize: Int, done: Set<Int>, progress: (Int, Int) -> Void) throws {
        let mine = items.indices.filter { $0 % worldSize == rank && !done.contains($0) }
        let url = partsURL.appendingPathComponent("part-\(rank).jsonl")
        let part = try PartFile(url: url)
        for (count, index) in mine.enumerated() {
            try part.append(encode(index))
            progress(count + 1, mine.count)
        }
    }

    /// Reads, preprocesses and encodes item `index`; a bad image or missing caption is skipped.
    func encode(_ index: Int) -> EncodedImage {
        let item = items[index]
        guard item.caption != nil else { return EncodedImage(index: index, skipped: "no caption") }
        do {
            let image = try ImageDecoder.decode(path: item.path)
            let c = model.config
            let square = ImagePreprocessing.resizeAndCrop(image, size: c.resolution)
            square.pixels.withUnsafeBufferPointer { bytes in
                pixels.withUnsafeMutableBufferPointer { VQGANPixels.floats(bytes, into: $0.baseAddress!) }
            }
            model.encode(pixels: pixels, codes: &codes)
            return EncodedImage(index: index, encoding: codes)
        } catch {
            return EncodedImage(index: index, skipped: "\(error)")
        }
    }

    /// Every outcome in the part files, by index (unparseable lines, from an interrupted
    /// write, are ignored: that image is encoded again).
    func readParts() throws -> [Int: EncodedImage] {
        var outcomes: [Int: EncodedImage] = [:]
        let names = (try? FileManager.default.contentsOfDirectory(atPath: partsURL.path)) ?? []
        let decoder = JSONDecoder()
        for name in names.sorted() where name.hasPrefix("part-") && name.hasSuffix(".jsonl") {
            let data = try Data(contentsOf: partsURL.appendingPathComponent(name))
            for line in data.split(separator: UInt8(ascii: "\n")) {
                guard let outcome = try? decoder.decode(EncodedImage.self, from: Data(line)),
                    items.indices.contains(outcome.index)
                else { continue }
                outcomes[outcome.index] = outcome
            }
        }
        return outcomes
    }

    /// Writes dalle-mini JSON Lines (input order, skipped images left out) to `jsonl` and
    /// `skipped.jsonl` beside the parts; returns (records, skipped). Throws when an image has
    /// no outcome yet.
    public func merge(jsonl: URL, skippedURL: URL) throws -> (records: Int, skipped: Int) {
        let outcomes = try readParts()
        var records = Data()
        var skipped = Data()
        var counts = (records: 0, skipped: 0)
        for (index, item) in items.enumerated() {
            guard let outcome = outcomes[index] else {
                throw ImageError(path: item.path, "image \(index) has not been encoded by any rank")
            }
            if let encoding = outcome.encoding, let caption = item.caption {
                records += try JSONSerialization.data(
                    withJSONObject: ["caption": caption, "encoding": encoding], options: [.sortedKeys])
                records.append(UInt8(ascii: "\n"))
                counts.records += 1
            } else {
                let line: [String: Any] = [
                    "index": index, "path": item.path, "reason": outcome.skipped ?? "unknown",
                ]
                skipped += try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
                skipped.append(UInt8(ascii: "\n"))
                counts.skipped += 1
            }
        }
        for (data, url) in [(records, jsonl), (skipped, skippedURL)] {
            do { try data.write(to: url, options: .atomic) } catch {
                throw ImageError(path: url.path, "cannot write: \(error.localizedDescription)")
            }
        }
        return counts
    }
}

/// An append-only JSON Lines file, flushed after every line.
final class PartFile {
    let handle: FileHandle
    let url: URL

    init(url: URL) throws {
        self.url = url
        if !FileManager.default.fileExists(atPath: url.path) {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        do {
            handle = try FileHandle(forUpdating: url)
            let end = try handle.seekToEnd()
            if end > 0 {
                // A line cut short by an interrupted run: end it so the next line stands alone.
                try handle.seek(toOffset: end - 1)
                if try handle.read(upToCount: 1) != Data([UInt8(ascii: "\n")]) {
                    try handle.write(contentsOf: Data([UInt8(ascii: "\n")]))
                }
            }
        } catch {
            throw ImageError(path: url.path, "cannot open for appending: \(error.localizedDescription)")
        }
    }

    deinit { try? handle.close() }

    func append(_ outcome: EncodedImage) throws {
        do {
            var line = try JSONEncoder().encode(outcome)
            line.append(UInt8(ascii: "\n"))
            try handle.write(contentsOf: line)
            try handle.synchronize()
        } catch {
            throw ImageError(path: url.path, "cannot append: \(error.localizedDescription)")
        }
    }
}

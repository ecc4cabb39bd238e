// The image stages of `VQGANReferenceCheck`: the fixture's source PNGs through our decoder,
// resize and centre crop against the reference pixels (exact), and the decoded PNGs.
import Foundation
import Shards

extension VQGANReferenceCheck {
    /// Preprocesses `images/<name>.png` for every name of `expected.json["images"]`; compares with
    /// `images_uint8` and every `<name>.resized` of `inputs.safetensors` (exact).
    mutating func checkPreprocessing(directory: URL, inputs: SafeTensorsFile, names: [String]) throws {
        let size = model.config.resolution
        let reference = try inputs.bytes("images_uint8")
        var ours: [UInt8] = []
        var resizedError = 0.0
        for name in names {
            let path = directory.appendingPathComponent("images/\(name).png").path
            let image = try ImageDecoder.decode(path: path)
            let target = ImagePreprocessing.resizedSize(width: image.width, height: image.height, size: size)
            let resized = ImagePreprocessing.resize(image, width: target.width, height: target.height)
            if inputs.contains("\(name).resized") {
                let expected = try inputs.bytes("\(name).resized")
                resizedError = max(resizedError, Self.maxByteDifference(resized.pixels, expected))
            }
            ours += ImagePreprocessing.centerCrop(resized, size: size).pixels
        }
        stages.append(VQGANStageCheck(name: "resized", maxAbsolute: [resizedError], tolerance: [0]))
        stages.append(
            Self.compareBytes("images_uint8", ours, reference, images: names.count, allowOffByOne: false))
    }

    /// `decoded/<name>.png` against our 8-bit decoded images (±1 at a handful of values).
    mutating func checkDecodedFiles(directory: URL, decoded: [UInt8], names: [String]) throws {
        var files: [UInt8] = []
        for name in names {
            files += try ImageDecoder.decode(
                path: directory.appendingPathComponent("decoded/\(name).png").path
            ).pixels
        }
        stages.append(Self.compareBytes("decoded/*.png", decoded, files, images: names.count))
    }

    /// Largest |a − b| over two byte arrays (infinity when their sizes differ).
    static func maxByteDifference(_ a: [UInt8], _ b: [UInt8]) -> Double {
        guard a.count == b.count else { return .infinity }
        return zip(a, b).reduce(0.0) { max($0, Double(abs(Int($1.0) - Int($1.1)))) }
    }

    /// The image names of `expected.json["images"]` in batch order.
    static func imageNames(_ url: URL) throws -> [String] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        guard let names = object?["images"] as? [String] else {
            throw ModelIOError(file: url.path, "no 'images' list")
        }
        return names
    }
}

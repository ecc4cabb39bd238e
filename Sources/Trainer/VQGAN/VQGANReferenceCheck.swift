// `check-reference --vqgan`: runs a VQGAN fixture folder (model/, inputs, encode, decode and
// intermediates safetensors, expected.json) and compares every stage with its tolerance:
// encoder output, quantizer input, indices (near ties allowed), codebook rows, distances,
// decoded floats and decoded 8-bit pixels.
import Foundation

/// The result of comparing one stage with the reference, per image.
public struct VQGANStageCheck: Sendable {
    /// Stage name as the fixture names it (`encoder_out`, `decoded`, ...).
    public var name: String
    /// Largest absolute difference per image.
    public var maxAbsolute: [Double]
    /// Tolerance per image (nil: informational only, never fails).
    public var tolerance: [Double]?
    /// A note printed with the stage (near ties, 1-LSB differences).
    public var note = ""

    /// True when every image is within its tolerance.
    public var passes: Bool {
        guard let tolerance else { return true }
        return zip(maxAbsolute, tolerance).allSatisfy { $0 <= $1 }
    }
}

/// Compares a VQGAN against a fixture folder; see docs/FORMATS.md for the layout.
public struct VQGANReferenceCheck {
    /// Every compared stage, in pipeline order.
    public internal(set) var stages: [VQGANStageCheck] = []
    /// The model the check loaded from `model/`.
    public let model: VQGAN

    /// True when every stage passes.
    public var passes: Bool { stages.allSatisfy(\.passes) }

    /// Loads `directory/model` and runs every image of `inputs.safetensors`' `pixel_values`.
    public init(directory: URL) throws {
        model = try VQGAN(weights: VQGANWeights(directory: directory.appendingPathComponent("model")))
        let c = model.config
        let inputs = try SafeTensorsFile(contentsOf: directory.appendingPathComponent("inputs.safetensors"))
        let encoded = try SafeTensorsFile(contentsOf: directory.appendingPathComponent("encode.safetensors"))
        let decodedFile = try SafeTensorsFile(
            contentsOf: directory.appendingPathComponent("decode.safetensors"))
        let tolerances = try Self.tolerances(directory.appendingPathComponent("expected.json"))

        let pixels = try inputs.floats("pixel_values")
        let imageCount = try inputs.entry("pixel_values").shape.first ?? 0
        let (n, d, side) = (c.tokensPerImage, c.embeddingDimension, c.resolution)
        let pixelCount = side * side * c.inputChannels
        guard imageCount > 0, pixels.count == imageCount * pixelCount else {
            throw SafeTensorsError.wrongShape(
                path: "inputs.safetensors", name: "pixel_values",
                expected: [imageCount, side, side, c.inputChannels],
                found: try inputs.entry("pixel_values").shape)
        }
        let expectedURL = directory.appendingPathComponent("expected.json")
        let names = try Self.imageNames(expectedURL)
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent("images").path) {
            try checkPreprocessing(directory: directory, inputs: inputs, names: names)
        }
        var encoderOut = [Float](repeating: 0, count: imageCount * n * c.encoderOutputChannels)
        var latents = [Float](repeating: 0, count: imageCount * n * d)
        var codes = [Int32](repeating: 0, count: imageCount * n)
        for image in 0..<imageCount {
            let trace = VQGANTrace()
            pixels.withUnsafeBufferPointer { p in
                latents.withUnsafeMutableBufferPointer { l in
                    codes.withUnsafeMutableBufferPointer { codes in
                        model.encode(
                            pixels: p.baseAddress! + image * pixelCount,
                            codes: codes.baseAddress! + image * n,
                            latents: l.baseAddress! + image * n * d, trace: trace)
                    }
                }
            }
            let out = trace.stages["encoder"] ?? []
            encoderOut.replaceSubrange(image * out.count..<(image + 1) * out.count, with: out)
        }
        stages.append(
            Self.compare(
                "encoder_out", encoderOut, try encoded.floats("encoder_out"), images: imageCount,
                tolerance: tolerances["encoder_out"]))
        stages.append(
            Self.compare(
                "pre_quant", latents, try encoded.floats("pre_quant"), images: imageCount,
                tolerance: tolerances["pre_quant"]))
        try checkCodes(
            codes: codes, latents: latents, encoded: encoded, images: imageCount,
            tolerance: tolerances["best_distance"])
        try checkDecoder(
            decodedFile: decodedFile, referenceCodes: try encoded.int32s("indices"), images: imageCount,
            tolerance: tolerances["decoded"], directory: directory, imageNames: names)
        try checkIntermediates(
            directory: directory, pixels: pixels, referenceCodes: try encoded.int32s("indices"))
    }

    /// Per-image tolerances from `expected.json["suggested_tolerances_float32"]`.
    static func tolerances(_ url: URL) throws -> [String: [Double]] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        guard let root = object as? [String: Any],
            let table = root["suggested_tolerances_float32"] as? [String: Any]
        else {
            throw ModelIOError(file: url.path, "no 'suggested_tolerances_float32' object")
        }
        var result: [String: [Double]] = [:]
        for stage in ["encoder_out", "pre_quant", "decoded", "best_distance"] {
            guard let values = table["\(stage)_max_abs_per_image"] as? [Double] else {
                throw ModelIOError(file: url.path, location: stage, "no '\(stage)_max_abs_per_image' list")
            }
            result[stage] = values
        }
        return result
    }

    /// Max |ours − reference| per image (arrays of equal length, split evenly into images).
    static func compare(
        _ name: String, _ ours: [Float], _ reference: [Float], images: Int, tolerance: [Double]?
    ) -> VQGANStageCheck {
        guard ours.count == reference.count, images > 0 else {
            return VQGANStageCheck(
                name: name, maxAbsolute: [.infinity], tolerance: [0],
                note: "\(ours.count) values, the reference has \(reference.count)")
        }
        let per = ours.count / images
        let worst = (0..<images).map { image in
            (image * per..<(image + 1) * per).reduce(0.0) { max($0, Double(abs(ours[$1] - reference[$1]))) }
        }
        return VQGANStageCheck(name: name, maxAbsolute: worst, tolerance: tolerance)
    }
}

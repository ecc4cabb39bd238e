// The quantizer, decoder and intermediate-stage comparisons of `VQGANReferenceCheck`.
import Foundation

extension VQGANReferenceCheck {
    /// Indices (exact except near ties by our own distances), codebook rows (bit-exact) and the
    /// distance at the reference index.
    mutating func checkCodes(
        codes: [Int32], latents: [Float], encoded: SafeTensorsFile, images: Int, tolerance: [Double]?
    ) throws {
        let c = model.config
        let (n, d) = (c.tokensPerImage, c.embeddingDimension)
        let reference = try encoded.int32s("indices")
        let referenceDistance = try encoded.floats("best_distance")
        let referenceQuantized = try encoded.floats("quantized")
        guard reference.count == codes.count, referenceDistance.count == codes.count,
            referenceQuantized.count == latents.count,
            reference.allSatisfy({ (0..<c.codebookSize).contains(Int($0)) })
        else {
            throw ModelIOError(
                file: "encode.safetensors", "indices, best_distance or quantized have the wrong size")
        }
        var distanceError = [Double](repeating: 0, count: images)
        var indexError = [Double](repeating: 0, count: images)
        var quantizedError = [Double](repeating: 0, count: images)
        var notes: [String] = []
        var row = [Float](repeating: 0, count: d)
        for token in 0..<codes.count {
            let image = token / n
            let (ours, theirs) = (Int(codes[token]), Int(reference[token]))
            let (toOurs, toTheirs) = latents.withUnsafeBufferPointer { l in
                (
                    model.distance(latent: l.baseAddress! + token * d, code: ours),
                    model.distance(latent: l.baseAddress! + token * d, code: theirs)
                )
            }
            distanceError[image] = max(distanceError[image], Double(abs(toTheirs - referenceDistance[token])))
            let allowed = tolerance?[image] ?? 0
            if ours != theirs {
                let gap = Double(toTheirs - toOurs)
                notes.append("image \(image) token \(token % n): \(ours) vs \(theirs) (gap \(gap))")
                if gap > allowed { indexError[image] = .infinity }
                continue
            }
            row.withUnsafeMutableBufferPointer { model.codebookRow(ours, into: $0.baseAddress!) }
            for k in 0..<d where row[k].bitPattern != referenceQuantized[token * d + k].bitPattern {
                quantizedError[image] = max(
                    quantizedError[image], Double(abs(row[k] - referenceQuantized[token * d + k])))
            }
        }
        stages.append(
            VQGANStageCheck(
                name: "indices", maxAbsolute: indexError, tolerance: Array(repeating: 0, count: images),
                note: notes.isEmpty ? "all equal" : "near ties: " + notes.joined(separator: "; ")))
        stages.append(
            VQGANStageCheck(
                name: "quantized", maxAbsolute: quantizedError, tolerance: Array(repeating: 0, count: images),
                note: "bit-exact codebook rows"))
        stages.append(
            VQGANStageCheck(name: "best_distance", maxAbsolute: distanceError, tolerance: tolerance))
    }

    /// Decodes the reference indices: floats against `decoded`, 8-bit pixels against
    /// `decoded_uint8` (±1 allowed at no more than 0.1 % of the values).
    mutating func checkDecoder(
        decodedFile: SafeTensorsFile, referenceCodes: [Int32], images: Int, tolerance: [Double]?,
        directory: URL, imageNames: [String]?
    ) throws {
        let c = model.config
        let n = c.tokensPerImage
        let count = c.resolution * c.resolution * c.outputChannels
        var decoded = [Float](repeating: 0, count: images * count)
        try decoded.withUnsafeMutableBufferPointer { out in
            try referenceCodes.withUnsafeBufferPointer { codes in
                guard codes.count == images * n else {
                    throw ModelIOError(file: "encode.safetensors", location: "indices", "wrong size")
                }
                for image in 0..<images {
                    model.decode(
                        codes: codes.baseAddress! + image * n, pixels: out.baseAddress! + image * count)
                }
            }
        }
        stages.append(
            Self.compare(
                "decoded", decoded, try decodedFile.floats("decoded"), images: images, tolerance: tolerance))
        let reference = try decodedFile.bytes("decoded_uint8")
        let ours = VQGANPixels.bytes(decoded)
        stages.append(Self.compareBytes("decoded_uint8", ours, reference, images: images))
        if let names = imageNames,
            FileManager.default.fileExists(atPath: directory.appendingPathComponent("decoded").path)
        {
            try checkDecodedFiles(directory: directory, decoded: ours, names: names)
        }
    }

    /// 8-bit images: exact except ±1 at no more than 0.1 % of the values.
    static func compareBytes(
        _ name: String, _ ours: [UInt8], _ reference: [UInt8], images: Int, allowOffByOne: Bool = true
    ) -> VQGANStageCheck {
        guard ours.count == reference.count, images > 0 else {
            return VQGANStageCheck(
                name: name, maxAbsolute: [.infinity], tolerance: [0],
                note: "\(ours.count) values, the reference has \(reference.count)")
        }
        var worst = [Double](repeating: 0, count: images)
        var offByOne = 0
        let per = ours.count / images
        for i in 0..<ours.count {
            let difference = abs(Int(ours[i]) - Int(reference[i]))
            offByOne += difference == 1 ? 1 : 0
            worst[i / per] = max(worst[i / per], Double(difference))
        }
        let allowed = max(1, ours.count / 1000)
        let limit: Double = allowOffByOne && offByOne <= allowed ? 1 : 0
        return VQGANStageCheck(
            name: name, maxAbsolute: worst, tolerance: Array(repeating: limit, count: images),
            note: "\(offByOne) of \(ours.count) values differ by 1 (at most \(allowed) may)")
    }

    /// Stage outputs of image 0 against `intermediates.safetensors` (informational: max |Δ|
    /// relative to max(1, max |stage|); about 1e-4 is expected).
    mutating func checkIntermediates(directory: URL, pixels: [Float], referenceCodes: [Int32]) throws {
        let url = directory.appendingPathComponent("intermediates.safetensors")
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        let file = try SafeTensorsFile(contentsOf: url)
        let trace = VQGANTrace()
        let c = model.config
        var codes = [Int32](repeating: 0, count: c.tokensPerImage)
        var output = [Float](repeating: 0, count: c.resolution * c.resolution * c.outputChannels)
        pixels.withUnsafeBufferPointer { model.encode(pixels: $0.baseAddress!, codes: &codes, trace: trace) }
        let decodeTrace = VQGANTrace()
        Array(referenceCodes.prefix(c.tokensPerImage)).withUnsafeBufferPointer {
            model.decode(codes: $0.baseAddress!, pixels: &output, trace: decodeTrace)
        }
        trace.stages.merge(decodeTrace.stages) { a, _ in a }
        for name in trace.stages.keys.sorted() where file.contains(name) {
            let reference = try file.floats(name)
            let scale = max(1, reference.reduce(0) { max($0, Double(abs($1))) })
            var check = Self.compare(name, trace.stages[name] ?? [], reference, images: 1, tolerance: nil)
            check.name = "intermediate " + name
            check.maxAbsolute = check.maxAbsolute.map { $0 / scale }
            check.note = "relative to max(1, max |stage|), informational"
            stages.append(check)
        }
    }
}

// The convolutions of CConvKernel: which algorithm runs a geometry, the scratch they need, and
// their split over threads (fixed tiles, so any thread count gives the same bits).
import CConvKernel

/// How a convolution is computed.
public enum ConvAlgorithm: String, CaseIterable, Sendable {
    /// Winograd F(2×2, 3×3): 2.25x fewer multiply-adds (3×3, stride 1, "same", optional ×2 upsampling).
    case winograd
    /// The direct register-tile kernel over the input in place (3×3 or 2×2, any stride and padding).
    case direct
    /// im2col chunks times the kernel through Linear.product (any geometry).
    case im2col

    /// The fastest algorithm that runs `g` with `scratch`.
    static func fastest(for g: ConvGeometry, scratch: ConvScratch) -> ConvAlgorithm {
        let transformed = ConvScratch.winogradKernelCount(inputs: g.inputs, outputs: g.outputs)
        if scratch.winograd != nil && scratch.zeros != nil && scratch.columnCount >= transformed
            && runs(.winograd, g)
        {
            return .winograd
        }
        let packed = g.size * g.size * g.inputs * g.outputs
        if scratch.zeros != nil && scratch.columnCount >= packed && runs(.direct, g) { return .direct }
        return .im2col
    }

    /// Whether `algorithm` can compute `g`.
    static func runs(_ algorithm: ConvAlgorithm, _ g: ConvGeometry) -> Bool {
        switch algorithm {
        case .winograd:
            var geometry = g.kernelGeometry
            return g.padAfter == 1 && cconv_winograd_applies(&geometry) != 0
        case .direct:
            return g.size > 1 && g.size <= Int(CCONV_MAX_SIZE) && g.inputs >= 16
                && g.outputs % Int(CCONV_BLOCK) == 0
        case .im2col:
            return true
        }
    }

    /// Multiply-adds this algorithm runs for `g`: 16 per 2×2 tile, input and output channel for
    /// Winograd (the transforms only add), the direct convolution's count otherwise.
    func multiplyAdds(_ g: ConvGeometry) -> Int {
        guard self == .winograd else { return g.multiplyAdds }
        return 16 * ((g.outputHeight + 1) / 2) * ((g.outputWidth + 1) / 2) * g.inputs * g.outputs
    }

    /// The register-tile kernel's instruction sets this CPU runs, widest first.
    static var instructionSets: [String] {
        ["avx512f", "avx2", "scalar"].filter { cconv_supports($0) != 0 }
    }
}

/// Scratch memory of the convolutions.
struct ConvScratch {
    /// im2col rows, or the packed (direct) or transformed (Winograd) kernel.
    var columns: UnsafeMutablePointer<Float>
    var columnCount: Int
    /// At least `inputs` zeros, read outside the input (nil: no direct or Winograd convolution).
    var zeros: UnsafePointer<Float>?
    /// Per-thread Winograd scratch areas, `winogradSlotCount` floats for each thread of `pool`
    /// (nil: no Winograd convolution).
    var winograd: UnsafeMutablePointer<Float>?
    /// The threads that split the direct and Winograd convolutions.
    var pool = WorkerPool(threads: 1)

    /// Floats of one thread's Winograd scratch.
    static let winogradSlotCount = Int(CCONV_WINOGRAD_SCRATCH)
    /// Floats the transformed kernel of a 3×3 convolution needs in `columns`.
    static func winogradKernelCount(inputs: Int, outputs: Int) -> Int { 16 * inputs * outputs }
}

extension ConvGeometry {
    /// The same geometry as CConvKernel takes it.
    var kernelGeometry: cconv_geometry {
        cconv_geometry(
            height: height, width: width, inputs: inputs, outputs: outputs, size: size, stride: stride,
            pad_before: padBefore, upsample: upsample, output_height: outputHeight, output_width: outputWidth)
    }
}

extension Conv2D {
    /// The direct kernel; output pixels split over the scratch's pool.
    static func direct(
        out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, kernel: UnsafePointer<Float>,
        bias: UnsafePointer<Float>, geometry g: ConvGeometry, scratch: ConvScratch, accumulate: Bool,
        instructionSet: String?
    ) {
        guard let zeros = scratch.zeros else { preconditionFailure("a direct convolution needs zeros") }
        let depth = g.size * g.size * g.inputs
        precondition(scratch.columnCount >= depth * g.outputs, "packed kernel scratch too small")
        cconv_pack(kernel, depth, g.outputs, scratch.columns)
        var geometry = g.kernelGeometry
        let pool = scratch.pool
        let pixels = g.outputHeight * g.outputWidth
        let parts = min(pool.threadCount, g.outputHeight)
        pool.run(parts: parts) { part, _ in
            cconv_pixels(
                &geometry, input, scratch.columns, bias, zeros, out, pixels * part / parts,
                pixels * (part + 1) / parts, accumulate ? 1 : 0, instructionSet)
        }
    }

    /// Winograd F(2×2, 3×3); rows of 2×2 tiles split over the scratch's pool.
    static func winograd(
        out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, kernel: UnsafePointer<Float>,
        bias: UnsafePointer<Float>, geometry g: ConvGeometry, scratch: ConvScratch, accumulate: Bool,
        instructionSet: String?
    ) {
        guard let zeros = scratch.zeros, let slots = scratch.winograd else {
            preconditionFailure("a Winograd convolution needs zeros and Winograd scratch")
        }
        let transformed = ConvScratch.winogradKernelCount(inputs: g.inputs, outputs: g.outputs)
        precondition(scratch.columnCount >= transformed, "transformed kernel scratch too small")
        cconv_winograd_pack(kernel, g.inputs, g.outputs, scratch.columns)
        var geometry = g.kernelGeometry
        let pool = scratch.pool
        let tileRows = (g.outputHeight + 1) / 2
        let parts = min(pool.threadCount, tileRows)
        pool.run(parts: parts) { part, _ in
            cconv_winograd_rows(
                &geometry, input, scratch.columns, bias, zeros, out, tileRows * part / parts,
                tileRows * (part + 1) / parts, accumulate ? 1 : 0, instructionSet,
                slots + part * ConvScratch.winogradSlotCount)
        }
    }
}

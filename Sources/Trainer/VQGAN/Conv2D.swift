// 2-D convolution (cross-correlation) over one NHWC image, as flax nn.Conv computes it: HWIO
// kernels, zero padding, stride; a nearest ×2 upsampling of the input can be fused in. 3×3
// kernels with outputs in blocks of 32 run Winograd or the direct kernel (Conv2D+Kernels), the
// others Linear.product on im2col chunks of output rows (no per-call allocation either way).

/// Geometry of one convolution: input size, kernel size, stride, padding and fused upsampling.
struct ConvGeometry {
    var height: Int
    var width: Int
    var inputs: Int
    var outputs: Int
    var size: Int
    var stride = 1
    /// Zero padding before (top/left) and after (bottom/right) each spatial axis.
    var padBefore = 0
    var padAfter = 0
    /// 2 reads the input as if upsampled ×2 by nearest neighbour first (vqgan's Upsample).
    var upsample = 1

    /// Output height and width.
    var outputHeight: Int { (height * upsample + padBefore + padAfter - size) / stride + 1 }
    var outputWidth: Int { (width * upsample + padBefore + padAfter - size) / stride + 1 }
    /// Multiply-adds per image.
    var multiplyAdds: Int { outputHeight * outputWidth * size * size * inputs * outputs }

    /// A size×size, stride-1 convolution keeping the spatial size ("SAME" padding).
    static func same(height: Int, width: Int, inputs: Int, outputs: Int, size: Int) -> ConvGeometry {
        ConvGeometry(
            height: height, width: width, inputs: inputs, outputs: outputs, size: size,
            padBefore: (size - 1) / 2,
            padAfter: size / 2)
    }
}

/// flax `nn.Conv` forward over one NHWC image.
enum Conv2D {
    /// out = conv(input, kernel) + bias, or out += that with `accumulate`, by `algorithm` (nil:
    /// the fastest that runs `g` with `scratch`). `instructionSet` picks the register-tile
    /// kernel's ("avx512f", "avx2", "scalar"; nil: the widest the CPU has), for tests.
    static func forward(
        out: UnsafeMutablePointer<Float>,  // (Ho, Wo, outputs)
        input: UnsafePointer<Float>,  // (H, W, inputs)
        kernel: UnsafePointer<Float>,  // (size, size, inputs, outputs)
        bias: UnsafePointer<Float>,  // (outputs)
        geometry g: ConvGeometry, scratch: ConvScratch, accumulate: Bool = false,
        algorithm: ConvAlgorithm? = nil, instructionSet: String? = nil
    ) {
        switch algorithm ?? ConvAlgorithm.fastest(for: g, scratch: scratch) {
        case .winograd:
            winograd(
                out: out, input: input, kernel: kernel, bias: bias, geometry: g, scratch: scratch,
                accumulate: accumulate, instructionSet: instructionSet)
        case .direct:
            direct(
                out: out, input: input, kernel: kernel, bias: bias, geometry: g, scratch: scratch,
                accumulate: accumulate, instructionSet: instructionSet)
        case .im2col:
            im2col(
                out: out, input: input, kernel: kernel, bias: bias, geometry: g, scratch: scratch.columns,
                scratchCount: scratch.columnCount, accumulate: accumulate)
        }
    }

    /// The product through Linear.product: one GEMM for 1×1 kernels, else im2col chunks of rows.
    /// `scratch` holds at least `g.outputWidth · size² · inputs` floats (one output row of
    /// im2col); larger scratch lets more rows share one GEMM.
    static func im2col(
        out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, kernel: UnsafePointer<Float>,
        bias: UnsafePointer<Float>, geometry g: ConvGeometry, scratch: UnsafeMutablePointer<Float>,
        scratchCount: Int, accumulate: Bool
    ) {
        let (ho, wo, cout) = (g.outputHeight, g.outputWidth, g.outputs)
        let depth = g.size * g.size * g.inputs
        if !accumulate {
            for pixel in 0..<ho * wo { (out + pixel * cout).update(from: bias, count: cout) }
        } else {
            for pixel in 0..<ho * wo { VectorMath.add(bias, into: out + pixel * cout, cout) }
        }
        let isPointwise =
            g.size == 1 && g.stride == 1 && g.upsample == 1 && g.padBefore == 0 && g.padAfter == 0
        if isPointwise {
            Linear.product(
                rows: ho * wo, columns: cout, inner: depth, a: input, lda: depth, b: kernel, ldb: cout,
                c: out,
                ldc: cout, beta: 1)
            return
        }
        precondition(scratchCount >= wo * depth, "im2col scratch \(scratchCount) < one row \(wo * depth)")
        let rowsPerChunk = max(1, min(ho, scratchCount / (wo * depth)))
        var row = 0
        while row < ho {
            let rows = min(rowsPerChunk, ho - row)
            gatherPatches(scratch, input: input, geometry: g, firstRow: row, rows: rows)
            Linear.product(
                rows: rows * wo, columns: cout, inner: depth, a: scratch, lda: depth, b: kernel, ldb: cout,
                c: out + row * wo * cout, ldc: cout, beta: 1)
            row += rows
        }
    }

    /// im2col for output rows [firstRow, firstRow + rows): row (y, x) holds the receptive field
    /// in (ky, kx, channel) order, zeros outside the (virtually upsampled) input.
    private static func gatherPatches(
        _ columns: UnsafeMutablePointer<Float>,  // (rows · Wo, size · size · inputs)
        input: UnsafePointer<Float>, geometry g: ConvGeometry, firstRow: Int, rows: Int
    ) {
        let (wo, c, k, up) = (g.outputWidth, g.inputs, g.size, g.upsample)
        let (virtualHeight, virtualWidth) = (g.height * up, g.width * up)
        let depth = k * k * c
        for y in firstRow..<firstRow + rows {
            for x in 0..<wo {
                var patch = columns + ((y - firstRow) * wo + x) * depth
                for ky in 0..<k {
                    let vy = y * g.stride + ky - g.padBefore
                    let rowInside = vy >= 0 && vy < virtualHeight
                    for kx in 0..<k {
                        let vx = x * g.stride + kx - g.padBefore
                        if rowInside && vx >= 0 && vx < virtualWidth {
                            patch.update(from: input + ((vy / up) * g.width + vx / up) * c, count: c)
                        } else {
                            patch.update(repeating: 0, count: c)
                        }
                        patch += c
                    }
                }
            }
        }
    }

    /// 2×2 average pooling with stride 2 (vqgan's Downsample without convolution).
    static func averagePool(
        out: UnsafeMutablePointer<Float>,  // (H/2, W/2, C)
        input: UnsafePointer<Float>,  // (H, W, C)
        height: Int, width: Int, channels: Int
    ) {
        let (ho, wo, c) = (height / 2, width / 2, channels)
        for y in 0..<ho {
            for x in 0..<wo {
                let o = out + (y * wo + x) * c
                let a = input + ((2 * y) * width + 2 * x) * c
                let b = a + width * c
                for i in 0..<c { o[i] = (a[i] + a[c + i] + b[i] + b[c + i]) * 0.25 }
            }
        }
    }

    /// Nearest-neighbour ×2 (vqgan's Upsample without convolution).
    static func upsample(
        out: UnsafeMutablePointer<Float>,  // (2H, 2W, C)
        input: UnsafePointer<Float>,  // (H, W, C)
        height: Int, width: Int, channels: Int
    ) {
        for y in 0..<2 * height {
            for x in 0..<2 * width {
                (out + (y * 2 * width + x) * channels).update(
                    from: input + ((y / 2) * width + x / 2) * channels, count: channels)
            }
        }
    }
}

// 3×3 stride-1 "SAME" convolutions by Winograd's F(2×2, 3×3): each 2×2 output tile from a 4×4
// input tile with 16 multiplies per (input, output) channel pair instead of 36. The 16 products
// run as 16 sgemms over chunks of tiles (docs/PERFORMANCE.md, VQGAN).

/// Winograd F(2×2, 3×3) for the VQGAN's 3×3 convolutions (optionally reading a ×2 upsampled input).
enum WinogradConv {
    /// True for the convolutions this path computes: 3×3, stride 1, one pixel of zero padding on
    /// each side, and enough input channels for the 16 products to be proper GEMMs.
    static func applies(_ g: ConvGeometry) -> Bool {
        g.size == 3 && g.stride == 1 && g.padBefore == 1 && g.padAfter == 1 && g.inputs >= 16
    }

    /// Floats of scratch needed: the transformed kernel, a zero row, and one tile's transforms.
    static func minimumScratch(_ g: ConvGeometry) -> Int {
        16 * g.inputs * g.outputs + g.inputs + tileFloats(g)
    }

    private static func tileFloats(_ g: ConvGeometry) -> Int { 16 * (g.inputs + g.outputs) }

    /// out += conv(input, kernel) (the bias is already in `out`).
    static func forward(
        out: UnsafeMutablePointer<Float>,  // (Ho, Wo, outputs)
        input: UnsafePointer<Float>,  // (H, W, inputs)
        kernel: UnsafePointer<Float>,  // (3, 3, inputs, outputs)
        geometry g: ConvGeometry, scratch: UnsafeMutablePointer<Float>, scratchCount: Int
    ) {
        precondition(applies(g) && scratchCount >= minimumScratch(g), "Winograd scratch too small")
        let (ci, co) = (g.inputs, g.outputs)
        let buffers = TileBuffers()
        let u = scratch
        transformKernel(kernel, into: u, inputs: ci, outputs: co)
        let zeros = u + 16 * ci * co
        zeros.update(repeating: 0, count: ci)
        let rest = zeros + ci
        let chunk = (scratchCount - 16 * ci * co - ci) / tileFloats(g)
        let (ho, wo) = (g.outputHeight, g.outputWidth)
        let tilesX = (wo + 1) / 2
        let tiles = ((ho + 1) / 2) * tilesX
        var start = 0
        while start < tiles {
            let n = min(chunk, tiles - start)
            let v = rest  // (16, n, ci)
            let m = rest + 16 * n * ci  // (16, n, co)
            for k in 0..<n {
                transformInput(
                    input, geometry: g, tile: start + k, tilesX: tilesX, zeros: zeros, into: v + k * ci,
                    stride: n * ci, buffers: buffers)
            }
            for xi in 0..<16 {
                Linear.product(
                    rows: n, columns: co, inner: ci, a: v + xi * n * ci, lda: ci, b: u + xi * ci * co,
                    ldb: co,
                    c: m + xi * n * co, ldc: co)
            }
            for k in 0..<n {
                transformOutput(
                    m + k * co, stride: n * co, tile: start + k, tilesX: tilesX, out: out, height: ho,
                    width: wo, channels: co, buffers: buffers)
            }
            start += n
        }
    }

    /// G·(a, b, c) for one column (or row) of a 3×3 kernel: (a, (a+b+c)/2, (a−b+c)/2, c).
    @inline(__always)
    private static func expand(_ a: Float, _ b: Float, _ c: Float) -> SIMD4<Float> {
        SIMD4(a, 0.5 * (a + b + c), 0.5 * (a - b + c), c)
    }

    /// U = G·g·Gᵀ for every (input, output) pair: u[(ξ·ci + c)·co + o], ξ = 4i + j.
    private static func transformKernel(
        _ g: UnsafePointer<Float>, into u: UnsafeMutablePointer<Float>, inputs ci: Int, outputs co: Int
    ) {
        let plane = ci * co
        for c in 0..<ci {
            let w = g + c * co  // w[(ky·3 + kx)·plane + o]
            let out = u + c * co  // out[ξ·plane + o]
            for o in 0..<co {
                // The columns of s = G·g, then each row of s·Gᵀ.
                let c0 = expand(w[o], w[3 * plane + o], w[6 * plane + o])
                let c1 = expand(w[plane + o], w[4 * plane + o], w[7 * plane + o])
                let c2 = expand(w[2 * plane + o], w[5 * plane + o], w[8 * plane + o])
                for i in 0..<4 {
                    let row = expand(c0[i], c1[i], c2[i])
                    for j in 0..<4 { out[(i * 4 + j) * plane + o] = row[j] }
                }
            }
        }
    }

    /// Bᵀ·(a, b, c, d) for one column (or row) of an input tile: (a − c, b + c, c − b, b − d).
    @inline(__always)
    private static func bt(_ a: Float, _ b: Float, _ c: Float, _ d: Float) -> (Float, Float, Float, Float) {
        (a - c, b + c, c - b, b - d)
    }

    /// Aᵀ·(m0, m1, m2, m3) for one column (or row) of a product tile: (m0 + m1 + m2, m1 − m2 − m3).
    @inline(__always)
    private static func at(_ m0: Float, _ m1: Float, _ m2: Float, _ m3: Float) -> (Float, Float) {
        (m0 + m1 + m2, m1 - m2 - m3)
    }

    /// V = Bᵀ·d·B of one tile for every input channel: v[ξ·stride + c]. Scalar code: the
    /// transforms are about 1 % of the work next to the products, and stay quick unoptimized.
    private static func transformInput(
        _ input: UnsafePointer<Float>, geometry g: ConvGeometry, tile: Int, tilesX: Int,
        zeros: UnsafePointer<Float>, into v: UnsafeMutablePointer<Float>, stride: Int,
        buffers: TileBuffers
    ) {
        let ci = g.inputs
        let (virtualHeight, virtualWidth, up) = (g.height * g.upsample, g.width * g.upsample, g.upsample)
        let (y0, x0) = ((tile / tilesX) * 2 - 1, (tile % tilesX) * 2 - 1)
        let (d, t) = (buffers.pixels, buffers.values)
        for xi in 0..<16 {
            let (vy, vx) = (y0 + xi / 4, x0 + xi % 4)
            let inside = vy >= 0 && vy < virtualHeight && vx >= 0 && vx < virtualWidth
            d[xi] = inside ? input + ((vy / up) * g.width + vx / up) * ci : zeros
        }
        for c in 0..<ci {
            for j in 0..<4 {  // t = Bᵀ·d, column j
                (t[j], t[4 + j], t[8 + j], t[12 + j]) = bt(d[j][c], d[4 + j][c], d[8 + j][c], d[12 + j][c])
            }
            for i in 0..<4 {  // V = t·B, row i
                let (v0, v1, v2, v3) = bt(t[4 * i], t[4 * i + 1], t[4 * i + 2], t[4 * i + 3])
                let row = v + 4 * i * stride + c
                (row[0], row[stride], row[2 * stride], row[3 * stride]) = (v0, v1, v2, v3)
            }
        }
    }

    /// out[2×2 tile] += Aᵀ·M·A for every output channel; m[ξ·stride + o].
    private static func transformOutput(
        _ m: UnsafePointer<Float>, stride: Int, tile: Int, tilesX: Int, out: UnsafeMutablePointer<Float>,
        height: Int, width: Int, channels co: Int, buffers: TileBuffers
    ) {
        let (y0, x0) = ((tile / tilesX) * 2, (tile % tilesX) * 2)
        let (hasRow1, hasColumn1) = (y0 + 1 < height, x0 + 1 < width)
        let corner = out + (y0 * width + x0) * co
        let r = buffers.values
        for o in 0..<co {
            for j in 0..<4 {  // r = Aᵀ·M, column j
                (r[j], r[4 + j]) = at(
                    m[j * stride + o], m[(4 + j) * stride + o], m[(8 + j) * stride + o],
                    m[(12 + j) * stride + o])
            }
            let (y00, y01) = at(r[0], r[1], r[2], r[3])  // Y = r·A
            let (y10, y11) = at(r[4], r[5], r[6], r[7])
            corner[o] += y00
            if hasColumn1 { corner[co + o] += y01 }
            if hasRow1 {
                corner[width * co + o] += y10
                if hasColumn1 { corner[(width + 1) * co + o] += y11 }
            }
        }
    }
}

/// Sixteen input-pixel pointers and sixteen values of one tile, allocated once per convolution.
final class TileBuffers {
    let pixels = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: 16)
    let values = UnsafeMutablePointer<Float>.allocate(capacity: 16)

    deinit {
        pixels.deallocate()
        values.deallocate()
    }
}

// The VQGAN's convolutions against a direct loop: Winograd F(2×2, 3×3) and im2col, with odd
// sizes, unequal channel counts, the fused ×2 upsampling, stride 2 and accumulation.
import Foundation
import Shards
import Testing

@testable import Trainer

@Suite struct ConvolutionTests {
    /// Cross-correlation by definition, in Double.
    static func direct(input: [Float], kernel: [Float], bias: [Float], geometry g: ConvGeometry) -> [Float] {
        let (ho, wo, ci, co, k, up) = (g.outputHeight, g.outputWidth, g.inputs, g.outputs, g.size, g.upsample)
        var out = [Float](repeating: 0, count: ho * wo * co)
        for y in 0..<ho {
            for x in 0..<wo {
                for o in 0..<co {
                    var sum = Double(bias[o])
                    for ky in 0..<k {
                        for kx in 0..<k {
                            let (vy, vx) = (y * g.stride + ky - g.padBefore, x * g.stride + kx - g.padBefore)
                            guard vy >= 0, vy < g.height * up, vx >= 0, vx < g.width * up else { continue }
                            for c in 0..<ci {
                                sum +=
                                    Double(input[((vy / up) * g.width + vx / up) * ci + c])
                                    * Double(kernel[((ky * k + kx) * ci + c) * co + o])
                            }
                        }
                    }
                    out[(y * wo + x) * co + o] = Float(sum)
                }
            }
        }
        return out
    }

    static func random(_ count: Int, seed: UInt64) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in Float(generator.next() >> 40) / Float(1 << 24) - 0.5 }
    }

    /// Max |Conv2D − direct| relative to the largest output, with `scratch` floats of scratch.
    static func error(_ g: ConvGeometry, scratch count: Int, accumulate: Bool = false) -> Float {
        let input = random(g.height * g.width * g.inputs, seed: 1)
        let kernel = random(g.size * g.size * g.inputs * g.outputs, seed: 2)
        let bias = random(g.outputs, seed: 3)
        var expected = direct(input: input, kernel: kernel, bias: bias, geometry: g)
        let start =
            accumulate ? random(expected.count, seed: 4) : [Float](repeating: 0, count: expected.count)
        if accumulate { expected = zip(expected, start).map { $0 + $1 } }
        var out = start
        var scratch = [Float](repeating: .nan, count: count)
        Conv2D.forward(
            out: &out, input: input, kernel: kernel, bias: bias, geometry: g, scratch: &scratch,
            scratchCount: count, accumulate: accumulate)
        let scale = expected.map(abs).max()!
        return zip(out, expected).map { abs($0 - $1) }.max()! / scale
    }

    static let shapes: [ConvGeometry] = [
        .same(height: 7, width: 9, inputs: 16, outputs: 24, size: 3),
        .same(height: 8, width: 8, inputs: 32, outputs: 16, size: 3),
        .same(height: 1, width: 5, inputs: 16, outputs: 16, size: 3),
        {
            var g = ConvGeometry.same(height: 5, width: 3, inputs: 16, outputs: 20, size: 3)
            g.upsample = 2
            return g
        }(),
    ]

    @Test(arguments: shapes.indices)
    func winogradAndIm2colMatchTheDirectConvolution(index: Int) {
        let g = Self.shapes[index]
        #expect(WinogradConv.applies(g))
        let winograd = WinogradConv.minimumScratch(g) + 3 * 16 * (g.inputs + g.outputs)
        let im2col = g.outputWidth * 9 * g.inputs
        #expect(im2col < WinogradConv.minimumScratch(g), "the small scratch must select im2col")
        #expect(Self.error(g, scratch: winograd) < 1e-5)
        #expect(Self.error(g, scratch: winograd, accumulate: true) < 1e-5)
        #expect(Self.error(g, scratch: im2col) < 1e-5)
    }

    @Test func otherGeometriesUseIm2col() {
        var strided = ConvGeometry(height: 9, width: 7, inputs: 16, outputs: 8, size: 3, stride: 2)
        strided.padAfter = 1
        #expect(!WinogradConv.applies(strided))
        #expect(Self.error(strided, scratch: 1 << 16) < 1e-5)
        let narrow = ConvGeometry.same(height: 6, width: 6, inputs: 3, outputs: 16, size: 3)
        #expect(!WinogradConv.applies(narrow))
        #expect(Self.error(narrow, scratch: 1 << 16) < 1e-5)
    }
}

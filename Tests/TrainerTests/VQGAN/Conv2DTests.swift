// The VQGAN's convolutions against a plain loop: the direct kernel gives the loop's sums bit for
// bit in every instruction set, however its pixels are split over threads; im2col stays close.
import Testing

@testable import Trainer

struct Conv2DTests {
    /// Geometries the VQGAN runs: "same" 3×3, the encoder's stride-2 downsample padded after
    /// only, the decoder's ×2 upsample, and odd sides.
    static let geometries: [ConvGeometry] = {
        var downsample = ConvGeometry.same(height: 9, width: 11, inputs: 16, outputs: 32, size: 3)
        (downsample.stride, downsample.padBefore, downsample.padAfter) = (2, 0, 1)
        var upsample = ConvGeometry.same(height: 5, width: 7, inputs: 48, outputs: 64, size: 3)
        upsample.upsample = 2
        return [
            .same(height: 8, width: 8, inputs: 32, outputs: 32, size: 3),
            .same(height: 7, width: 13, inputs: 20, outputs: 96, size: 3),
            downsample, upsample,
        ]
    }()

    /// Deterministic values in [-1, 1).
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 2_000_000) / 1_000_000 - 1
        }
    }

    /// The convolution as the kernel documents it: taps in (ky, kx) order, channels in order,
    /// one fused multiply-add each, bias last.
    static func plain(
        _ g: ConvGeometry, input: [Float], kernel: [Float], bias: [Float], out: [Float], accumulate: Bool
    )
        -> [Float]
    {
        var result = out
        let (vh, vw) = (g.height * g.upsample, g.width * g.upsample)
        for y in 0..<g.outputHeight {
            for x in 0..<g.outputWidth {
                for o in 0..<g.outputs {
                    var sum: Float = 0
                    for ky in 0..<g.size {
                        for kx in 0..<g.size {
                            let (vy, vx) = (y * g.stride + ky - g.padBefore, x * g.stride + kx - g.padBefore)
                            let inside = vy >= 0 && vy < vh && vx >= 0 && vx < vw
                            for c in 0..<g.inputs {
                                let value =
                                    inside
                                    ? input[((vy / g.upsample) * g.width + vx / g.upsample) * g.inputs + c]
                                    : 0
                                let weight = kernel[((ky * g.size + kx) * g.inputs + c) * g.outputs + o]
                                sum = sum.addingProduct(value, weight)
                            }
                        }
                    }
                    let index = (y * g.outputWidth + x) * g.outputs + o
                    result[index] = accumulate ? result[index] + (sum + bias[o]) : sum + bias[o]
                }
            }
        }
        return result
    }

    /// Runs Conv2D.forward on `threads` threads.
    static func run(
        _ g: ConvGeometry, input: [Float], kernel: [Float], bias: [Float], out: [Float], accumulate: Bool,
        threads: Int = 1, instructionSet: String? = nil, scratchCount: Int? = nil
    ) -> [Float] {
        let count = scratchCount ?? g.size * g.size * g.inputs * g.outputs
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { scratch.deallocate() }
        let zeros = [Float](repeating: 0, count: g.inputs)
        var result = out
        WorkerPool.$current.withValue(WorkerPool(threads: threads)) {
            Conv2D.forward(
                out: &result, input: input, kernel: kernel, bias: bias, geometry: g, scratch: scratch,
                scratchCount: count, zeros: zeros, accumulate: accumulate, instructionSet: instructionSet)
        }
        return result
    }

    @Test(arguments: geometries)
    func directKernelGivesThePlainLoopsBits(_ g: ConvGeometry) {
        #expect(Conv2D.runsDirect(g))
        let input = Self.values(g.height * g.width * g.inputs, seed: 1)
        let kernel = Self.values(g.size * g.size * g.inputs * g.outputs, seed: 2)
        let bias = Self.values(g.outputs, seed: 3)
        let previous = Self.values(g.outputHeight * g.outputWidth * g.outputs, seed: 4)
        #expect(Conv2D.directInstructionSets.contains("scalar"))
        for accumulate in [false, true] {
            let expected = Self.plain(
                g, input: input, kernel: kernel, bias: bias, out: previous, accumulate: accumulate)
            for set in Conv2D.directInstructionSets {
                for threads in [1, 3] {
                    let got = Self.run(
                        g, input: input, kernel: kernel, bias: bias, out: previous, accumulate: accumulate,
                        threads: threads, instructionSet: set)
                    let differing = zip(got, expected).filter { $0.bitPattern != $1.bitPattern }.count
                    #expect(differing == 0, "\(set), \(threads) thread(s), accumulate \(accumulate)")
                }
            }
        }
    }

    @Test func im2colPathAgreesWithTheDirectKernel() {
        // 3 output channels: not a whole block of 32, so the im2col product runs.
        let g = ConvGeometry.same(height: 6, width: 10, inputs: 24, outputs: 3, size: 3)
        #expect(!Conv2D.runsDirect(g))
        let input = Self.values(g.height * g.width * g.inputs, seed: 5)
        let kernel = Self.values(g.size * g.size * g.inputs * g.outputs, seed: 6)
        let bias = Self.values(g.outputs, seed: 7)
        let zero = [Float](repeating: 0, count: g.outputHeight * g.outputWidth * g.outputs)
        let expected = Self.plain(g, input: input, kernel: kernel, bias: bias, out: zero, accumulate: false)
        let got = Self.run(
            g, input: input, kernel: kernel, bias: bias, out: zero, accumulate: false,
            scratchCount: g.outputWidth * g.size * g.size * g.inputs)
        let worst = zip(got, expected).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-5)
    }
}

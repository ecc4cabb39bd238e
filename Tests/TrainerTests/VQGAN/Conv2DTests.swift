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

    /// Runs Conv2D.forward by `algorithm` on `threads` threads.
    static func run(
        _ g: ConvGeometry, input: [Float], kernel: [Float], bias: [Float], out: [Float], accumulate: Bool,
        algorithm: ConvAlgorithm, threads: Int = 1, instructionSet: String? = nil
    ) -> [Float] {
        let count = max(
            ConvScratch.winogradKernelCount(inputs: g.inputs, outputs: g.outputs),
            g.outputHeight * g.outputWidth * g.size * g.size * g.inputs)
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let slots = UnsafeMutablePointer<Float>.allocate(capacity: threads * ConvScratch.winogradSlotCount)
        defer {
            columns.deallocate()
            slots.deallocate()
        }
        let zeros = [Float](repeating: 0, count: g.inputs)
        var result = out
        zeros.withUnsafeBufferPointer { zeros in
            let scratch = ConvScratch(
                columns: columns, columnCount: count, zeros: zeros.baseAddress, winograd: slots,
                pool: .shared(threads: threads))
            Conv2D.forward(
                out: &result, input: input, kernel: kernel, bias: bias, geometry: g, scratch: scratch,
                accumulate: accumulate, algorithm: algorithm, instructionSet: instructionSet)
        }
        return result
    }

    /// Largest |a - b| over |b| + 1.
    static func worst(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) / (abs($1) + 1) }.max() ?? 0
    }

    @Test(arguments: geometries)
    func directKernelGivesThePlainLoopsBits(_ g: ConvGeometry) {
        #expect(ConvAlgorithm.runs(.direct, g))
        let input = Self.values(g.height * g.width * g.inputs, seed: 1)
        let kernel = Self.values(g.size * g.size * g.inputs * g.outputs, seed: 2)
        let bias = Self.values(g.outputs, seed: 3)
        let previous = Self.values(g.outputHeight * g.outputWidth * g.outputs, seed: 4)
        #expect(ConvAlgorithm.instructionSets.contains("scalar"))
        for accumulate in [false, true] {
            let expected = Self.plain(
                g, input: input, kernel: kernel, bias: bias, out: previous, accumulate: accumulate)
            for set in ConvAlgorithm.instructionSets {
                for threads in [1, 3] {
                    let got = Self.run(
                        g, input: input, kernel: kernel, bias: bias, out: previous, accumulate: accumulate,
                        algorithm: .direct, threads: threads, instructionSet: set)
                    let differing = zip(got, expected).filter { $0.bitPattern != $1.bitPattern }.count
                    #expect(differing == 0, "\(set), \(threads) thread(s), accumulate \(accumulate)")
                }
            }
        }
    }

    @Test(arguments: geometries)
    func winogradIsCloseAndTheSameForAnyThreadsAndInstructionSet(_ g: ConvGeometry) {
        // Every geometry but the stride-2 downsample is a "same" 3×3 convolution Winograd runs.
        #expect(ConvAlgorithm.runs(.winograd, g) == (g.stride == 1))
        guard ConvAlgorithm.runs(.winograd, g) else { return }
        let input = Self.values(g.height * g.width * g.inputs, seed: 11)
        let kernel = Self.values(g.size * g.size * g.inputs * g.outputs, seed: 12)
        let bias = Self.values(g.outputs, seed: 13)
        let previous = Self.values(g.outputHeight * g.outputWidth * g.outputs, seed: 14)
        for accumulate in [false, true] {
            let expected = Self.plain(
                g, input: input, kernel: kernel, bias: bias, out: previous, accumulate: accumulate)
            let first = Self.run(
                g, input: input, kernel: kernel, bias: bias, out: previous, accumulate: accumulate,
                algorithm: .winograd)
            // Sums of 9 · inputs products of values in [-1, 1): float32 rounding, not a formula error.
            #expect(Self.worst(first, expected) < 2e-5, "accumulate \(accumulate)")
            for set in ConvAlgorithm.instructionSets {
                for threads in [1, 2, 3] {
                    let got = Self.run(
                        g, input: input, kernel: kernel, bias: bias, out: previous, accumulate: accumulate,
                        algorithm: .winograd, threads: threads, instructionSet: set)
                    let differing = zip(got, first).filter { $0.bitPattern != $1.bitPattern }.count
                    #expect(differing == 0, "\(set), \(threads) thread(s), accumulate \(accumulate)")
                }
            }
        }
    }

    @Test func im2colAgreesWithThePlainLoop() {
        for g in Self.geometries + [.same(height: 6, width: 10, inputs: 24, outputs: 3, size: 3)] {
            let input = Self.values(g.height * g.width * g.inputs, seed: 5)
            let kernel = Self.values(g.size * g.size * g.inputs * g.outputs, seed: 6)
            let bias = Self.values(g.outputs, seed: 7)
            let zero = [Float](repeating: 0, count: g.outputHeight * g.outputWidth * g.outputs)
            let expected = Self.plain(
                g, input: input, kernel: kernel, bias: bias, out: zero, accumulate: false)
            let got = Self.run(
                g, input: input, kernel: kernel, bias: bias, out: zero, accumulate: false, algorithm: .im2col)
            #expect(Self.worst(got, expected) < 1e-5, "\(g)")
        }
    }

    @Test func theFastestAlgorithmFollowsTheGeometryAndTheScratch() {
        let g = ConvGeometry.same(height: 8, width: 8, inputs: 32, outputs: 32, size: 3)
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: 1)
        defer { buffer.deallocate() }
        let bare = ConvScratch(columns: buffer, columnCount: 1)
        var direct = bare
        direct.zeros = UnsafePointer(buffer)
        var full = direct
        full.winograd = buffer
        #expect(ConvAlgorithm.fastest(for: g, scratch: full) == .winograd)
        #expect(ConvAlgorithm.fastest(for: g, scratch: direct) == .direct)
        #expect(ConvAlgorithm.fastest(for: g, scratch: bare) == .im2col)
        var threeOutputs = g
        threeOutputs.outputs = 3
        #expect(ConvAlgorithm.fastest(for: threeOutputs, scratch: full) == .im2col)
    }
}

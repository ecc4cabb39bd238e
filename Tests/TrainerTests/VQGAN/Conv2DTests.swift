// The VQGAN's convolutions against a plain loop: the direct kernel gives the loop's sums bit for
// bit in every instruction set, however its pixels are split over threads; Winograd gives the same
// bits for any split and instruction set; Winograd and im2col stay within rounding of the exact sums.
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
            // More than one chunk of tiles in both kernels (600 pixels; 150 Winograd tiles, 36 per
            // chunk at 320 inputs).
            .same(height: 20, width: 30, inputs: 320, outputs: 32, size: 3),
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

    /// Input, kernel, bias and previous output of `g`, from seeds `seed` to `seed + 3`.
    static func operands(_ g: ConvGeometry, seed: UInt64) -> (
        input: [Float], kernel: [Float], bias: [Float], previous: [Float]
    ) {
        (
            values(g.height * g.width * g.inputs, seed: seed),
            values(g.size * g.size * g.inputs * g.outputs, seed: seed + 1),
            values(g.outputs, seed: seed + 2),
            values(g.outputHeight * g.outputWidth * g.outputs, seed: seed + 3)
        )
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

    /// The largest rounding error of `got` against the convolution in Double, in units of
    /// 2⁻²⁴ · √(terms) · Σ|terms| per output (terms: the products and the bias). Float sums here
    /// measure 0.01-0.13 of that unit, in every algorithm; a wrong formula gives thousands.
    static func roundingError(
        _ got: [Float], _ g: ConvGeometry, input: [Float], kernel: [Float], bias: [Float], out: [Float],
        accumulate: Bool
    ) -> Double {
        let (vh, vw) = (g.height * g.upsample, g.width * g.upsample)
        let terms = Double(g.size * g.size * g.inputs + 1)
        var worst = 0.0
        for y in 0..<g.outputHeight {
            for x in 0..<g.outputWidth {
                for o in 0..<g.outputs {
                    var (sum, magnitude) = (Double(bias[o]), Double(abs(bias[o])))
                    for ky in 0..<g.size {
                        for kx in 0..<g.size {
                            let (vy, vx) = (y * g.stride + ky - g.padBefore, x * g.stride + kx - g.padBefore)
                            guard vy >= 0 && vy < vh && vx >= 0 && vx < vw else { continue }
                            let row = ((vy / g.upsample) * g.width + vx / g.upsample) * g.inputs
                            for c in 0..<g.inputs {
                                let term =
                                    Double(input[row + c])
                                    * Double(kernel[((ky * g.size + kx) * g.inputs + c) * g.outputs + o])
                                sum += term
                                magnitude += abs(term)
                            }
                        }
                    }
                    let index = (y * g.outputWidth + x) * g.outputs + o
                    let expected = accumulate ? Double(out[index]) + sum : sum
                    let unit =
                        0x1p-24 * terms.squareRoot()
                        * (magnitude + (accumulate ? abs(Double(out[index])) : 0))
                    worst = max(worst, abs(Double(got[index]) - expected) / unit)
                }
            }
        }
        return worst
    }

    @Test(arguments: geometries)
    func directKernelGivesThePlainLoopsBits(_ g: ConvGeometry) {
        #expect(ConvAlgorithm.runs(.direct, g))
        let (input, kernel, bias, previous) = Self.operands(g, seed: 1)
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
    func winogradIsWithinRoundingAndTheSameForAnyThreadsAndInstructionSet(_ g: ConvGeometry) {
        // Every geometry but the stride-2 downsample is a "same" 3×3 convolution Winograd runs.
        #expect(ConvAlgorithm.runs(.winograd, g) == (g.stride == 1))
        guard ConvAlgorithm.runs(.winograd, g) else { return }
        let (input, kernel, bias, previous) = Self.operands(g, seed: 11)
        for accumulate in [false, true] {
            let first = Self.run(
                g, input: input, kernel: kernel, bias: bias, out: previous, accumulate: accumulate,
                algorithm: .winograd)
            let error = Self.roundingError(
                first, g, input: input, kernel: kernel, bias: bias, out: previous, accumulate: accumulate)
            #expect(error < 1, "accumulate \(accumulate): \(error)")
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

    @Test func im2colIsWithinRounding() {
        for g in Self.geometries + [.same(height: 6, width: 10, inputs: 24, outputs: 3, size: 3)] {
            let (input, kernel, bias, _) = Self.operands(g, seed: 5)
            let zero = [Float](repeating: 0, count: g.outputHeight * g.outputWidth * g.outputs)
            let got = Self.run(
                g, input: input, kernel: kernel, bias: bias, out: zero, accumulate: false, algorithm: .im2col)
            let error = Self.roundingError(
                got, g, input: input, kernel: kernel, bias: bias, out: zero, accumulate: false)
            #expect(error < 1, "\(g): \(error)")
        }
    }

    @Test func theFastestAlgorithmFollowsTheGeometryAndTheScratch() {
        let g = ConvGeometry.same(height: 8, width: 8, inputs: 32, outputs: 32, size: 3)
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: 1)
        defer { buffer.deallocate() }
        // Only counts are compared: nothing is read or written here.
        let bare = ConvScratch(columns: buffer, columnCount: 16 * 32 * 32)
        var direct = bare
        direct.zeros = UnsafePointer(buffer)
        var full = direct
        full.winograd = buffer
        #expect(ConvAlgorithm.fastest(for: g, scratch: full) == .winograd)
        #expect(ConvAlgorithm.fastest(for: g, scratch: direct) == .direct)
        #expect(ConvAlgorithm.fastest(for: g, scratch: bare) == .im2col)
        // Too little room for the transformed kernel (16 · 32 · 32) but enough for the packed one.
        var small = full
        small.columnCount = 9 * 32 * 32
        #expect(ConvAlgorithm.fastest(for: g, scratch: small) == .direct)
        small.columnCount = 9 * 32 * 32 - 1
        #expect(ConvAlgorithm.fastest(for: g, scratch: small) == .im2col)
        var threeOutputs = g
        threeOutputs.outputs = 3
        #expect(ConvAlgorithm.fastest(for: threeOutputs, scratch: full) == .im2col)
    }
}

// The fused LM head and loss against the unfused computation (all logits, then cross-entropy,
// then both head products over all rows), across chunk boundaries.
import Foundation
import TestSupport
import Testing

@testable import Trainer

struct LanguageModelHeadTests {
    static let (rows, channels, classes) = (37, 12, 29)

    /// Loss, dHidden and dKernel (on top of `initialKernelGradient`) of the unfused computation.
    static func unfused(
        hidden: [Float], kernel: [Float], labels: [Int32], scale: Float, initialKernelGradient: [Float]
    ) -> (Float, [Float], [Float]) {
        var logits = [Float](repeating: 0, count: rows * classes)
        Linear.forward(
            out: &logits, input: hidden, kernel: kernel, bias: nil, rows: rows, inputs: channels,
            outputs: classes)
        var losses = [Float](repeating: 0, count: rows)
        let total = CrossEntropy.lossAndGradient(
            inPlace: &logits, labels: labels, losses: &losses, rows: rows, classes: classes)
        var dHidden = [Float](repeating: 0, count: rows * channels)
        var dKernel = initialKernelGradient
        Linear.backward(
            dInput: &dHidden, dKernel: &dKernel, dBias: nil, dOut: logits, input: hidden, kernel: kernel,
            rows: rows, inputs: channels, outputs: classes, inputMode: .overwrite, scale: scale)
        return (Float(total / Double(rows)), dHidden, dKernel)
    }

    @Test(arguments: [1, 5, 16, 37, 64])
    func chunkedHeadMatchesTheUnfusedLossAndGradients(chunkRows: Int) {
        let hidden = LayerTests.values(Self.rows * Self.channels, seed: 0.4)
        let kernel = LayerTests.values(Self.channels * Self.classes, seed: 2.1).map { $0 * 0.3 }
        let labels = (0..<Self.rows).map { Int32(($0 * 7) % Self.classes) }
        let initial = LayerTests.values(Self.channels * Self.classes, seed: 5.5)
        let scale: Float = 0.5 / Float(Self.rows)
        let (loss, dHidden, dKernel) = Self.unfused(
            hidden: hidden, kernel: kernel, labels: labels, scale: scale, initialKernelGradient: initial)

        var chunk = [Float](
            repeating: .nan,
            count: LanguageModelHead.chunkCount(rows: Self.rows, classes: Self.classes, chunkRows: chunkRows))
        var fusedHidden = [Float](repeating: .nan, count: Self.rows * Self.channels)
        var fusedKernel = initial
        let fusedLoss = fusedHidden.withUnsafeMutableBufferPointer { dh in
            fusedKernel.withUnsafeMutableBufferPointer { dk in
                LanguageModelHead.forward(
                    hidden: hidden, kernel: kernel, labels: labels, chunk: &chunk, rows: Self.rows,
                    channels: Self.channels, classes: Self.classes,
                    gradients: HeadGradients(
                        dHidden: dh.baseAddress!, dKernel: dk.baseAddress!, scale: scale),
                    chunkRows: chunkRows)
            }
        }
        // The products of a chunk may round differently from those over all rows (the kernel
        // gradient also sums its rows chunk by chunk); with one chunk everything is identical.
        #expect(abs(fusedLoss - loss) <= 1e-6 * abs(loss))
        expectClose(name: "dHidden", actual: fusedHidden, expected: dHidden, atol: 1e-8, rtol: 1e-5)
        expectClose(name: "dKernel", actual: fusedKernel, expected: dKernel, atol: 1e-6, rtol: 1e-5)
        if chunkRows >= Self.rows {
            #expect(fusedLoss == loss)
            #expect(fusedHidden == dHidden)
            #expect(fusedKernel == dKernel)
        }

        let lossOnly = LanguageModelHead.forward(
            hidden: hidden, kernel: kernel, labels: labels, chunk: &chunk, rows: Self.rows,
            channels: Self.channels, classes: Self.classes, gradients: nil, chunkRows: chunkRows)
        #expect(lossOnly == fusedLoss)
    }
}

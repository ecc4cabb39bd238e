// The rank's thread pool: every part runs exactly once, nested and concurrent jobs run inline,
// and a whole forward and backward gives the same bits on 1, 2 and 3 threads.
import Foundation
import Shards
import TestSupport
import Testing

@testable import Trainer

@Suite struct WorkerPoolTests {
    @Test func everyPartRunsOnceOnAThreadOfThePool() {
        let pool = WorkerPool(threads: 3)
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 100)
        let threads = UnsafeMutablePointer<Int>.allocate(capacity: 100)
        defer { counts.deallocate(); threads.deallocate() }
        counts.initialize(repeating: 0, count: 100)
        for _ in 0..<20 {
            pool.run(parts: 100) { part, thread in
                counts[part] += 1
                threads[part] = thread
            }
        }
        #expect((0..<100).allSatisfy { counts[$0] == 20 })
        // Thread t runs the parts t, t + 3, ...: the thread index can select per-thread scratch.
        #expect((0..<100).allSatisfy { threads[$0] == $0 % 3 })
    }

    @Test func nestedJobsRunInsideTheirPart() {
        let pool = WorkerPool(threads: 2)
        let seen = UnsafeMutablePointer<Int>.allocate(capacity: 16)
        defer { seen.deallocate() }
        seen.initialize(repeating: 0, count: 16)
        pool.run(parts: 4) { outer, _ in
            pool.run(parts: 4) { inner, thread in
                #expect(thread == 0)
                seen[outer * 4 + inner] += 1
            }
        }
        #expect((0..<16).allSatisfy { seen[$0] == 1 })
    }

    @Test func rangesCoverTheCountWithoutOverlap() {
        let pool = WorkerPool(threads: 3)
        let marks = UnsafeMutablePointer<Int>.allocate(capacity: 100_003)
        defer { marks.deallocate() }
        marks.initialize(repeating: 0, count: 100_003)
        pool.forEachRange(100_003, minimum: 1000) { range in
            for i in range { marks[i] += 1 }
        }
        #expect((0..<100_003).allSatisfy { marks[$0] == 1 })
    }

    @Test func tallProductsSplitRowsOnePartPerThread() {
        let split = ProductSplit(rows: 2000, columns: 256, inner: 1024, threads: 3)
        #expect(split.parts == 3 && split.alongRows)
        let ranges = (0..<3).map(split.range(of:))
        #expect(ranges.map(\.count).reduce(0, +) == 2000 && ranges.last?.upperBound == 2000)
        #expect(ranges.allSatisfy { $0.lowerBound % ProductSplit.rowAlignment == 0 && !$0.isEmpty })
        #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
        #expect(ProductSplit(rows: 64, columns: 64, inner: 32, threads: 4).parts == 1)
        #expect(ProductSplit(rows: 2048, columns: 256, inner: 256, threads: 1).parts == 1)
    }

    @Test func shortProductsSplitColumnsByShapeAlone() {
        let one = ProductSplit(rows: 256, columns: 16385, inner: 512, threads: 1)
        let many = ProductSplit(rows: 256, columns: 16385, inner: 512, threads: 7)
        #expect(!one.alongRows && one.parts == ProductSplit.maximumColumnParts && many.parts == one.parts)
        #expect((0..<one.parts).map(one.range(of:)) == (0..<many.parts).map(many.range(of:)))
        #expect(one.range(of: one.parts - 1).upperBound == 16385)
    }

    /// The property the row split relies on: OpenBLAS computes rows split at multiples of 48 bit
    /// for bit as the whole product, for every transpose the model uses (tall shapes of `small`'s
    /// layers and LM head chunks, and an odd one).
    @Test(arguments: [(2048, 256, 256), (2048, 1024, 256), (512, 2049, 256), (1000, 200, 300)])
    func rowPartsEqualTheWholeProduct(shape: (Int, Int, Int)) {
        // As in every rank, OpenBLAS runs each call on one thread here.
        #expect(testBinaryLinksOneBLASThread && BLASInfo.threadCount == 1)
        let (rows, columns, inner) = shape
        let a = (0..<rows * inner).map { Float(sin(Double($0) * 0.37)) }
        let b = (0..<inner * columns).map { Float(cos(Double($0) * 0.11)) }
        for (transposeA, transposeB) in [(false, false), (true, false), (false, true)] {
            let (lda, ldb) = (transposeA ? rows : inner, transposeB ? inner : columns)
            func product(threads: Int) -> [Float] {
                var c = [Float](repeating: 0, count: rows * columns)
                WorkerPool.$current.withValue(WorkerPool(threads: threads)) {
                    Linear.product(
                        rows: rows, columns: columns, inner: inner, a: a, lda: lda, b: b, ldb: ldb, c: &c,
                        ldc: columns, transposeA: transposeA, transposeB: transposeB, alpha: 0.7)
                }
                return c
            }
            let whole = product(threads: 1)
            for threads in [2, 3, 5] {
                let differing = zip(product(threads: threads), whole).filter { $0 != $1 }.count
                #expect(differing == 0, "\(shape) transposes \(transposeA) \(transposeB), \(threads) parts")
            }
        }
    }

    @Test func adamWUpdateIsBitIdenticalForAnyThreadCount() {
        let count = 100_003
        func update(threads: Int) -> [Float] {
            var parameters = (0..<count).map { Float(sin(Double($0) * 0.3)) }
            var m = (0..<count).map { Float(cos(Double($0) * 0.7)) * 1e-3 }
            var v = (0..<count).map { Float(abs(sin(Double($0) * 1.1))) * 1e-4 }
            let gradients = (0..<count).map { Float(sin(Double($0) * 2.3)) * 0.1 }
            WorkerPool.$current.withValue(WorkerPool(threads: threads)) {
                AdamW.update(
                    parameters: &parameters, m: &m, v: &v, gradients: gradients, count: count, step: 3,
                    learningRate: 1e-3, hyperparameters: AdamWHyperparameters(weightDecay: 0.01))
            }
            return parameters + m + v
        }
        let one = update(threads: 1)
        #expect(one[0] != Float(sin(0.0)))
        #expect(update(threads: 2) == one)
        #expect(update(threads: 3) == one)
    }

    /// A model large enough that products split (decoder: 512 rows, by rows; encoder: 128 rows, by
    /// columns), heads run in parallel and norms split rows.
    static let config = GradientCheckTests.tinyConfig {
        $0.dModel = 128
        $0.encoderAttentionHeads = 4
        $0.decoderAttentionHeads = 8
        $0.encoderFFNDim = 384
        $0.decoderFFNDim = 512
        $0.imageVocabSize = 1023
        $0.imageLength = 64
        $0.maxTextLength = 16
        $0.encoderVocabSize = 50
        $0.dropout = 0.1
        $0.attentionDropout = 0.1
        $0.activationDropout = 0.05
        $0.initStd = 0.05
    }

    /// Loss and gradients of one forward and backward with `threads` threads.
    static func step(threads: Int, recomputesLayers: Bool) throws -> (Float, [Float]) {
        try WorkerPool.$current.withValue(WorkerPool(threads: threads)) {
            let model = try DalleBart(config: config, batchSize: 8, recomputesLayers: recomputesLayers)
            let parameters = FlatBuffer(count: model.layout.count)
            Initialization.initialize(parameters, layout: model.layout, config: config, seed: 21)
            let gradients = FlatBuffer(count: model.layout.count)
            let batch = GradientCheckTests.batch(config, rows: 8)
            let key = DropoutKey(seed: 2, step: 5, rank: 0)
            let loss = model.forward(
                parameters: parameters, batch: batch, dropout: key, gradients: gradients, gradientScale: 0.5)
            model.backward(parameters: parameters, gradients: gradients, gradientScale: 0.5)
            return (loss, Array(gradients.buffer))
        }
    }

    @Test(arguments: [false, true])
    func aStepIsBitIdenticalForAnyThreadCount(recomputesLayers: Bool) throws {
        let one = try Self.step(threads: 1, recomputesLayers: recomputesLayers)
        #expect(one.0.isFinite && one.1.contains { $0 != 0 })
        for threads in [2, 3] {
            let many = try Self.step(threads: threads, recomputesLayers: recomputesLayers)
            #expect(many.0 == one.0, "loss with \(threads) threads")
            let differing = zip(many.1, one.1).filter { $0.0 != $0.1 }.count
            #expect(differing == 0, "\(differing) gradient values differ with \(threads) threads")
        }
    }
}

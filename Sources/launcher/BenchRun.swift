// The measurement behind `dalle-train bench` (one rank) and its report types.
import Collective
import Foundation
import Shards
import Trainer

/// One rank's figures.
struct BenchReport: Codable {
    var rank: Int
    var blasCore: String
    /// Threads of the rank (`--threads`); OpenBLAS runs each call on one of them.
    var threads: Int
    var parameters: Int
    var batchSize: Int
    var medianStepSeconds: Double
    var stepSeconds: [Double]
    var decoderTokensPerSecond: Double
    var gflopPerStep: Double
    var achievedGFLOPs: Double
    var peakGFLOPs: Double
    var peakSource: String
    /// A large sgemm in the same process: the practical ceiling of the matrix products.
    var sgemmGFLOPs: Double
    var mfu: Double
    var peakResidentMebibytes: Double
    var phases: [String: Double]
    var loss: Double
    /// The whole data-parallel step (forward, backward, gradient all-reduce, AdamW), when measured.
    var fullStep: StepTimings?
    /// Decoder tokens/s of this rank over whole steps.
    var fullStepTokensPerSecond: Double?
}

/// All ranks plus the aggregate (throughput summed; the slowest rank's median step).
struct BenchSummary: Codable {
    var model: String
    var ranks: [BenchReport]
    var aggregateTokensPerSecond: Double
    var aggregateGFLOPs: Double
    var slowestMedianStepSeconds: Double
    /// Decoder tokens/s of all ranks over whole data-parallel steps (with all-reduce and AdamW).
    var aggregateFullStepTokensPerSecond: Double?

    init(model: String, ranks: [BenchReport]) {
        self.model = model
        self.ranks = ranks
        slowestMedianStepSeconds = ranks.map(\.medianStepSeconds).max() ?? 0
        aggregateTokensPerSecond = ranks.map(\.decoderTokensPerSecond).reduce(0, +)
        aggregateGFLOPs = ranks.map(\.achievedGFLOPs).reduce(0, +)
        let full = ranks.compactMap(\.fullStepTokensPerSecond)
        aggregateFullStepTokensPerSecond = full.count == ranks.count ? full.reduce(0, +) : nil
    }

    var text: String {
        var lines: [String] = []
        for r in ranks {
            lines.append(
                String(
                    format:
                        "rank %d: OpenBLAS %@, %d thread(s) | %@ %.1fM params, batch %d | median step %.3f s | %.0f decoder tokens/s | %.1f GFLOP/step | %.1f GFLOP/s | MFU %.1f%% of %.0f GFLOP/s (%@; sgemm reaches %.0f) | peak RSS %.0f MiB | loss %.4f",
                    r.rank, r.blasCore, r.threads, model, Double(r.parameters) / 1e6, r.batchSize,
                    r.medianStepSeconds, r.decoderTokensPerSecond, r.gflopPerStep, r.achievedGFLOPs,
                    r.mfu * 100,
                    r.peakGFLOPs, r.peakSource, r.sgemmGFLOPs, r.peakResidentMebibytes, r.loss))
            let phases = r.phases.sorted { $0.value > $1.value }.map {
                String(
                    format: "%@ %.1f ms (%.0f%%)", $0.key, $0.value * 1e3,
                    $0.value / r.medianStepSeconds * 100)
            }
            lines.append("  phases: " + phases.joined(separator: ", "))
            if let full = r.fullStep, let tokens = r.fullStepTokensPerSecond {
                lines.append(
                    String(
                        format:
                            "  full step (forward, backward, all-reduce phase, AdamW): median %.3f s, %.0f tokens/s | "
                            + "all-reduce %.1f ms (%.1f%%; %.1f ms = %.1f%% for the last rank to arrive), "
                            + "optimizer %.1f ms (%.1f%%)",
                        full.step, tokens, full.allreduce * 1e3, full.allreduce / full.step * 100,
                        full.allreduceLastArrival * 1e3, full.allreduceLastArrival / full.step * 100,
                        full.optimizer * 1e3, full.optimizer / full.step * 100))
                if let betweenHosts = full.betweenHosts {
                    lines.append(
                        String(
                            format:
                                "  between hosts (gradient all-reduce through MPI): %.1f ms = %.1f%% of the step",
                            betweenHosts * 1e3, betweenHosts / full.step * 100))
                }
            }
        }
        if ranks.count > 1 {
            lines.append(
                String(
                    format: "all %d ranks: %.0f decoder tokens/s, %.1f GFLOP/s, slowest median step %.3f s",
                    ranks.count, aggregateTokensPerSecond, aggregateGFLOPs, slowestMedianStepSeconds))
            if let aggregateFullStepTokensPerSecond {
                lines.append(
                    String(
                        format: "all %d ranks, full data-parallel step: %.0f decoder tokens/s", ranks.count,
                        aggregateFullStepTokensPerSecond))
            }
        }
        return lines.joined(separator: "\n")
    }
}

struct BenchRun {
    var config: DalleBartConfig
    var batchSize: Int
    var steps: Int
    var warmup: Int
    var rank: Int
    /// Gradient checkpointing.
    var recomputesLayers = false
    /// Where to write the parameters, the batch and its loss (`bench --export-step`), if anywhere.
    var exportStepTo: URL? = nil

    func measure(
        peakGFLOPs: Double?, fullStepOn comm: Communicator?, isSharded: Bool,
        optimizer: OptimizerSettings = .adam(AdamWHyperparameters(weightDecay: 0.01))
    ) throws -> BenchReport {
        let model = try DalleBart(config: config, batchSize: batchSize, recomputesLayers: recomputesLayers)
        let batch = Self.syntheticBatch(config, rows: batchSize, seed: UInt64(rank))
        // Both phases use the buffers training would make, so the peak is one training step's.
        let fullStep = try comm.map {
            try StepBenchmark(
                comm: $0, layout: model.layout, config: config, isSharded: isSharded, optimizer: optimizer)
        }
        let parameters = fullStep?.parameters ?? FlatBuffer(count: model.layout.count)
        let gradients = fullStep?.gradients ?? FlatBuffer(count: model.layout.count)
        if fullStep == nil {
            Initialization.initialize(parameters, layout: model.layout, config: config, seed: 1)
        }
        let (times, phases, loss) = try forwardBackwardSteps(
            model: model, batch: batch, parameters: parameters, gradients: gradients)
        let median = times.sorted()[times.count / 2]
        // Forward + backward's own peak, before the full step adds the optimizer moments.
        let peakResident = Self.peakResidentMebibytes()
        let fullStepTimings = try fullStep?.run(model: model, batch: batch, steps: steps, warmup: warmup)
        let flops = ModelCost.trainingFLOPs(config, rows: batchSize)
        let threads = WorkerPool.current.threadCount
        let (peak, source) = peakGFLOPs.map { ($0, "given") } ?? Self.measuredPeak(threads: threads)
        var medianPhases: [String: Double] = [:]
        for (index, entry) in PhaseSeconds().named.enumerated() {
            let values = phases.map { $0.named[index].seconds }.sorted()
            medianPhases[entry.name] = values[values.count / 2]
        }
        return BenchReport(
            rank: rank, blasCore: BLASInfo.coreName, threads: threads,
            parameters: model.layout.count, batchSize: batchSize, medianStepSeconds: median,
            stepSeconds: times,
            decoderTokensPerSecond: Double(batchSize * config.imageLength) / median,
            gflopPerStep: flops / 1e9,
            achievedGFLOPs: flops / median / 1e9, peakGFLOPs: peak, peakSource: source,
            sgemmGFLOPs: BLASInfo.measureSgemmGFLOPs(size: 1536, repeats: 3),
            mfu: flops / median / 1e9 / peak, peakResidentMebibytes: peakResident,
            phases: medianPhases,
            loss: Double(loss), fullStep: fullStepTimings,
            fullStepTokensPerSecond: fullStepTimings.map { Double(batchSize * config.imageLength) / $0.step })
    }

    /// Times forward + backward alone (the parameters are never updated).
    private func forwardBackwardSteps(
        model: DalleBart, batch: Batch, parameters: FlatBuffer, gradients: FlatBuffer
    ) throws -> (times: [Double], phases: [PhaseSeconds], loss: Float) {
        var times: [Double] = []
        var phases: [PhaseSeconds] = []
        var loss: Float = 0
        for step in 0..<(warmup + steps) {
            let start = DispatchTime.now().uptimeNanoseconds
            gradients.zero()
            let key = config.dropout > 0 ? DropoutKey(seed: 1, step: UInt64(step), rank: UInt64(rank)) : nil
            var timer = PhaseTimer()
            loss = TrainingStep.microStep(
                model: model, parameters: parameters, gradients: gradients, batch: batch, dropout: key,
                gradientScale: 1, timer: &timer)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if step >= warmup {
                times.append(seconds)
                phases.append(model.phaseSeconds)
            }
        }
        if let exportStepTo {  // the parameters are never updated: every step saw the same loss
            try BenchStepExport.write(
                to: exportStepTo, model: model, parameters: parameters, gradients: gradients, batch: batch,
                loss: loss)
        }
        return (times, phases, loss)
    }

    /// Random text ids (some rows padded) and image codes, shifted with the start token.
    static func syntheticBatch(_ config: DalleBartConfig, rows: Int, seed: UInt64) -> Batch {
        var generator = SplitMix64(seed: seed &+ 0x9E37_79B9)  // the same tokens in every run
        let (S, T) = (config.maxTextLength, config.imageLength)
        var ids: [Int32] = []
        var mask: [Int32] = []
        for row in 0..<rows {
            let length = max(2, S - (row * 7) % S)
            for j in 0..<S {
                let real = j < length
                ids.append(
                    j == 0
                        ? 0
                        : j == length - 1
                            ? 2
                            : real
                                ? Int32.random(in: 4..<Int32(config.encoderVocabSize), using: &generator) : 1)
                mask.append(real ? 1 : 0)
            }
        }
        let labels = (0..<rows * T).map { _ in
            Int32.random(in: 0..<Int32(config.imageVocabSize), using: &generator)
        }
        return Batch(
            size: rows, textLength: S, imageLength: T, inputIDs: ids, attentionMask: mask, labels: labels,
            decoderInputIDs: Batch.shiftRight(
                labels, rows: rows, length: T, startToken: Int32(config.decoderStartTokenID)))
    }

    /// VmHWM from /proc/self/status, in MiB.
    static func peakResidentMebibytes() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return 0 }
        let kibibytes = Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        return kibibytes / 1024
    }

    /// The FP32 FMA peak of one core, measured by a register-only FMA loop (PeakFLOPs).
    /// The FMA loop's peak of one core, times the rank's threads.
    static func measuredPeak(threads: Int) -> (Double, String) {
        let peak = PeakFLOPs.measure()
        let cores = threads > 1 ? " x \(threads) threads" : ""
        return (peak.gflops * Double(threads), "measured \(peak.instructionSet) FMA loop\(cores)")
    }
}

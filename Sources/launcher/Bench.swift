// `dalle-train bench`: median forward+backward step time, decoder tokens/s, GFLOP/s, MFU, peak
// memory and per-phase times, per rank and aggregated over ranks.
import ArgumentParser
import Collective
import Foundation
import Shards
import Trainer

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure forward+backward step time, throughput and MFU of the model on synthetic tokens.")

    @Option(help: "A preset, a config.json, a dalle-mini model directory, a checkpoint or a run directory.")
    var model = "small"
    @Option(help: "Rows per rank.")
    var batchSize = 8
    @Option(help: "Timed steps (after the warm-up steps).")
    var steps = 10
    @Option(help: "Untimed warm-up steps.")
    var warmup = 2
    @Option(
        help:
            "FP32 peak GFLOP/s of one process for MFU (default: measured by a short FMA loop on one core).")
    var peakGflops: Double?
    @Flag(help: "Print one JSON object instead of text.")
    var json = false
    @Flag(
        inversion: .prefixedNo,
        help: "Also time whole data-parallel steps: forward, backward, gradient all-reduce, AdamW.")
    var fullStep = true
    @Flag(
        help:
            "Time the whole steps in the sharded-optimizer mode (state split over the ranks, parameters gathered)."
    )
    var shardOptimizerState = false
    @Flag(help: "Recompute each layer's activations in backward (train's --gradient-checkpointing).")
    var gradientCheckpointing = false
    @Option(
        help: ArgumentHelp(
            "Also write the initial parameters, rank 0's batch and its loss and gradient norm to this directory.",
            discussion:
                "model.safetensors, batch.safetensors and step.json: what deploy/bench/pytorch_ddp_small.py "
                + "--check-against reads to show that it runs the same model on the same batch."),
        transform: { URL(fileURLWithPath: $0) })
    var exportStep: URL?
    @Option(help: ArgumentHelp(TrainingOptions.option(key: "threads")?.help ?? ""))
    var threads: Int?
    @OptionGroup var optimizer: OptimizerFlags

    func validate() throws {
        guard batchSize > 0, steps > 0, warmup >= 0, threads.map({ $0 > 0 }) ?? true else {
            throw ValidationError(
                "--batch-size, --steps and --threads must be positive, --warmup non-negative")
        }
    }

    func run() throws {
        let comm = try Communicator.world()
        var options = TrainingOptions()
        options.model = model
        options.weightDecay = 0.01
        optimizer.apply(to: &options)
        let config = try TrainingSetup.modelConfig(options)
        let threadCount = RankThreads.resolve(requested: threads, localRanks: TrainingSetup.ranksOnThisNode())
        let report = try RankThreads.withPool(threads: threadCount) {
            try BenchRun(
                config: config, batchSize: batchSize, steps: steps, warmup: warmup, rank: comm.rank,
                recomputesLayers: gradientCheckpointing, exportStepTo: comm.isRoot ? exportStep : nil
            )
            .measure(
                peakGFLOPs: peakGflops, fullStepOn: fullStep ? comm : nil, isSharded: shardOptimizerState,
                optimizer: options.optimizerSettings)
        }
        let gathered = try comm.gather(Array(try JSONEncoder().encode(report)))
        if comm.isRoot {
            let reports = try gathered.map { try JSONDecoder().decode(BenchReport.self, from: Data($0)) }
            let summary = BenchSummary(model: model, ranks: reports)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(summary), as: UTF8.self))
            } else {
                print(summary.text)
            }
        }
        try comm.barrier()
    }
}

// `dalle-train plan`: the memory each rank needs for a model and batch, before queueing a job.
import ArgumentParser
import Foundation
import Trainer

/// Prints parameters, gradients, optimizer state and activations per rank and per node.
struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the memory each rank needs (parameters, gradients, optimizer, activations).")

    @Option(
        help:
            "Model preset, config.json, dalle-mini model directory, checkpoint or run directory (only config files are read)."
    )
    var model = "small"

    @Option(help: "Rows per rank per micro-batch.")
    var batchSize = 8

    @Option(help: "Ranks in the job.")
    var ranks = 1

    @Option(
        name: [.customLong("ranks-per-host"), .customLong("ranks-per-node")],
        help: "Ranks sharing one host's memory. (default: all ranks on one host)")
    var ranksPerNode: Int?

    @Option(help: "Network bandwidth between hosts, in Gbit/s, for the all-reduce estimate.")
    var networkGbps = 10.0

    @Option(help: "Sustained GFLOP/s of one rank, for the compute estimate (measured: small at batch 8).")
    var rankGflops = 54.0

    @Flag(help: "Plan for --shard-optimizer-state (see the note in the output).")
    var shardOptimizerState = false

    @Flag(help: "Plan for --gradient-checkpointing (one layer's activations kept).")
    var gradientCheckpointing = false

    @OptionGroup var optimizer: OptimizerFlags

    func validate() throws {
        guard batchSize > 0, ranks > 0, (ranksPerNode ?? 1) > 0, networkGbps > 0, rankGflops > 0 else {
            throw ValidationError(
                "--batch-size, --ranks, --ranks-per-host, --network-gbps and --rank-gflops must be positive")
        }
    }

    func run() throws {
        var options = TrainingOptions()
        options.model = model
        optimizer.apply(to: &options)
        let config = try TrainingSetup.modelConfig(options)
        let plan = MemoryPlan(
            config: config, batchSize: batchSize, worldSize: ranks, isSharded: shardOptimizerState,
            optimizer: options.optimizerSettings, recomputesLayers: gradientCheckpointing)
        let perNode = min(ranksPerNode ?? ranks, ranks)
        let parameters = ParameterLayout(config: config).count
        print(
            "\(model): \(parameters) parameters, batch \(batchSize) per rank, \(ranks) rank(s), "
                + "\(perNode) per node\(shardOptimizerState ? ", sharded optimizer state" : "")"
                + (gradientCheckpointing ? ", gradient checkpointing" : ""))
        print("per rank:")
        plan.lines.forEach { print($0) }
        if case .distributedShampoo(let settings) = options.optimizerSettings {
            print(
                Self.shampooLine(
                    ShampooLayout(layout: ParameterLayout(config: config), hyperparameters: settings)))
        }
        let nodeBytes = plan.totalBytes * perNode
        print(
            String(
                format: "per node (%d rank(s)):        %10.2f GiB", perNode,
                Double(nodeBytes) / Double(1 << 30)))
        if perNode > 1 {
            // The ranks of a host keep parameters and gradients in /dev/shm (shared-memory collectives).
            let shared = (plan.parameterBytes + plan.gradientBytes) * perNode
            print(Self.sharedMemoryLine(sharedBytes: shared, freeBytes: Self.sharedMemoryFreeBytes()))
        }
        if shardOptimizerState {
            print(
                String(
                    format:
                        "rank 0 also holds %.2f GiB of complete optimizer state while it writes or loads a checkpoint",
                    Double(plan.checkpointStagingBytes) / Double(1 << 30)))
        }
        print(
            Self.communicationLine(
                CommunicationPlan(
                    parameterCount: parameters, ranks: ranks, ranksPerHost: perNode, networkGbps: networkGbps),
                computeSeconds: ModelCost.trainingFLOPs(config, rows: batchSize) / (rankGflops * 1e9),
                rankGflops: rankGflops))
        if let available = MemoryPlan.availableBytes() {
            let fits = nodeBytes <= available
            print(
                String(
                    format: "this machine: %.2f GiB available -> %@", Double(available) / Double(1 << 30),
                    fits ? "fits" : "does NOT fit; use fewer ranks per node or a smaller batch"))
        }
    }

    /// What the ranks of one host put in /dev/shm, and whether it fits there.
    static func sharedMemoryLine(sharedBytes: Int, freeBytes: Int?) -> String {
        let gibibytes = { (bytes: Int) in String(format: "%.2f GiB", Double(bytes) / Double(1 << 30)) }
        var line =
            "of which in /dev/shm (parameters and gradients, shared by the ranks): \(gibibytes(sharedBytes))"
        if let freeBytes {
            line += "; this machine's /dev/shm has \(gibibytes(freeBytes)) free"
            if sharedBytes > freeBytes {
                line += " -> gradients would be averaged through MPI instead (slower)"
            }
        }
        return line
    }

    /// The estimated gradient all-reduce per level against the step's compute.
    static func communicationLine(
        _ plan: CommunicationPlan, computeSeconds: Double, rankGflops: Double
    ) -> String {
        let total = plan.totalSeconds
        return String(
            format:
                "all-reduce per step (ring, 2(p-1)/p x %.0f MiB / bandwidth): within each host (%d rank(s), "
                + "%.0f GB/s) %.1f ms, between %d host(s) (%g Gbit/s) %.1f ms; compute %.2f s at %.0f "
                + "GFLOP/s per rank -> communication %.1f %% of the step",
            Double(plan.byteCount) / Double(1 << 20), plan.ranksPerHost, plan.hostBytesPerSecond / 1e9,
            plan.withinHostSeconds * 1e3, plan.hostCount, plan.networkBytesPerSecond * 8 / 1e9,
            plan.betweenHostsSeconds * 1e3, computeSeconds, rankGflops,
            100 * total / (total + computeSeconds))
    }

    /// Bytes that can still be allocated in /dev/shm, or nil when it cannot be read.
    static func sharedMemoryFreeBytes() -> Int? {
        var status = statvfs()
        guard statvfs("/dev/shm", &status) == 0 else { return nil }
        return Int(status.f_bavail) * Int(status.f_frsize)
    }

    /// Shampoo's blocks: how many statistics, their sizes and bytes (statistics and preconditioners).
    static func shampooLine(_ layout: ShampooLayout) -> String {
        let skipped = layout.tensors.filter(\.isSkipped).count
        let sizes = Dictionary(grouping: layout.statistics, by: \.size).map { "\($0.value.count)×\($0.key)²" }
        return String(
            format:
                "Shampoo: %d statistics (%@), %d tensor(s) grafting only; statistics + preconditioners %.2f GiB",
            layout.statistics.count, sizes.sorted().joined(separator: ", "), skipped,
            Double(2 * layout.statisticsCount * 4) / Double(1 << 30))
    }
}
